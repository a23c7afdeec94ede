"""Optional uncertainty maps of predictions: entropy and 3D disagreement."""

import numpy as np
import pytest
import zarr

from rewis3d.errors import StoreValidationError
from rewis3d.store import Project
from rewis3d.store.predictions import NO_POINT
from tests.conftest import tree_snapshot

H, W = 12, 16


def _frame(f):
    labels = np.full((H, W), f % 3, np.uint8)
    entropy = np.linspace(0, 1, H * W, dtype=np.float32).reshape(H, W)
    disagreement = np.zeros((H, W), np.uint8)
    disagreement[0] = 1
    disagreement[-1] = NO_POINT
    return labels, np.full((H, W), 0.7, np.float32), entropy, disagreement


def test_old_format_predictions_open_without_the_maps(tiny_project):
    scene = tiny_project.scene("s")
    with scene.prediction_writer("old") as writer:
        for f in range(3):
            labels, conf, _, _ = _frame(f)
            writer.write(f, labels, conf)
    prediction = Project.open(tiny_project.path).scene("s").predictions("old")
    assert prediction.entropy is None and prediction.disagreement_3d is None
    assert sorted(p.name for p in prediction.path.iterdir() if p.is_dir()) == [
        "confidence", "labels"]
    np.testing.assert_allclose(prediction.confidence[1], 0.7)


def test_maps_round_trip_with_their_dtypes(tiny_project):
    scene = tiny_project.scene("s")
    with scene.prediction_writer("r") as writer:
        for f in range(3):
            labels, conf, entropy, disagreement = _frame(f)
            writer.write(f, labels, conf, entropy=entropy.astype(np.float64),
                         disagreement_3d=disagreement)
    prediction = Project.open(tiny_project.path).scene("s").predictions("r")
    assert prediction.entropy.dtype == np.float32
    assert prediction.disagreement_3d.dtype == np.uint8
    np.testing.assert_allclose(prediction.entropy[2], _frame(2)[2])
    np.testing.assert_array_equal(prediction.disagreement_3d[0], _frame(0)[3])


def test_unwritten_frames_read_as_no_point(tiny_project):
    scene = tiny_project.scene("s")
    with scene.prediction_writer("r") as writer:
        labels, conf, entropy, disagreement = _frame(0)
        writer.write(0, labels, conf, disagreement_3d=disagreement)
    prediction = scene.predictions("r")
    assert prediction.entropy is None
    assert (prediction.disagreement_3d[1] == NO_POINT).all()


@pytest.mark.parametrize("name, bad, match", [
    ("entropy", np.zeros((H, W + 1), np.float32), r"entropy has shape \(12, 17\)"),
    ("entropy", np.full((H, W), 1.5, np.float32), r"normalised to \[0, 1\]"),
    ("entropy", np.full((H, W), np.nan, np.float32), r"normalised to \[0, 1\]"),
    ("disagreement_3d", np.full((H, W), 2, np.uint8), r"holds \[2\]"),
    ("disagreement_3d", np.zeros((H,), np.uint8), r"disagreement_3d has shape \(12,\)"),
])
def test_bad_maps_are_refused_and_the_old_run_stays(tiny_project, name, bad, match):
    scene = tiny_project.scene("s")
    with scene.prediction_writer("r") as writer:
        labels, conf, _, _ = _frame(0)
        writer.write(0, labels, conf)
    before = tree_snapshot(tiny_project.path)
    with (pytest.raises(StoreValidationError, match=match),
          scene.prediction_writer("r") as writer):
        writer.write(0, labels, conf, **{name: bad})
    assert tree_snapshot(tiny_project.path) == before


def test_every_frame_must_give_the_same_maps(tiny_project):
    scene = tiny_project.scene("s")
    labels, conf, entropy, _ = _frame(0)
    with (pytest.raises(StoreValidationError, match="same arrays for every frame"),
          scene.prediction_writer("r") as writer):
        writer.write(0, labels, conf, entropy=entropy)
        writer.write(1, labels, conf)


def test_a_stored_map_of_the_wrong_dtype_is_reported(tiny_project):
    scene = tiny_project.scene("s")
    with scene.prediction_writer("r") as writer:
        labels, conf, entropy, _ = _frame(0)
        writer.write(0, labels, conf, entropy=entropy)
    path = scene.predictions("r").path / "entropy"
    zarr.create_array(str(path), shape=(3, H, W), dtype="float64", overwrite=True)
    with pytest.raises(StoreValidationError, match="entropy: dtype is float64, expected float32"):
        scene.predictions("r")
