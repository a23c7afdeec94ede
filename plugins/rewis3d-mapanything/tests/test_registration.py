"""Chunk ranges and the similarity registration of one chunk onto the one before."""

import numpy as np
import pytest
from rewis3d_mapanything.registration import (
    as_matrix,
    chunk_ranges,
    place_camera,
    register_to,
    similarity_transform,
)

from rewis3d.errors import InputError


def test_chunk_ranges_share_the_overlap_and_cover_every_frame():
    assert chunk_ranges(300, 100, 10) == [(0, 100), (90, 190), (180, 280), (270, 300)]
    assert chunk_ranges(80, 100, 10) == [(0, 80)]
    assert chunk_ranges(100, 100, 10) == [(0, 100)]


def test_similarity_is_recovered_and_bad_pairs_do_not_pull_it():
    rng = np.random.default_rng(0)
    src = rng.normal(size=(500, 3))
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0],
                         [0, 0, 1]])
    dst = 1.7 * src @ rotation.T + [1.0, -2.0, 0.5]
    scale, r, t = similarity_transform(src, dst)
    assert abs(scale - 1.7) < 1e-9 and np.allclose(r, rotation) and np.allclose(t, [1, -2, 0.5])

    pixel = np.stack([np.arange(500) // 50, np.arange(500) % 50], axis=1)
    noisy = dst.copy()
    noisy[:40] += rng.normal(scale=5.0, size=(40, 3))  # 8 % wild depths
    matrix, fit = register_to({3: {"points": src, "pixel": pixel}},
                              {3: {"points": noisy, "pixel": pixel}}, [3], "chunk 1")
    assert abs(fit["scale"] - 1.7) < 1e-6 and fit["pairs"] == 500
    np.testing.assert_allclose(matrix, as_matrix(1.7, rotation, np.array([1.0, -2.0, 0.5])),
                               atol=1e-6)
    pose = np.eye(4)
    pose[:3, 3] = [0.2, 0, 0]
    placed = place_camera(matrix, pose)
    np.testing.assert_allclose(placed[:3, :3], rotation, atol=1e-9)  # rigid again
    np.testing.assert_allclose(placed[:3, 3], 1.7 * rotation @ [0.2, 0, 0] + [1, -2, 0.5])


def test_too_few_shared_points_say_to_raise_the_overlap():
    view = {"points": np.zeros((10, 3)), "pixel": np.stack([np.zeros(10), np.arange(10)], 1)}
    with pytest.raises(InputError, match="raise the overlap option"):
        register_to({0: view}, {0: view}, [0], "chunk 90-189")
