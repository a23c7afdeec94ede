"""Every tab of the dock at napari's default window size and at 1600x1000, to check that the
layouts hold: `xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/gui_screenshots_sizes.py`.

Saves docs/images/sizes/<size>_<tab>.png, with a labelled frame, a reconstruction shown in 3D
and one run's predictions, so no tab is empty.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_screenshots import OUT, scribble_along, settle  # noqa: E402

SIZES = {"default": None, "1600x1000": (1600, 1000)}


def main() -> None:
    import tempfile

    import napari
    from qtpy.QtWidgets import QApplication

    from rewis3d.synthetic import SceneConfig, sample_into_project
    from rewis3d_gui.dock import Rewis3dDock

    out = OUT / "sizes"
    out.mkdir(parents=True, exist_ok=True)
    project = Path(tempfile.mkdtemp(prefix="rewis3d-sizes-")) / "street"
    sample_into_project(project, SceneConfig(kind="street", frames=8, width=160, height=120,
                                             seed=0))
    for size_name, size in SIZES.items():
        viewer = napari.Viewer(title="Rewis3d", show=True)
        if size is not None:
            viewer.window._qt_window.resize(*size)
        dock = Rewis3dDock(viewer)
        viewer.window.add_dock_widget(dock, name="Rewis3d", area="right")
        app = QApplication.instance()
        dock.project_panel.open_project(project)
        session = dock.session
        if size_name == "default":  # label once, predict once: the project keeps them
            rng = np.random.default_rng(3)
            gt = np.asarray(session.scene.gt[0])
            for class_id in (0, 2, 4):
                session.select_class(class_id)
                scribble_along(session.labels_layer, 0, gt, class_id, rng)
            scene = session.scene
            with scene.prediction_writer("run-1") as writer:
                for f in range(scene.num_frames):
                    writer.write(f, np.asarray(scene.gt[f]),
                                 np.full(scene.image_size, 0.8, np.float32))
        settle(app, 1.0)
        window = viewer.window._qt_window
        print(f"{size_name}: window {window.width()}x{window.height()}")
        for i in range(dock.tabs.count()):
            dock.tabs.setCurrentIndex(i)
            tab = dock.tabs.tabText(i).lower()
            if tab == "3d":
                dock.reconstruction_panel.view_button.setChecked(True)
                dock.reconstruction_panel.set_color_mode("label")
            settle(app, 0.8)
            path = out / f"{size_name}_{tab}.png"
            window.grab().save(str(path))
            print("saved", path)
            if tab == "3d":
                dock.reconstruction_panel.view_button.setChecked(False)
        viewer.close()
        settle(app, 0.5)


if __name__ == "__main__":
    main()
