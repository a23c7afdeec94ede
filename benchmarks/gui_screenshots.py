"""Screenshots of each panel in use, for docs/gui.md: `xvfb-run -a python benchmarks/gui_screenshots.py`.

Renders a small street project into a temporary folder, draws scribbles where the ground truth
says each class is, and saves the whole window (docks included) at every step.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"


def settle(app, seconds: float = 0.3) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)


def scribble_along(layer, frame: int, gt: np.ndarray, class_id: int, rng) -> None:
    """A wavy scribble across the middle of ``class_id`` on a random row, kept inside it."""
    rows = np.flatnonzero((gt == class_id).sum(axis=1) > 12)
    if not len(rows):
        return
    v0 = int(rng.choice(rows[len(rows) // 4: max(3 * len(rows) // 4, len(rows) // 4 + 1)]))
    cols = np.flatnonzero(gt[v0] == class_id)
    us = np.arange(cols[len(cols) // 6], cols[5 * len(cols) // 6] + 1, 2)
    layer._begin_stroke()  # one mouse drag = one stroke = one paint event
    for i, u in enumerate(us):
        v = int(np.clip(v0 + 2 * np.sin(i / 3), 0, gt.shape[0] - 1))
        if gt[v, u] == class_id:
            layer.paint((frame, v, int(u)), class_id + 1, refresh=False)
    layer._commit_stroke()
    layer.refresh()


def scribble_frames(session, frames, classes=(0, 1, 2, 3, 4, 6), seed: int = 3) -> None:
    """Scribbles on ``frames`` along the ground truth of ``classes``, as a person would."""
    rng = np.random.default_rng(seed)
    for frame in frames:
        gt = np.asarray(session.scene.gt[frame])
        for class_id in classes:
            session.select_class(class_id)
            scribble_along(session.labels_layer, frame, gt, class_id, rng)


def sample_viewer(prefix: str, size: tuple[int, int], settle_s: float = 0.3):
    """A 12-frame synthetic street project, napari with the dock, and a ``shot(name)`` that
    settles the event loop and saves the window to docs/images/gui_<name>.png."""
    import napari
    from qtpy.QtWidgets import QApplication

    from rewis3d.synthetic import SceneConfig, sample_into_project
    from rewis3d_gui.dock import Rewis3dDock

    OUT.mkdir(parents=True, exist_ok=True)
    project = Path(tempfile.mkdtemp(prefix=prefix)) / "street"
    sample_into_project(project, SceneConfig(kind="street", frames=12, width=160, height=120,
                                             seed=0))
    viewer = napari.Viewer(title="Rewis3d", show=True)
    viewer.window._qt_window.resize(*size)
    dock = Rewis3dDock(viewer)
    viewer.window.add_dock_widget(dock, name="Rewis3d", area="right")
    app = QApplication.instance()

    def shot(name: str) -> None:
        settle(app, settle_s)
        viewer.window._qt_window.grab().save(str(OUT / f"gui_{name}.png"))
        print("saved", OUT / f"gui_{name}.png")

    return project, viewer, dock, app, shot


def main() -> None:
    project, viewer, dock, app, shot = sample_viewer("rewis3d-shots-", (1500, 900))
    session = dock.session

    dock.project_panel.open_project(project)
    dock.tabs.setCurrentIndex(0)
    shot("project")

    dock.tabs.setCurrentIndex(1)
    rng = np.random.default_rng(3)
    layer = session.labels_layer
    dock.annotate_panel.set_tool("scribble")
    for frame in (0, 6):
        gt = np.asarray(session.scene.gt[frame])
        for class_id in (0, 1, 2, 3, 4, 6):
            session.select_class(class_id)
            scribble_along(layer, frame, gt, class_id, rng)
    session.select_class(3)
    viewer.dims.set_current_step(0, 0)
    shot("annotate")

    dock.preview_panel.toggle.setChecked(True)
    while dock.preview_panel.building:  # built in a worker thread
        settle(app, 0.05)
    viewer.dims.set_current_step(0, 3)
    session.viewer.layers.selection.active = session.labels_layer
    shot("preview")

    dock.tabs.setCurrentIndex(2)
    panel = dock.reconstruction_panel
    panel.backend.setCurrentText("sensor-depth")
    worker = panel.run()
    settle(app, 0.05)
    while worker.is_running:
        settle(app, 0.05)
    settle(app, 0.5)
    while dock.preview_panel.building:  # the preview follows the new reconstruction
        settle(app, 0.05)
    panel.view_button.setChecked(True)
    shot("3d_rgb")
    panel.set_color_mode("label")
    shot("3d_labels")
    panel.choose("simulated")
    panel.set_color_mode("confidence")
    panel.threshold.setValue(12)
    shot("3d_confidence")
    viewer.close()


if __name__ == "__main__":
    sys.exit(main())
