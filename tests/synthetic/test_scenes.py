"""Rendered scenes: geometrically consistent ground truth, determinism, and sane content."""

import numpy as np
import pytest

from rewis3d.errors import InputError
from rewis3d.synthetic import FAMILIES, SceneConfig, generate_scene
from rewis3d.synthetic._camera import backproject, project

SIZE = {"width": 96, "height": 72}


@pytest.fixture(scope="module", params=["street", "room"])
def scene(request):
    config = SceneConfig(kind=request.param, frames=5, seed=3, **SIZE)
    return request.param, generate_scene(config)


def _label_agreement(a, b) -> tuple[float, int]:
    """Share of a's pixels, visible in b, that land on b's pixel with the same label."""
    world = backproject(a.depth, a.intrinsics, a.pose).reshape(-1, 3)
    labels = a.gt.reshape(-1)
    ok = np.isfinite(world).all(axis=1)
    vu, z = project(world[ok], b.intrinsics, b.pose)
    v, u = np.round(vu[:, 0]).astype(int), np.round(vu[:, 1]).astype(int)
    h, w = b.depth.shape
    inside = (z > 0.1) & (v >= 0) & (v < h) & (u >= 0) & (u < w)
    v, u, z, lab = v[inside], u[inside], z[inside], labels[ok][inside]
    seen = b.depth[v, u]
    visible = np.isfinite(seen) & (np.abs(seen - z) < 0.03 * z + 0.05)
    agree = b.gt[v, u][visible] == lab[visible]
    return float(agree.mean()), int(visible.sum())


def test_labels_survive_reprojection_between_frames(scene):
    _, frames = scene
    for j in (1, 2, 4):
        share, count = _label_agreement(frames[0], frames[j])
        assert count > 500, "too few co-visible pixels to judge"
        assert share >= 0.95


def test_frames_have_the_promised_arrays(scene):
    kind, frames = scene
    for f in frames:
        assert f.rgb.shape == (72, 96, 3) and f.rgb.dtype == np.uint8
        assert f.depth.shape == (72, 96) and f.depth.dtype == np.float32
        assert f.gt.dtype == np.uint8 and f.gt.max() < len(FAMILIES[kind].classes)
        rot = f.pose[:3, :3]
        np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-9)
        assert np.isclose(np.linalg.det(rot), 1.0)
        assert f.intrinsics[0, 0] > 0 and f.intrinsics[2, 2] == 1


def test_sky_is_exactly_the_pixels_without_depth():
    frames = generate_scene(SceneConfig(kind="street", frames=2, seed=5, **SIZE))
    sky = [name for name, _ in FAMILIES["street"].classes].index("sky")
    for f in frames:
        assert np.array_equal(np.isnan(f.depth), f.gt == sky)
        assert (f.gt == sky).any() and (f.depth[np.isfinite(f.depth)] > 0).all()


def test_room_is_closed_and_street_shows_its_main_classes(scene):
    kind, frames = scene
    names = [name for name, _ in FAMILIES[kind].classes]
    seen = {names[c] for f in frames for c in np.unique(f.gt)}
    if kind == "room":
        assert all(np.isfinite(f.depth).all() for f in frames)
        assert {"floor", "wall", "table"} <= seen
    else:
        assert {"road", "sidewalk", "building", "sky"} <= seen
    assert len(seen) >= 5


def test_same_seed_same_arrays_different_seed_different_layout():
    config = SceneConfig(kind="street", frames=2, seed=11, **SIZE)
    a, b = generate_scene(config), generate_scene(config)
    for fa, fb in zip(a, b, strict=True):
        assert np.array_equal(fa.rgb, fb.rgb) and np.array_equal(fa.gt, fb.gt)
        assert np.array_equal(fa.depth, fb.depth, equal_nan=True)
        assert np.array_equal(fa.pose, fb.pose)
    other = generate_scene(SceneConfig(kind="street", frames=2, seed=12, **SIZE))
    assert (other[1].gt != a[1].gt).mean() > 0.05


def test_room_layouts_differ_by_seed():
    a = generate_scene(SceneConfig(kind="room", frames=1, seed=1, **SIZE))[0]
    b = generate_scene(SceneConfig(kind="room", frames=1, seed=2, **SIZE))[0]
    assert (a.gt != b.gt).mean() > 0.05


def test_spacing_moves_the_camera_by_that_much():
    frames = generate_scene(SceneConfig(kind="street", frames=3, seed=1, spacing=2.0, **SIZE))
    step = np.linalg.norm(frames[1].pose[:3, 3] - frames[0].pose[:3, 3])
    assert step == pytest.approx(2.0, rel=0.05)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "forest"}, "forest"),
        ({"frames": 0}, "frames"),
        ({"width": -4}, "width"),
        ({"height": 0}, "height"),
        ({"spacing": 0.0}, "spacing"),
    ],
)
def test_bad_config_is_refused_with_the_field_named(change, field):
    with pytest.raises(InputError, match=field):
        generate_scene(SceneConfig(**{"kind": "street", "frames": 2, **SIZE, **change}))
