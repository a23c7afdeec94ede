"""Preview panel: labels propagated through 3D into every frame, live while painting.

A stateful ``PropagationPreview`` (rewis3d.geometry) takes each stroke's frame and says which
frames changed. Building it (a stored index, built once per reconstruction; tens of seconds at
60M points) runs in a worker thread, so napari stays usable; strokes painted meanwhile are fed
in when it is ready. After a stroke only the frame on screen is re-rendered at once; the other
changed frames are marked stale and rendered in small slices while the event loop is idle (or
at once when the user moves to one), so a stroke that changes 90 of 100 frames of a 60M-point
scene costs one frame's render, not ninety. The 3D cloud asks the preview for the labels of
its shown subset only.
"""

from __future__ import annotations

import time

import numpy as np
from qtpy.QtCore import QSettings, QTimer
from qtpy.QtWidgets import QCheckBox, QLabel, QProgressBar, QVBoxLayout, QWidget

from rewis3d_gui.background import alive, run_in_background
from rewis3d_gui.layers import labels_to_layer
from rewis3d_gui.session import Session

PREVIEW_OPACITY = 0.45
IDLE_SLICE_MS = 25.0  # render stale frames in slices this long, so the GUI never stalls


class PreviewPanel(QWidget):
    """A toggle, a busy bar while building, and how long the last per-stroke update took."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.preview = None
        self.layer = None
        self.last_update_ms: float | None = None
        self.stale_frames: set[int] = set()  # changed by a stroke, not re-rendered yet
        self._worker = None
        self._generation = 0  # a build whose generation is not current is discarded
        self._stroked_while_building: set[int] = set()
        self.toggle = QCheckBox("Live propagation preview")
        self.toggle.toggled.connect(self.set_enabled)
        self.toggle.toggled.connect(lambda on: _settings().setValue(ENABLED_KEY, on))
        self._wanted = _settings().value(ENABLED_KEY, False, type=bool)  # on at the last exit
        self.bar = QProgressBar()
        self.bar.setFormat("%p%")
        self.bar.setVisible(False)
        self.status = QLabel("Shows your labels spread through the 3D reconstruction into "
                             "every frame (translucent), updated after each stroke.")
        self.status.setWordWrap(True)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(0)
        self._idle.timeout.connect(self._render_stale_slice)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Propagation preview</b>"))
        layout.addWidget(self.toggle)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        session.stroke_saved.connect(self.update_after_stroke)
        session.scene_changed.connect(self._rebuild)
        session.reconstruction_changed.connect(self._rebuild)
        session.classes_changed.connect(self._on_classes_changed)
        session.viewer.dims.events.current_step.connect(self._on_frame_shown)

    @property
    def building(self) -> bool:
        return self._worker is not None

    def set_enabled(self, on: bool) -> None:
        if self.toggle.isChecked() != on:
            self.toggle.setChecked(on)  # comes back here through the signal
            return
        self._generation += 1  # a build still running is now stale
        self._worker = None
        self._remove_layer()
        if on and not self._start_build():
            self._uncheck()

    # -- building (worker thread) ----------------------------------------------------------
    def _start_build(self) -> bool:
        from napari.utils.notifications import show_warning

        from rewis3d.derived.preview import open_preview

        session = self.session
        scene, name = session.scene, session.reconstruction_name
        if scene is None or name is None:
            show_warning("The preview needs a reconstruction: run one in the 3D tab first.")
            return False
        with session.user_errors(f"open reconstruction {name!r}"):
            reconstruction = scene.reconstruction(name)
            num_classes = session.project.num_classes
            generation, start = self._generation, time.perf_counter()
            self._stroked_while_building = set()

            def build(progress):  # 0-90 %: index and labelled frames, 90-100 %: drawing
                preview = open_preview(
                    scene, reconstruction, num_classes,
                    progress=lambda done, total: progress(900 * done // total, 1000))
                frames = np.zeros((scene.num_frames, *scene.image_size), dtype=np.uint16)
                for f in range(scene.num_frames):
                    frames[f] = labels_to_layer(preview.frame_labels(f)[0])
                    progress(900 + 100 * (f + 1) // scene.num_frames, 1000)
                return preview, frames

            self._worker = run_in_background(
                build, self.bar, f"build the preview over {name!r}",
                lambda result: self._built(generation, name, start, *result))
            self._worker.errored.connect(lambda _exc: self._build_failed(generation))
            self.status.setText(f"Building the preview over {name!r} (once per "
                                "reconstruction; you can keep painting)...")
            return True
        return False

    def _built(self, generation: int, name: str, start: float, preview, frames) -> None:
        if generation != self._generation or not alive(self):
            return  # toggled off, the scene or reconstruction changed, or napari closed
        self._worker = None
        session = self.session
        if preview.num_classes != session.project.num_classes:  # classes added meanwhile
            self._rebuild()
            return
        for f in sorted(self._stroked_while_building):  # strokes painted during the build
            for g in preview.update_frame(f, session.scene.annotations.frame(f)):
                frames[g] = labels_to_layer(preview.frame_labels(g)[0])
        self.preview = preview
        self.layer = session.viewer.add_labels(
            frames, name=f"{session.scene.name} preview", opacity=PREVIEW_OPACITY,
            blending="translucent", colormap=session.class_colormap(),
            metadata={"rewis3d_preview": True},
        )
        self.layer.editable = False
        layers = session.viewer.layers
        layers.move(layers.index(self.layer), layers.index(session.labels_layer))
        layers.selection.active = session.labels_layer
        session.colored_layers.append(self.layer)
        session.set_propagation(preview)
        elapsed = 1000 * (time.perf_counter() - start)
        self.status.setText(f"Preview over {name!r} built in {elapsed:.0f} ms.")

    def _build_failed(self, generation: int) -> None:
        if generation == self._generation and alive(self):
            self._worker = None
            self._uncheck()

    # -- per stroke (GUI thread) -----------------------------------------------------------
    def update_after_stroke(self, frame: int, labels: np.ndarray) -> None:
        """Feed the stroke's frame to the preview; redraw the shown frame if it changed."""
        if self.building:
            self._stroked_while_building.add(frame)
            return
        if self.preview is None:
            return
        start = time.perf_counter()
        changed = self.preview.update_frame(frame, labels)
        self.stale_frames |= changed
        shown = self.session.current_frame
        if shown in self.stale_frames:
            self._render(shown)
            self.layer.refresh()
        if changed:
            self.session.set_propagation(self.preview)
        if self.stale_frames:
            self._idle.start()
        self.last_update_ms = 1000 * (time.perf_counter() - start)
        self.status.setText(f"Last stroke: {len(changed)} frame(s) changed; shown frame "
                            f"updated in {self.last_update_ms:.0f} ms.")

    def _render(self, frame: int) -> None:
        self.layer.data[frame] = labels_to_layer(self.preview.frame_labels(frame)[0])
        self.stale_frames.discard(frame)

    def _render_stale_slice(self) -> None:
        """Render the stale frames nearest the shown one until the slice's time is up."""
        if self.preview is None or not self.stale_frames:
            return
        shown = self.session.current_frame
        deadline = time.perf_counter() + IDLE_SLICE_MS / 1000
        for f in sorted(self.stale_frames, key=lambda f: abs(f - shown)):
            self._render(f)
            if time.perf_counter() > deadline:
                break
        if self.stale_frames:
            self._idle.start()
        elif self.session.viewer.dims.ndisplay == 3:
            self.layer.refresh()  # a 3D view shows every frame at once

    def _on_frame_shown(self, _event=None) -> None:
        if self.preview is not None and self.session.current_frame in self.stale_frames:
            self._render(self.session.current_frame)
            self.layer.refresh()

    # -- bookkeeping -----------------------------------------------------------------------
    def _rebuild(self, *_) -> None:
        """A new scene or reconstruction: build again if the preview is on, or was on when
        napari was last closed (and there is something to build over)."""
        wanted = self._wanted and self.session.reconstruction_name is not None
        self._wanted = False
        if self.toggle.isChecked() or wanted:
            self.set_enabled(True)

    def _on_classes_changed(self) -> None:
        project = self.session.project
        if self.preview is not None and project.num_classes != self.preview.num_classes:
            self._rebuild()

    def _uncheck(self) -> None:
        self.toggle.blockSignals(True)
        self.toggle.setChecked(False)
        self.toggle.blockSignals(False)

    def _remove_layer(self) -> None:
        self._idle.stop()
        self.stale_frames = set()
        if self.layer is not None:
            if self.layer in self.session.colored_layers:
                self.session.colored_layers.remove(self.layer)
            if self.layer in self.session.viewer.layers:
                self.session.viewer.layers.remove(self.layer)
            self.session.set_propagation(None)
        self.layer = self.preview = None


ENABLED_KEY = "preview/enabled"


def _settings() -> QSettings:
    """The plugin's user settings (Qt's per-user store: ~/.config/rewis3d/napari-plugin.conf)."""
    return QSettings("rewis3d", "napari-plugin")
