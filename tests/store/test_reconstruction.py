import numpy as np
import pytest

from rewis3d.errors import StoreError, StoreValidationError
from rewis3d.store import Project, ReconstructionData
from tests.conftest import tree_snapshot


def _views():
    rng = np.random.default_rng(0)
    views = {}
    for f, n in ((0, 4), (2, 3)):
        views[f] = dict(
            points=rng.normal(size=(n, 3)), colors=rng.integers(0, 255, (n, 3)),
            conf=np.ones(n), pixel=np.stack([np.arange(n), np.arange(n) + 1], 1),
        )
    return views


def test_write_and_read_grouped_by_frame(tiny_project):
    scene = tiny_project.scene("s")
    data = ReconstructionData.from_views(3, _views())
    assert list(data.frame_ptr) == [0, 4, 4, 7]
    scene.write_reconstruction("r", data, {"backend": "test"})
    rec = Project.open(tiny_project.path).scene("s").reconstruction("r")
    assert rec.num_points == 7 and rec.attrs["backend"] == "test"
    view = rec.view(2)
    assert view["points"].shape == (3, 3) and list(view["index"]) == [4, 5, 6]
    assert rec.view(1)["points"].shape == (0, 3)
    np.testing.assert_allclose(rec.load().points, data.points)


def test_invalid_reconstruction_rejected_store_unchanged(tiny_project):
    scene = tiny_project.scene("s")
    before = tree_snapshot(tiny_project.path)
    data = ReconstructionData.from_views(3, _views())
    data.pixel[0] = (12, 0)  # v == H is outside
    with pytest.raises(StoreValidationError, match="outside the 16x12 frames"):
        scene.write_reconstruction("r", data, {})
    data = ReconstructionData.from_views(3, _views())
    data.points[1, 0] = np.nan
    with pytest.raises(StoreValidationError, match="NaN"):
        scene.write_reconstruction("r", data, {})
    data = ReconstructionData.from_views(3, _views())
    data.frame_ptr[1] = 3
    with pytest.raises(StoreValidationError, match="frame_ptr"):
        scene.write_reconstruction("r", data, {})
    with pytest.raises(StoreValidationError, match="outside 0..2"):
        ReconstructionData.from_views(3, {5: _views()[0]})
    assert tree_snapshot(tiny_project.path) == before


def test_missing_reconstruction_message(tiny_project):
    with pytest.raises(StoreError, match="no reconstruction 'x'.*rewis3d reconstruct"):
        tiny_project.scene("s").reconstruction("x")


def test_overwrite_refused_unless_asked(tiny_project):
    scene = tiny_project.scene("s")
    data = ReconstructionData.from_views(3, _views())
    scene.write_reconstruction("r", data, {"v": 1})
    with pytest.raises(StoreError, match="exists"):
        scene.write_reconstruction("r", data, {"v": 2}, overwrite=False)
    assert scene.write_reconstruction("r", data, {"v": 3}).attrs["v"] == 3


def test_predictions_replace_only_on_success(tiny_project):
    scene = tiny_project.scene("s")
    with scene.prediction_writer("run1") as w:
        for f in range(3):
            w.write(f, np.full((12, 16), f, np.uint8), np.full((12, 16), 0.5, np.float32))
        w.set_attrs(checkpoint="last")
    with pytest.raises(RuntimeError), scene.prediction_writer("run1") as w:
        w.write(0, np.zeros((12, 16), np.uint8), np.zeros((12, 16), np.float32))
        raise RuntimeError("disk full")
    pred = scene.predictions("run1")
    assert pred.attrs["checkpoint"] == "last"
    assert int(pred.labels[2].max()) == 2 and scene.prediction_names() == ["run1"]
    with pytest.raises(StoreValidationError, match="expected"), scene.prediction_writer("r2") as w:
        w.write(0, np.zeros((3, 3), np.uint8), np.zeros((3, 3), np.float32))
    assert scene.prediction_names() == ["run1"]
