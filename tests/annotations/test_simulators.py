"""Label simulators on rendered ground truth: inside their regions, within their coverage."""

import numpy as np
import pytest
from scipy import ndimage

from rewis3d.annotations import (
    SIMULATORS,
    CoarseConfig,
    PointsConfig,
    ScribblesConfig,
    simulate_labels,
)
from rewis3d.errors import InputError
from rewis3d.synthetic import FAMILIES, SceneConfig, generate_scene


@pytest.fixture(scope="module", params=["street", "room"])
def gts(request):
    """Two frames at 320x240: the documented coverage ranges are for working resolutions."""
    frames = generate_scene(SceneConfig(kind=request.param, frames=2, width=320, height=240,
                                        seed=1, spacing=3.0))
    return len(FAMILIES[request.param].classes), {i: f.gt for i, f in enumerate(frames)}


@pytest.mark.parametrize("kind", list(SIMULATORS))
def test_coverage_is_in_the_documented_range(gts, kind):
    num_classes, frames = gts
    result = simulate_labels(frames, kind, num_classes, seed=0)
    low, high = SIMULATORS[kind].coverage_range
    assert low <= result.coverage <= high
    assert result.coverage > 0
    assert set(result.class_coverage) <= set(range(num_classes))
    assert all(0 <= share <= 1 for share in result.class_coverage.values())


@pytest.mark.parametrize("kind", list(SIMULATORS))
def test_labels_lie_inside_their_class_regions(gts, kind):
    num_classes, frames = gts
    result = simulate_labels(frames, kind, num_classes, seed=0)
    for f, labels in result.labels.items():
        done = labels != 255
        assert np.array_equal(labels[done], frames[f][done])


def test_points_and_coarse_keep_off_the_boundaries(gts):
    num_classes, frames = gts
    for kind in ("points", "coarse"):
        for f, labels in simulate_labels(frames, kind, num_classes).labels.items():
            gt = frames[f]
            mixed = ndimage.maximum_filter(gt, 3) != ndimage.minimum_filter(gt, 3)
            assert not (mixed & (labels != 255)).any(), kind


def test_same_seed_same_labels_other_seed_other_labels(gts):
    num_classes, frames = gts
    a = simulate_labels(frames, "scribbles", num_classes, seed=5).labels
    b = simulate_labels(frames, "scribbles", num_classes, seed=5).labels
    c = simulate_labels(frames, "scribbles", num_classes, seed=6).labels
    assert all(np.array_equal(a[f], b[f]) for f in a)
    assert any(not np.array_equal(a[f], c[f]) for f in a)


def test_options_change_what_is_drawn(gts):
    num_classes, frames = gts
    one = simulate_labels(frames, "points", num_classes, PointsConfig(per_region=1)).coverage
    three = simulate_labels(frames, "points", num_classes, PointsConfig(per_region=3)).coverage
    assert 2.0 * one < three <= 3 * one + 1e-12
    thin = simulate_labels(frames, "scribbles", num_classes, ScribblesConfig(width=1)).coverage
    wide = simulate_labels(frames, "scribbles", num_classes, ScribblesConfig(width=5)).coverage
    assert wide > 2 * thin
    low = simulate_labels(frames, "coarse", num_classes, CoarseConfig(0.42, jitter=0)).coverage
    high = simulate_labels(frames, "coarse", num_classes, CoarseConfig(0.68, jitter=0)).coverage
    assert low < high


def test_a_class_without_pixels_is_skipped_with_a_warning():
    gt = np.zeros((60, 80), dtype=np.uint8)
    gt[:, 40:] = 1
    with pytest.warns(UserWarning, match=r"\[2\]"):
        result = simulate_labels({0: gt}, "scribbles", num_classes=3)
    assert result.absent_classes == [2]
    assert set(result.class_coverage) == {0, 1}
    assert "skipped" in result.summary(["a", "b", "c"])


@pytest.mark.parametrize(
    ("kind", "config", "field"),
    [
        ("dots", None, "dots"),
        ("points", PointsConfig(per_region=0), "per_region"),
        ("scribbles", ScribblesConfig(length=0), "length"),
        ("scribbles", ScribblesConfig(width=0), "width"),
        ("coarse", CoarseConfig(coverage=0.9), "coverage"),
        ("coarse", PointsConfig(), "CoarseConfig"),
    ],
)
def test_bad_simulator_settings_are_refused(kind, config, field):
    with pytest.raises(InputError, match=field):
        simulate_labels({0: np.zeros((8, 8), np.uint8)}, kind, 2, config)
