"""Correspondences and lifting on real 7-Scenes RGB-D data (every 10th of 200 frames)."""

from __future__ import annotations

import numpy as np

from rewis3d.geometry import lift_labels, project_points, view_lookup
from rewis3d.geometry.camera import depth_agrees, round_to_pixels


def test_pixel_point_pixel_round_trip_within_half_a_pixel(kitchen_project):
    scene = kitchen_project.scene("kitchen")
    rec = scene.reconstruction("sensor-depth")
    for f in (0, 7, 19):
        view = rec.view(f)
        vu, z = project_points(view["points"], scene.intrinsics[f], scene.poses[f])
        err = np.abs(vu - view["pixel"]).max()
        assert err < 0.5, f"frame {f}: round trip off by {err:.3f} px"
        depth = np.asarray(scene.depth[f])
        np.testing.assert_allclose(z, depth[view["pixel"][:, 0], view["pixel"][:, 1]], rtol=1e-4, atol=1e-4)


def test_lookup_returns_the_point_of_each_pixel(kitchen_project):
    scene = kitchen_project.scene("kitchen")
    rec = scene.reconstruction("sensor-depth")
    lookup = view_lookup(rec, 3, scene.image_size)
    valid = np.isfinite(np.asarray(scene.depth[3]))
    assert np.array_equal(lookup >= 0, valid)
    v, u = 100, 200
    assert tuple(rec.pixel[int(lookup[v, u])]) == (v, u)


def test_neighbouring_views_agree_in_depth(kitchen_project):
    """Frame 0's points seen from frame 1 (50 source frames later) mostly match its depth."""
    scene = kitchen_project.scene("kitchen")
    rec = scene.reconstruction("sensor-depth")
    points = rec.view(0)["points"]
    vu, z = project_points(points, scene.intrinsics[1], scene.poses[1])
    pix, inside = round_to_pixels(vu, scene.image_size)
    depth = np.asarray(scene.depth[1])[pix[inside, 0], pix[inside, 1]]
    seen = np.isfinite(depth)
    agree = depth_agrees(z[inside][seen], depth[seen]).mean()
    print(f"inside {inside.mean():.2f}, depth agreement {agree:.3f}")
    assert inside.mean() > 0.5 and agree > 0.85


def test_lifted_counts_equal_labelled_pixels_with_depth(kitchen_project):
    scene = kitchen_project.scene("kitchen")
    rec = scene.reconstruction("sensor-depth")
    rng = np.random.default_rng(0)
    expected = {}
    for f, c in ((2, 0), (11, 1), (11, 2)):
        mask = np.zeros(scene.image_size, dtype=bool)
        v0, u0 = rng.integers(50, 400), rng.integers(50, 560)
        mask[v0 : v0 + 40, u0 : u0 + 60] = True
        scene.annotations.add_stroke(f, c, mask)
    try:
        lifted = lift_labels(scene, rec)
        for f in scene.annotations.labelled_frames():
            labels = scene.annotations.frame(f)
            valid = np.isfinite(np.asarray(scene.depth[f]))
            for c in range(3):
                expected[(f, c)] = int(((labels == c) & valid).sum())
                got = int((lifted.labels[rec.view_slice(f)] == c).sum())
                assert got == expected[(f, c)]
        assert lifted.num_labelled == sum(expected.values()) > 0
    finally:
        scene.annotations.clear()
