"""The simulated reconstruction: errors where real ones have them, and a conf that tracks them."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from rewis3d.errors import InputError
from rewis3d.synthetic import ReconstructionNoise, SceneConfig, generate_scene
from rewis3d.synthetic import simulate_reconstruction as simulate
from rewis3d.synthetic._camera import backproject


@pytest.fixture(scope="module")
def frames():
    return generate_scene(SceneConfig(kind="street", frames=3, width=96, height=72, seed=4))


def _errors(frames, data):
    errors = []
    for f, frame in enumerate(frames):
        s = slice(data.frame_ptr[f], data.frame_ptr[f + 1])
        truth = backproject(frame.depth, frame.intrinsics, frame.pose)
        v, u = data.pixel[s, 0], data.pixel[s, 1]
        errors.append(np.linalg.norm(data.points[s] - truth[v, u], axis=1))
    return np.concatenate(errors)


def test_conf_falls_as_error_grows(frames):
    data = simulate(frames, ReconstructionNoise(), seed=0)
    error = _errors(frames, data)
    rho = spearmanr(data.conf, error).statistic
    assert rho < -0.3
    assert (data.conf >= 1).all()


def test_points_come_from_their_own_pixels_and_skip_the_sky(frames):
    data = simulate(frames, ReconstructionNoise(), seed=0)
    data.validate(len(frames), (72, 96), "test")
    for f, frame in enumerate(frames):
        s = slice(data.frame_ptr[f], data.frame_ptr[f + 1])
        v, u = data.pixel[s, 0], data.pixel[s, 1]
        assert np.isfinite(frame.depth[v, u]).all()
        assert np.array_equal(data.colors[s], frame.rgb[v, u])
    relative = _errors(frames, data) / np.concatenate(
        [frames[f].depth[data.pixel[data.frame == f, 0], data.pixel[data.frame == f, 1]]
         for f in range(len(frames))])
    assert np.median(relative) < 0.05  # mostly right ...
    assert np.quantile(relative, 0.99) > 0.1  # ... with real outliers


def test_noise_free_model_reproduces_the_truth(frames):
    exact = ReconstructionNoise(linear=0, quadratic=0, flying_rate=0, outlier_regions=0,
                                pose_sigma=(0, 0))
    data = simulate(frames, exact, seed=0)
    assert _errors(frames, data).max() < 1e-3


def test_same_seed_same_points_and_stride_thins(frames):
    a = simulate(frames, ReconstructionNoise(), seed=1)
    b = simulate(frames, ReconstructionNoise(), seed=1)
    assert np.array_equal(a.points, b.points) and np.array_equal(a.conf, b.conf)
    thin = simulate(frames, ReconstructionNoise(stride=2), seed=1)
    assert len(thin.points) < 0.3 * len(a.points)
    assert (thin.pixel % 2 == 0).all()


def test_bad_noise_settings_are_refused(frames):
    with pytest.raises(InputError, match="stride"):
        simulate(frames, ReconstructionNoise(stride=0), seed=0)
