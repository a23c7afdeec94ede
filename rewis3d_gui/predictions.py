"""Predictions in the viewer by themselves: a Labels layer and a confidence image per run.

A timer looks at the scene's ``predictions/`` folder once a second (a few ``stat`` calls). The
store swaps a run's predictions in with one rename, so a new or changed folder is always
complete; it is (re)loaded into its layers whoever wrote it: a GUI job, ``rewis3d predict`` in a
terminal, or a job that ran while napari was closed. Two runs are compared by toggling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from psygnal import Signal
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rewis3d_gui.layers import labels_to_layer
from rewis3d_gui.session import Session

WATCH_MS = 1000
PREDICTION_OPACITY = 0.6


def lazy_layer_data(prediction) -> tuple:
    """Labels (as layer values) and confidence as dask arrays over the stored frames: napari
    reads only the frames it shows, so a long scene's predictions appear at once and hold no
    memory (one frame per chunk, as the store writes them)."""
    import dask.array as da

    shape = prediction.labels.shape
    chunks = (1, *shape[1:])
    labels = da.from_array(prediction.labels, chunks=chunks, name=False,
                           asarray=True).map_blocks(labels_to_layer, dtype=np.uint16)
    confidence = da.from_array(prediction.confidence, chunks=chunks, name=False, asarray=True)
    return labels, confidence.astype(np.float32)


def _signature(path: Path) -> tuple[int, int] | None:
    """Changes when the run's folder is replaced (a rename: new inode) or rewritten."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


class PredictionsPanel(QWidget):
    """Loads every run's predictions of the shown scene; picks which run is visible."""

    runs_changed = Signal(list)  # the runs with layers, newest last

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.layers: dict[str, tuple] = {}  # run -> (labels layer, confidence layer)
        self._signatures: dict[str, tuple[int, int] | None] = {}
        self.run_a, self.run_b = QComboBox(), QComboBox()
        self.run_a.currentTextChanged.connect(lambda _: self.show_run(self.run_a.currentText()))
        self.toggle_button = QPushButton("Toggle A / B")
        self.toggle_button.clicked.connect(self.toggle)
        self.show_confidence = QCheckBox("Show confidence (dark = unsure)")
        self.show_confidence.toggled.connect(lambda _: self.show_run(self.visible_run()))
        self.info = QLabel("Predictions of finished runs appear here by themselves.")
        self.info.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Run A", self.run_a)
        form.addRow("Run B", self.run_b)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Predictions</b>"))
        layout.addLayout(form)
        layout.addWidget(self.toggle_button)
        layout.addWidget(self.show_confidence)
        layout.addWidget(self.info)
        self.timer = QTimer(self)
        self.timer.setInterval(WATCH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        session.scene_changed.connect(self._on_scene_changed)
        session.project_changed.connect(self._on_scene_changed)  # New…/Open…: drop the old runs
        session.classes_changed.connect(self._recolor)

    # -- loading ---------------------------------------------------------------------------
    def refresh(self) -> list[str]:
        """Load predictions that are new or changed since the last look; returns their runs."""
        scene = self.session.scene
        if scene is None:
            return []
        changed = []
        on_disk = set(scene.prediction_names())
        for run in sorted(on_disk):
            signature = _signature(scene.path / "predictions" / run)
            if signature != self._signatures.get(run):
                with self.session.user_errors(f"load the predictions of run {run!r}"):
                    self._load(run)
                    self._signatures[run] = signature
                    changed.append(run)
        for run in set(self.layers) - on_disk:
            self._remove(run)
        if changed or set(self._signatures) - on_disk:
            self._signatures = {r: s for r, s in self._signatures.items() if r in on_disk}
            self._update_choices(newest=changed[-1] if changed else None)
        return changed

    def load_run(self, run: str) -> bool:
        """Load what is new on disk; whether ``run``'s predictions are layers now."""
        self.refresh()
        return run in self.layers

    def _load(self, run: str) -> None:
        session = self.session
        prediction = session.scene.predictions(run)
        labels, confidence = lazy_layer_data(prediction)
        if run in self.layers:
            labels_layer, conf_layer = self.layers[run]
            labels_layer.data, conf_layer.data = labels, confidence
            return
        viewer, meta = session.viewer, {"rewis3d_prediction": run}
        conf_layer = viewer.add_image(confidence, name=f"{run} confidence", colormap="magma",
                                      contrast_limits=(0.0, 1.0), visible=False, metadata=meta)
        labels_layer = viewer.add_labels(labels, name=f"{run} prediction",
                                         colormap=session.class_colormap(),
                                         opacity=PREDICTION_OPACITY, metadata=dict(meta))
        labels_layer.editable = False
        if session.labels_layer is not None:  # the annotations stay on top, to paint on
            for layer in (conf_layer, labels_layer):
                viewer.layers.move(viewer.layers.index(layer),
                                   viewer.layers.index(session.labels_layer))
            viewer.layers.selection.active = session.labels_layer
        session.colored_layers.append(labels_layer)
        self.layers[run] = (labels_layer, conf_layer)

    def _remove(self, run: str) -> None:
        for layer in self.layers.pop(run, ()):
            if layer in self.session.colored_layers:
                self.session.colored_layers.remove(layer)
            if layer in self.session.viewer.layers:
                self.session.viewer.layers.remove(layer)

    def _on_scene_changed(self) -> None:
        for run in list(self.layers):
            self._remove(run)
        self._signatures = {}
        self._update_choices(None)
        self.refresh()

    def _recolor(self) -> None:
        for labels_layer, _ in self.layers.values():
            labels_layer.colormap = self.session.class_colormap()

    # -- choosing and comparing ------------------------------------------------------------
    def _update_choices(self, newest: str | None) -> None:
        runs = sorted(self.layers)
        keep_b = self.run_b.currentText()
        for combo in (self.run_a, self.run_b):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(runs)
            combo.blockSignals(False)
        shown = newest or self.visible_run() or (runs[-1] if runs else None)
        others = [r for r in runs if r != shown]
        if keep_b in others or others:
            self.run_b.setCurrentText(keep_b if keep_b in others else others[-1])
        if shown:
            self.run_a.setCurrentText(shown)
            self.show_run(shown)
        self.info.setText(f"{len(runs)} run(s) with predictions." if runs else
                          "Predictions of finished runs appear here by themselves.")
        self.runs_changed.emit(runs)

    def visible_run(self) -> str | None:
        return next((run for run, (layer, _) in self.layers.items() if layer.visible), None)

    def show_run(self, run: str | None) -> None:
        """Show ``run``'s prediction (and confidence, if ticked); hide every other run."""
        for name, (labels_layer, conf_layer) in self.layers.items():
            labels_layer.visible = name == run
            conf_layer.visible = name == run and self.show_confidence.isChecked()

    def toggle(self) -> None:
        """Flip between run A and run B, to see where they differ."""
        a, b = self.run_a.currentText(), self.run_b.currentText()
        self.show_run(b if self.visible_run() == a else a)
