"""Run by test_gui_reconstruct.py in its own process: a shown napari window (drawn by software
OpenGL under Xvfb) enters and leaves the 3D view ROUNDS times. A crash in vispy kills only this
process, and the test sees its exit status instead of losing the whole test session.

Usage: python tests/gui/toggle_3d_view.py PROJECT ROUNDS
"""

from __future__ import annotations

import sys
import time


def main(project: str, rounds: int) -> None:
    import napari
    from qtpy.QtWidgets import QApplication

    from rewis3d_gui.dock import Rewis3dDock

    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1600, 1000)
    dock = Rewis3dDock(viewer)
    viewer.window.add_dock_widget(dock, name="Rewis3d")
    app = QApplication.instance()

    def settle(seconds: float) -> None:  # let vispy draw what changed
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    dock.project_panel.open_project(project)
    panel = dock.reconstruction_panel
    panel.choose("simulated")
    settle(0.5)
    for i in range(rounds):
        panel.view_button.click()
        settle(0.3)
        assert viewer.dims.ndisplay == 3 and panel.cloud.layer in viewer.layers
        panel.view_button.click()
        settle(0.3)
        assert viewer.dims.ndisplay == 2 and panel.cloud.layer not in viewer.layers
        print(f"round {i + 1} ok", flush=True)
    viewer.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
