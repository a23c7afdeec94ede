"""The npe2 reader opens a project in a real napari viewer (Xvfb)."""

import numpy as np
import pytest

pytest.importorskip("napari")
pytestmark = pytest.mark.gui


def test_reader_refuses_other_folders(tmp_path):
    from rewis3d_gui._reader import get_reader

    assert get_reader(str(tmp_path)) is None


def test_reader_claims_folders_only(tmp_path, tiny_project):
    """Ordinary files get no 'choose a reader' dialog because of us; folders still can."""
    from npe2 import PluginManager

    image = tmp_path / "photo.png"
    image.write_bytes(b"")

    manager = PluginManager.instance()
    manager.discover()  # run alone, nothing has loaded the installed manifests yet

    def ours(path):
        return [r.command for r in manager.iter_compatible_readers([path])
                if r.command.startswith("rewis3d.")]

    assert ours(str(image)) == []
    assert ours(str(tiny_project.path)) == ["rewis3d.get_reader"]


def test_open_project_in_viewer(make_napari_viewer, tiny_project):
    tiny_project.scene("s").annotations.add_stroke(1, 2, np.array([[3, 4]]))
    viewer = make_napari_viewer()
    viewer.open(str(tiny_project.path), plugin="rewis3d")
    names = [layer.name for layer in viewer.layers]
    assert names == ["s rgb", "s labels"]
    labels = viewer.layers["s labels"].data
    assert labels.shape == (3, 12, 16)
    assert labels[1, 3, 4] == 3 and (labels != 0).sum() == 1  # class 2 -> layer value 3
