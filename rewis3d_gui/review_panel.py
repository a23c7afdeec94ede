"""Review panel: go to the frames the model is least sure about, take good predictions into
the annotations with a brush, and retrain with the corrections.

The ranking and the accepting are library calls (``rewis3d.review``); this panel only picks the
frame, owns the brushed-region layer and hands the retrain to the training panel.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from qtpy.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rewis3d_gui.session import Session

NO_COMPARISON = "(none)"
REGION_NAME = "review region"
REGION_COLORS = {None: (0, 0, 0, 0), 0: (0, 0, 0, 0), 1: (1.0, 0.9, 0.1, 1.0)}  # bright yellow
ACCEPTED_NAME = "accepted regions"
ACCEPTED_COLORS = {None: (0, 0, 0, 0), 0: (0, 0, 0, 0), 1: (0.1, 0.95, 1.0, 1.0)}  # cyan outline
HEADING = "<b>Review</b>: most uncertain frames first, by "


def row_text(score) -> str:
    """One ranked frame: the terms of its score that the run has, then how unsure it is."""
    from rewis3d.review import ENTROPY

    name = "entropy" if score.uncertainty_from == ENTROPY else "1 − max p"
    text = f"frame {score.frame}: {name} {score.uncertainty:.2f}"
    if score.disagreement_3d is not None:
        text += f", 3D disagrees {100 * score.disagreement_3d:.0f}%"
    if score.disagreement is not None:
        text += f", runs disagree {100 * score.disagreement:.0f}%"
    text += f", {100 * score.unsure_share:.0f}% unsure"
    return text + (" (labelled)" if score.labelled else "")


class ReviewPanel(QWidget):
    """Frames ranked by uncertainty; next frame; accept a brushed region; retrain."""

    def __init__(self, session: Session, retrain: Callable[[str], bool] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.retrain_with = retrain
        self.ranking = []
        self.seen: set[int] = set()
        self.region_layer = None
        self.accepted_layer = None  # outlines of what was accepted in this scene
        self.run = QComboBox()
        self.compare = QComboBox()
        self.compare.addItem(NO_COMPARISON)
        for combo in (self.run, self.compare):
            combo.activated.connect(lambda _: self.rank())
        self.frames = QListWidget()
        self.frames.setMaximumHeight(160)
        self.frames.itemActivated.connect(lambda item: self.go_to(item.data(256)))
        self.frames.itemClicked.connect(lambda item: self.go_to(item.data(256)))
        self.next_button = QPushButton("Next most uncertain frame")
        self.next_button.clicked.connect(self.next_frame)
        self.brush_button = QPushButton("Brush a region")
        self.brush_button.clicked.connect(self.brush_region)
        self.accept_button = QPushButton("Accept region")
        self.accept_button.setToolTip("Copy the run's prediction inside the brushed region of "
                                      "this frame into your labels")
        self.accept_button.clicked.connect(self.accept_region)
        self.retrain_button = QPushButton("Retrain with corrections")
        self.retrain_button.clicked.connect(self.retrain)
        self.info = QLabel("Rank frames once a run has predictions.")
        self.info.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Run", self.run)
        form.addRow("Compare with", self.compare)
        region_row = QHBoxLayout()
        region_row.addWidget(self.brush_button)
        region_row.addWidget(self.accept_button)
        self.heading = QLabel(HEADING + "uncertainty + disagreement")
        self.heading.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(self.frames)
        layout.addWidget(self.next_button)
        layout.addLayout(region_row)
        layout.addWidget(self.retrain_button)
        layout.addWidget(self.info)
        layout.addStretch(1)
        session.scene_changed.connect(self._on_scene_changed)
        session.project_changed.connect(self._on_project_changed)

    def set_runs(self, runs: list[str]) -> None:
        """The runs that have predictions (from the predictions panel); re-rank the chosen one."""
        before = {self.run.itemText(i) for i in range(self.run.count())}
        new = [run for run in runs if run not in before]
        chosen = new[-1] if new else self.run.currentText()  # a run that just ended comes first
        compared = self.compare.currentText()
        self.run.clear()
        self.run.addItems(runs)
        self.compare.clear()
        self.compare.addItems([NO_COMPARISON, *runs])
        if runs:
            self.run.setCurrentText(chosen if chosen in runs else runs[-1])
            self.compare.setCurrentText(compared if compared in runs else NO_COMPARISON)
        self.rank()

    # -- ranking ---------------------------------------------------------------------------
    def rank(self) -> list:
        """Score every frame of the scene from the chosen run; fill the list, worst first."""
        from rewis3d.review import rank_frames, score_terms

        self.frames.clear()
        self.ranking = []
        run, scene = self.run.currentText(), self.session.scene
        if not run or scene is None:
            return []
        compare = self.compare.currentText()
        compare = None if compare in (NO_COMPARISON, run) else compare
        with self.session.user_errors(f"rank the frames of run {run!r}"):
            self.ranking = rank_frames(scene, run, compare)
        for score in self.ranking:
            item = QListWidgetItem(row_text(score))
            item.setData(256, score.frame)  # Qt.UserRole
            self.frames.addItem(item)
        self.heading.setText(HEADING + " + ".join(score_terms(self.ranking)))
        self.info.setText(f"{len(self.ranking)} frames ranked by run {run!r}.")
        return self.ranking

    def go_to(self, frame: int) -> None:
        self.seen.add(int(frame))
        self.session.viewer.dims.set_current_step(0, int(frame))

    def next_frame(self) -> int | None:
        """Jump to the most uncertain frame not visited yet (starts over after the last)."""
        from rewis3d.review import next_uncertain_frame

        if not self.ranking:
            self.rank()
        frame = next_uncertain_frame(self.ranking, self.seen)
        if frame is None and self.ranking:
            self.seen.clear()
            frame = next_uncertain_frame(self.ranking, self.seen)
        if frame is not None:
            self.go_to(frame)
            row = [s.frame for s in self.ranking].index(frame)
            self.frames.setCurrentRow(row)
        return frame

    # -- accepting -------------------------------------------------------------------------
    def brush_region(self) -> None:
        """A scratch Labels layer to paint the region to accept (any value marks it)."""
        from napari.utils.colormaps import DirectLabelColormap

        session = self.session
        if session.scene is None:
            return
        if self.region_layer is None or self.region_layer not in session.viewer.layers:
            shape = (session.scene.num_frames, *session.scene.image_size)
            self.region_layer = session.viewer.add_labels(
                np.zeros(shape, np.uint8), name=REGION_NAME, opacity=0.7,
                colormap=DirectLabelColormap(color_dict=REGION_COLORS))
            self.region_layer.brush_size = 8
        self.region_layer.selected_label = 1
        self.region_layer.mode = "paint"
        session.viewer.layers.selection.active = self.region_layer
        self.info.setText("Paint over the pixels whose prediction is right, then Accept.")

    def accept_region(self) -> dict[int, int]:
        """Copy the chosen run's prediction inside the brushed region of this frame."""
        from rewis3d.review import accept_prediction

        session, run = self.session, self.run.currentText()
        if self.region_layer is None or session.scene is None or not run:
            self.info.setText("Choose a run and brush a region first.")
            return {}
        frame = session.current_frame
        region = np.asarray(self.region_layer.data[frame]) > 0
        if not region.any():
            self.info.setText(f"Nothing brushed in frame {frame}.")
            return {}
        with session.user_errors("accept the prediction"):
            accepted = accept_prediction(session.scene, run, frame, region)
            self.region_layer.data[frame] = 0
            self.region_layer.refresh()
            self._outline_accepted(frame, region)
            session.reload_labels()
            session.stroke_saved.emit(frame, session.scene.annotations.frame(frame))
            names = {c.id: c.name for c in session.project.classes}
            self.info.setText(f"Frame {frame}: accepted " + ", ".join(
                f"{n} px {names.get(c, c)}" for c, n in accepted.items()) + ".")
            return accepted
        return {}

    def _outline_accepted(self, frame: int, region: np.ndarray) -> None:
        """Accepted pixels take the prediction's colours, so over the prediction they vanish:
        an outline in one bright colour shows what was accepted."""
        from napari.utils.colormaps import DirectLabelColormap

        viewer = self.session.viewer
        if self.accepted_layer is None or self.accepted_layer not in viewer.layers:
            shape = (self.session.scene.num_frames, *self.session.scene.image_size)
            self.accepted_layer = viewer.add_labels(
                np.zeros(shape, np.uint8), name=ACCEPTED_NAME, opacity=1.0,
                colormap=DirectLabelColormap(color_dict=ACCEPTED_COLORS))
            self.accepted_layer.contour = 2
            self.accepted_layer.editable = False
        self.accepted_layer.data[frame][region] = 1
        self.accepted_layer.refresh()
        viewer.layers.selection.active = self.region_layer

    def retrain(self) -> bool:
        run = self.run.currentText()
        if not run or self.retrain_with is None:
            self.info.setText("Choose the run to continue from first.")
            return False
        return self.retrain_with(run)

    def _on_project_changed(self) -> None:
        """Another project: none of this one's runs, rankings or regions may stay."""
        for combo in (self.run, self.compare):
            combo.clear()
        self._on_scene_changed()

    def _on_scene_changed(self) -> None:
        for layer in (self.region_layer, self.accepted_layer):
            if layer is not None and layer in self.session.viewer.layers:
                self.session.viewer.layers.remove(layer)
        self.region_layer = self.accepted_layer = None
        self.seen, self.ranking = set(), []
        self.frames.clear()
        self.info.setText("")
        scene = self.session.scene
        if scene is not None and self.run.currentText() in scene.prediction_names():
            self.rank()  # the predictions panel may have chosen the run before we got here
