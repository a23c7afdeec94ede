"""Project, classes and annotation panels against the store, in a real viewer (Xvfb)."""

import numpy as np
import pytest

from rewis3d.store import IGNORE_INDEX, Project

pytestmark = pytest.mark.gui


def test_open_select_paint_and_reopen(dock, street_project, make_napari_viewer):
    from rewis3d_gui.dock import Rewis3dDock

    session = dock.session
    assert dock.project_panel.open_project(street_project)
    assert session.scene.name == "street"
    assert [ly.name for ly in session.viewer.layers] == ["street rgb", "street labels"]

    dock.classes_panel.list.setCurrentRow(3)  # the user clicks "vehicle"
    assert session.selected_class == 3 and session.labels_layer.selected_label == 4

    layer = session.labels_layer
    dock.annotate_panel.set_tool("point")
    dock.annotate_panel.point_radius.setValue(2)
    session.viewer.dims.set_current_step(0, 1)
    layer.paint((1, 20, 30), layer.selected_label)  # the layer's own painting API
    disk = Project.open(street_project).scene("street").annotations.frame(1)
    assert disk[20, 30] == 3
    assert (disk == 3).sum() == 21  # a disk of radius 2 (brush 5: |d| <= 2.5)
    assert dock.annotate_panel.frames.item(0).text() == "frame 1: 21 px"

    # A second viewer on the same folder sees the stroke: it was saved as it ended.
    other = Rewis3dDock(make_napari_viewer())
    assert other.session.open_project(street_project)
    assert other.session.labels_layer.data[1, 20, 30] == 4
    journal = other.session.scene.annotations.journal()
    assert journal[-1]["tool"] == "point" and journal[-1]["class"] == 3


def test_erase_polygon_undo_redo(dock, street_project):
    session = dock.session
    dock.project_panel.open_project(street_project)
    layer = session.labels_layer
    annotations = session.scene.annotations
    session.select_class(0)
    dock.annotate_panel.set_tool("polygon")
    layer.paint_polygon(np.array([[0, 5, 5], [0, 5, 20], [0, 15, 20], [0, 15, 5]]), 1)
    filled = annotations.frame(0) == 0
    assert filled.sum() > 100

    dock.annotate_panel.set_tool("eraser")
    assert layer.mode == "erase"
    layer.paint((0, 10, 10), 0)
    after_erase = annotations.frame(0)
    assert after_erase[10, 10] == IGNORE_INDEX and (after_erase == 0).sum() < filled.sum()

    dock.annotate_panel.undo()
    np.testing.assert_array_equal(annotations.frame(0) == 0, filled)
    dock.annotate_panel.redo()
    np.testing.assert_array_equal(annotations.frame(0), after_erase)
    dock.annotate_panel.undo()
    dock.annotate_panel.undo()
    assert annotations.labelled_counts() == {}
    assert not dock.annotate_panel.frames.count()


def test_tools_configure_the_layer(dock, street_project):
    dock.project_panel.open_project(street_project)
    layer, panel = dock.session.labels_layer, dock.annotate_panel
    panel.point_radius.setValue(4)
    panel.set_tool("point")
    assert (layer.mode, layer.brush_size) == ("paint", 9)
    panel.brush_width.setValue(5)
    panel.set_tool("scribble")
    assert layer.brush_size == 5
    panel.set_tool("coarse")
    assert layer.brush_size == 31


def test_classes_add_rename_recolour_follow_everywhere(dock, street_project):
    session = dock.session
    dock.project_panel.open_project(street_project)
    panel = dock.classes_panel
    assert panel.list.count() == 7
    assert panel.add_class("cone", "#ff8800")
    assert session.selected_class == 7 and panel.list.count() == 8
    assert panel.rename_selected("traffic cone")
    assert panel.recolor_selected((0, 255, 0))
    project = Project.open(street_project)
    assert project.classes[7].name == "traffic cone" and project.classes[7].color == (0, 255, 0)
    color = session.labels_layer.colormap.map(np.array([8]))[0]
    np.testing.assert_allclose(color, [0, 1, 0, 1])
    assert panel.list.item(7).text() == "[8] traffic cone"


def test_number_keys_select_classes(dock, street_project):
    dock.project_panel.open_project(street_project)
    dock.annotate_panel.set_tool("scribble")
    keys = dock.session.viewer.window._qt_viewer.canvas._key_map_handler  # the canvas' keys
    keys.press_key("3")
    keys.release_key("3")
    assert dock.session.selected_class == 2
    assert dock.classes_panel.list.currentRow() == 2
    assert dock.session.labels_layer.mode == "paint"  # not napari's "3 = polygon" any more


def test_number_keys_are_advertised_as_classes_not_as_napari_modes(dock, street_project):
    from qtpy.QtWidgets import QAbstractButton

    dock.project_panel.open_project(street_project)
    layer = dock.session.labels_layer
    for mode in ("paint", "erase", "polygon"):
        layer.mode = mode
        assert layer.help.startswith("1-9: select a class (Rewis3d)")
        assert "use <1>" not in layer.help and "use <2>" not in layer.help
    controls = dock.session.viewer.window._qt_viewer.controls.widgets[layer]
    tips = [b.toolTip() for b in controls.findChildren(QAbstractButton) if b.toolTip()]
    assert "Activate the label eraser (E) " in tips and "Activate the paint brush (P) " in tips
    assert not any(f"({d}" in tip or f"({d})" in tip for tip in tips for d in "1234567")
