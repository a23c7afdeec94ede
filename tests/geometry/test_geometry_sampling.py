"""View-aware sampling: shares, correspondences, the random ablation, and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from rewis3d.geometry import (
    PAPER_IMAGE_RATIO,
    SamplingConfig,
    SamplingIndex,
    view_aware_sample,
)
from rewis3d.geometry.sampling import stratified_draw


@pytest.fixture(scope="module")
def ring_index():
    """200K points in 40 views, each a blob on a ring (neighbouring views overlap)."""
    rng = np.random.default_rng(1)
    views, per = 40, 5000
    pts = np.empty((views * per, 3), np.float32)
    for f in range(views):
        center = 4 * np.array([np.cos(f / views * 2 * np.pi), np.sin(f / views * 2 * np.pi), 0])
        pts[f * per : (f + 1) * per] = center + rng.normal(scale=0.7, size=(per, 3))
    pixel = np.stack(np.divmod(np.tile(np.arange(per), views), 100), axis=1).astype(np.int32)
    return SamplingIndex.build(pts, np.arange(views + 1) * per, pixel)


@pytest.mark.parametrize("ratio", [0.7, PAPER_IMAGE_RATIO])
def test_own_view_share_and_correspondences(ring_index, ratio):
    cfg = SamplingConfig(budget=6000, image_ratio=ratio)
    s = view_aware_sample(ring_index, 7, cfg, np.random.default_rng(0))
    assert len(s.indices) == 6000 == len(np.unique(s.indices))
    assert abs(s.own_count / 6000 - ratio) <= 0.01
    lo, hi = ring_index.frame_ptr[7], ring_index.frame_ptr[8]
    pts = s.correspondence_points
    assert ((pts >= lo) & (pts < hi)).all() and len(pts) == s.own_count
    assert (ring_index.pixel[pts] == s.correspondences[:, 1:]).all()
    others = s.indices[(s.indices < lo) | (s.indices >= hi)]
    d = np.linalg.norm(ring_index.points[others] - ring_index.centroid[7], axis=1)
    assert (d <= ring_index.radius[7] + 1e-4).all()  # the sphere had enough points


def test_random_sampling_has_few_correspondences(ring_index):
    rng = np.random.default_rng(0)
    aware = view_aware_sample(ring_index, 3, SamplingConfig(budget=6000), rng)
    rand = view_aware_sample(ring_index, 3, SamplingConfig(budget=6000, method="random"), rng)
    print(f"correspondences: view-aware {len(aware.correspondences)}, "
          f"random {len(rand.correspondences)}")
    assert len(rand.correspondences) < 0.1 * len(aware.correspondences)


def test_short_sphere_is_filled_uniformly_and_small_views_give_all_own(ring_index):
    rng = np.random.default_rng(0)
    s = view_aware_sample(ring_index, 0, SamplingConfig(budget=150_000), rng)
    assert len(np.unique(s.indices)) == 150_000
    assert s.own_count == 5000  # all of the view: 0.7 * budget is more than it has


def test_budget_larger_than_scene_returns_everything_with_a_flag(ring_index):
    with pytest.warns(UserWarning, match="budget"):
        s = view_aware_sample(ring_index, 0, SamplingConfig(budget=10**6))
    assert s.budget_exceeds_scene and len(s.indices) == ring_index.num_points


def test_stratified_draw_is_distinct_and_uniform():
    rng = np.random.default_rng(0)
    counts = np.zeros(1000)
    for _ in range(300):
        d = stratified_draw(1000, 70, rng)
        assert len(np.unique(d)) == 70
        counts[d] += 1
    assert abs(counts.mean() - 21) < 1e-9 and counts.std() < 6


def test_random_sampling_is_iid_uniform_not_storage_ordered(ring_index):
    """Every point equally likely, draws in random order: a stratified draw in storage order
    would take exactly one point from each of ``budget`` consecutive strata."""
    n, k = ring_index.num_points, 500
    counts = np.zeros(n)
    per_stratum = []
    for seed in range(200):
        s = view_aware_sample(ring_index, 3, SamplingConfig(budget=k, method="random"),
                              np.random.default_rng(seed))
        assert len(np.unique(s.indices)) == k
        counts[s.indices] += 1
        per_stratum.append(np.bincount(s.indices * k // n, minlength=k))
    assert not np.all(np.diff(s.indices) > 0)  # not sorted
    stratum_counts = np.concatenate(per_stratum)
    assert (stratum_counts == 0).mean() > 0.2  # i.i.d.: ~e^-1 of strata empty; stratified: none
    expected = 200 * k / n
    assert abs(counts.mean() - expected) < 1e-9 and counts.std() < 2 * np.sqrt(expected)


def test_single_view_sampling_takes_only_the_images_own_points(ring_index):
    lo, hi = int(ring_index.frame_ptr[3]), int(ring_index.frame_ptr[3 + 1])
    s = view_aware_sample(ring_index, 3, SamplingConfig(budget=2000, method="single-view"),
                          np.random.default_rng(0))
    assert len(s.indices) == min(2000, hi - lo) and ((s.indices >= lo) & (s.indices < hi)).all()
    assert len(s.correspondences) == len(s.indices)


def test_single_view_stays_on_its_view_when_the_budget_exceeds_the_scene(ring_index):
    lo, hi = int(ring_index.frame_ptr[3]), int(ring_index.frame_ptr[4])
    s = view_aware_sample(ring_index, 3, SamplingConfig(budget=10**7, method="single-view"),
                          np.random.default_rng(0))
    assert sorted(s.indices.tolist()) == list(range(lo, hi))
