"""`make app`: napari opens with the dock and a project's layers."""

import pytest

pytest.importorskip("napari")
pytestmark = pytest.mark.gui


def test_app_opens_the_project_with_the_dock(tiny_project):
    from rewis3d_gui.app import build_viewer

    viewer = build_viewer(str(tiny_project.path), show=False)
    try:
        names = [layer.name for layer in viewer.layers]
        assert any(n.endswith("rgb") for n in names) and any(n.endswith("labels") for n in names)
        assert "Rewis3d" in viewer.window.dock_widgets
    finally:
        viewer.close()
