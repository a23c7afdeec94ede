"""The npe2 contributions: the dock widget, sample data (adopted by the panels), the writer."""

import shutil

import numpy as np
import pytest

pytestmark = pytest.mark.gui


def test_dock_widget_and_sample_data(make_napari_viewer, _street_template, tmp_path,
                                     monkeypatch):
    from rewis3d_gui.dock import Rewis3dDock

    monkeypatch.setenv("REWIS3D_CACHE_DIR", str(tmp_path))
    shutil.copytree(_street_template, tmp_path / "sample-street")  # as if rendered before
    viewer = make_napari_viewer()
    _, dock = viewer.window.add_plugin_dock_widget("rewis3d", "Rewis3d")
    assert isinstance(dock, Rewis3dDock)
    viewer.open_sample("rewis3d", "street")
    session = dock.session
    assert session.scene is not None and session.scene.name == "street"
    assert session.labels_layer is viewer.layers["street labels"]
    assert dock.classes_panel.list.count() == 7 and dock.project_panel.scenes.count() == 1
    session.select_class(1)
    session.labels_layer.paint((2, 10, 10), 2)  # a sample's layer is wired to the store too
    assert session.scene.annotations.frame(2)[10, 10] == 1


def test_sample_is_rendered_once_into_the_cache(tmp_path, monkeypatch):
    from rewis3d.store import Project
    from rewis3d_gui import sample_data

    monkeypatch.setenv("REWIS3D_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(sample_data, "SAMPLE_SIZE", {"frames": 2, "width": 32, "height": 24})
    path = sample_data.sample_project("room")
    assert Project.open(path).scene("room").num_frames == 2
    stamp = (path / "rewis3d.zarr" / "zarr.json").stat().st_mtime_ns
    assert sample_data.sample_project("room") == path
    assert (path / "rewis3d.zarr" / "zarr.json").stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob("*.partial"))


def test_writer_saves_a_labels_layer_into_the_project(make_napari_viewer, street_project):
    import napari

    from rewis3d.store import Project

    viewer = make_napari_viewer()
    viewer.open(str(street_project), plugin="rewis3d")
    layer = viewer.layers["street labels"]
    layer.data[3, :5, :5] = 7  # class 6 (sky), set without any paint event
    napari.save_layers(str(street_project), [layer], plugin="rewis3d")
    saved = Project.open(street_project).scene("street").annotations
    assert (saved.frame(3) == 6).sum() == 25 and saved.labelled_frames() == [3]
    assert saved.journal()[-1]["source"] == "napari-writer"


def test_writer_refuses_a_layer_it_cannot_place(tiny_project):
    from rewis3d.errors import StoreError
    from rewis3d_gui._writer import write_labels

    with pytest.raises(StoreError, match="which scene"):
        write_labels(str(tiny_project.path), np.zeros((2, 5, 5), np.uint16), {})
