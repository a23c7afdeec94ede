"""`predict` stores the 2D entropy and, for a Rewis3d run, the 2D/3D teacher disagreement."""

import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from rewis3d.cli import main
from rewis3d.store import Project
from rewis3d.store.predictions import NO_POINT
from rewis3d.train.predict import disagreement_map, predict, teacher_point_labels


@pytest.fixture(scope="module")
def trained(tiny_project_template, tmp_path_factory):
    """The tiny project with a one-step Rewis3d run ``r`` (3D teacher in its checkpoint)."""
    from rewis3d.train import preset, run_training

    path = tmp_path_factory.mktemp("predict") / "street"
    shutil.copytree(tiny_project_template, path)
    config = preset("cpu-quick")
    config.data.crop, config.data.points, config.data.cutout = (32, 48), 256, 8
    config.optim.steps = 1
    run_training(path, config, run="r")
    return path


class SignOfX(torch.nn.Module):
    """A stand-in 3D model: class 1 where the (centred) x is positive, else 0."""

    def forward(self, feat, coord, grid_size):
        assert feat.shape == (len(coord), 6) and len(coord) <= 5
        return torch.stack([-coord[:, 0], coord[:, 0]], 1)


def test_every_point_is_labelled_once_across_chunks():
    points = np.stack([np.linspace(-1, 1, 13), np.zeros(13), np.zeros(13)], 1) + [4.0, 0, 0]
    labels = teacher_point_labels(SignOfX(), points, np.zeros((13, 3), np.uint8), 0.1, chunk=5)
    np.testing.assert_array_equal(labels, (np.linspace(-1, 1, 13) > 0).astype(int))


def test_disagreement_map_marks_pixels_without_points():
    labels_2d = np.array([[0, 1], [2, 2]], np.uint8)
    pixels = np.array([[0, 0], [0, 1], [1, 0], [1, 0]])
    out = disagreement_map(labels_2d, pixels, np.array([0, 2, 2, 1]))
    np.testing.assert_array_equal(out, [[0, 1], [1, NO_POINT]])  # (1,0): one point of two differs


def test_predict_stores_entropy_and_3d_disagreement(trained):
    frames = []
    predict(trained, "r", chunk_points=4096, progress=lambda scene, f: frames.append(f))
    assert frames == [0, 1, 2, 3]
    scene = Project.open(trained).scene("street")
    prediction = scene.predictions("r")
    entropy = np.asarray(prediction.entropy)
    assert entropy.dtype == np.float32 and entropy.min() >= 0.0 and entropy.max() <= 1.0
    assert prediction.attrs["reconstruction_3d"] == "simulated"
    recon = scene.reconstruction("simulated")
    for f in range(scene.num_frames):
        disagreement = np.asarray(prediction.disagreement_3d[f])
        assert set(np.unique(disagreement)) <= {0, 1, NO_POINT}
        pixel = np.asarray(recon.view(f)["pixel"])
        has_point = np.zeros(scene.image_size, bool)
        has_point[pixel[:, 0], pixel[:, 1]] = True
        assert 0 < (~has_point).sum() < has_point.sum()  # the check below is not vacuous
        np.testing.assert_array_equal(disagreement == NO_POINT, ~has_point)


def test_no_3d_leaves_the_disagreement_out(trained):
    out = CliRunner().invoke(main, ["predict", str(trained), "--run", "r", "--no-3d"])
    assert out.exit_code == 0, out.output
    prediction = Project.open(trained).scene("street").predictions("r")
    assert prediction.disagreement_3d is None and prediction.entropy is not None
