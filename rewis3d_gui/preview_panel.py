"""Preview panel: labels propagated through 3D into every frame, live while painting.

A stateful ``PropagationPreview`` (rewis3d.geometry) takes each stroke's frame and says which
frames changed; only those are re-rendered into a translucent Labels layer under the
annotations, and the cloud's labels are updated for the 3D view.
"""

from __future__ import annotations

import time

import numpy as np
from qtpy.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from rewis3d_gui.layers import labels_to_layer
from rewis3d_gui.session import Session

PREVIEW_OPACITY = 0.45


class PreviewPanel(QWidget):
    """A toggle, and how long the last per-stroke update took."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.preview = None
        self.layer = None
        self.last_update_ms: float | None = None
        self.toggle = QCheckBox("Live propagation preview")
        self.toggle.toggled.connect(self.set_enabled)
        self.status = QLabel("Shows your labels spread through the 3D reconstruction into "
                             "every frame (translucent), updated after each stroke.")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Propagation preview</b>"))
        layout.addWidget(self.toggle)
        layout.addWidget(self.status)
        session.stroke_saved.connect(self.update_after_stroke)
        session.scene_changed.connect(self._rebuild)
        session.reconstruction_changed.connect(self._rebuild)
        session.classes_changed.connect(self._on_classes_changed)

    def set_enabled(self, on: bool) -> None:
        if self.toggle.isChecked() != on:
            self.toggle.setChecked(on)  # comes back here through the signal
            return
        self._remove_layer()
        if on and not self._build():
            self.toggle.blockSignals(True)
            self.toggle.setChecked(False)
            self.toggle.blockSignals(False)

    def _build(self) -> bool:
        from napari.utils.notifications import show_warning

        from rewis3d.geometry import PropagationPreview

        session = self.session
        scene, name = session.scene, session.reconstruction_name
        if scene is None or name is None:
            show_warning("The preview needs a reconstruction: run one in the 3D tab first.")
            return False
        with session.user_errors(f"build the preview over {name!r}"):
            start = time.perf_counter()
            self.preview = PropagationPreview.from_scene(
                scene, scene.reconstruction(name), session.project.num_classes)
            frames = [self.preview.frame_labels(f)[0] for f in range(scene.num_frames)]
            self.layer = session.viewer.add_labels(
                labels_to_layer(np.stack(frames)), name=f"{scene.name} preview",
                opacity=PREVIEW_OPACITY, blending="translucent", colormap=session.class_colormap(),
                metadata={"rewis3d_preview": True},
            )
            self.layer.editable = False
            layers = session.viewer.layers
            layers.move(layers.index(self.layer), layers.index(session.labels_layer))
            layers.selection.active = session.labels_layer
            session.colored_layers.append(self.layer)
            session.set_propagated_labels(self.preview.point_labels())
            elapsed = 1000 * (time.perf_counter() - start)
            self.status.setText(f"Preview over {name!r} built in {elapsed:.0f} ms.")
            return True
        return False

    def update_after_stroke(self, frame: int, labels: np.ndarray) -> None:
        """Feed the stroke's frame to the preview and redraw the frames whose labels changed."""
        if self.preview is None:
            return
        start = time.perf_counter()
        changed = self.preview.update_frame(frame, labels)
        for f in sorted(changed):
            self.layer.data[f] = labels_to_layer(self.preview.frame_labels(f)[0])
        if changed:
            self.layer.refresh()
            self.session.set_propagated_labels(self.preview.point_labels())
        self.last_update_ms = 1000 * (time.perf_counter() - start)
        self.status.setText(f"Last stroke: {len(changed)} frame(s) updated in "
                            f"{self.last_update_ms:.0f} ms.")

    def _rebuild(self, *_) -> None:
        if self.toggle.isChecked():
            self.set_enabled(True)

    def _on_classes_changed(self) -> None:
        project = self.session.project
        if self.preview is not None and project.num_classes != self.preview.num_classes:
            self._rebuild()

    def _remove_layer(self) -> None:
        if self.layer is not None:
            if self.layer in self.session.colored_layers:
                self.session.colored_layers.remove(self.layer)
            if self.layer in self.session.viewer.layers:
                self.session.viewer.layers.remove(self.layer)
            self.session.set_propagated_labels(None)
        self.layer = self.preview = None
