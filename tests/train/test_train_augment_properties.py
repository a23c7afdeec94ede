"""Property tests: every geometric 2D augmentation moves correspondences exactly as it moves
pixel coordinates, and drops exactly the ones whose pixel leaves the crop.

The expected result is computed from coordinates alone: the source row (column) of every
output row (column) is nearest-exact resampling of an index ramp (``min(floor((i + 0.5) * in /
out), in - 1)`` in torch's float arithmetic: the closed form in exact arithmetic differs where
the product lands on an integer, e.g. row 34 of 20 -> 46), a flip maps ``x`` to ``w - 1 - x``
and a crop shifts by (top, left), padding with "no point" past the border.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rewis3d.train.augment2d import IGNORE, NO_POINT, View2D, crop, hflip, rescale, shared_geometry

PROPERTY = settings(max_examples=40, deadline=None)


def nearest_source(out_size: int, in_size: int) -> np.ndarray:
    ramp = torch.arange(in_size, dtype=torch.float64)[None, None, :, None]
    source = torch.nn.functional.interpolate(ramp, size=(out_size, 1), mode="nearest-exact")
    return source[0, 0, :, 0].long().numpy()


def random_view(h: int, w: int, density: float, seed: int) -> View2D:
    """Labels = pixel id mod 250; a random subset of pixels carries point ids 0..K-1."""
    rng = np.random.default_rng(seed)
    corr = torch.full((h, w), NO_POINT, dtype=torch.long)
    has = np.flatnonzero(rng.random(h * w) < density)
    corr.view(-1)[torch.from_numpy(has)] = torch.from_numpy(rng.permutation(len(has)))
    labels = torch.arange(h * w).reshape(h, w) % 250
    return View2D(torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed)), labels, corr)


@st.composite
def geometry(draw):
    h, w = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    scale_y, scale_x = draw(st.floats(0.2, 2.5)), draw(st.floats(0.2, 2.5))
    rh, rw = max(1, round(h * scale_y)), max(1, round(w * scale_x))
    ch, cw = draw(st.integers(1, 48)), draw(st.integers(1, 48))
    top, left = draw(st.integers(0, rh + 4)), draw(st.integers(0, rw + 4))
    return dict(h=h, w=w, scale_y=scale_y, scale_x=scale_x, flip=draw(st.booleans()),
                top=top, left=left, size=(ch, cw), density=draw(st.floats(0.05, 1.0)),
                seed=draw(st.integers(0, 2**16)))


def expected_corr(corr: torch.Tensor, g: dict) -> torch.Tensor:
    """The transformed index image predicted from the coordinate maps alone."""
    h, w = corr.shape
    rh, rw = max(1, round(h * g["scale_y"])), max(1, round(w * g["scale_x"]))
    src_v, src_u = nearest_source(rh, h), nearest_source(rw, w)
    if g["flip"]:
        src_u = src_u[::-1]
    ch, cw = g["size"]
    out = torch.full((ch, cw), NO_POINT, dtype=torch.long)
    for y in range(ch):
        ry = g["top"] + y
        if ry >= rh:
            continue
        for x in range(cw):
            rx = g["left"] + x
            if rx < rw:
                out[y, x] = corr[src_v[ry], src_u[rx]]
    return out


@PROPERTY
@given(geometry())
def test_correspondences_follow_the_coordinate_maps_exactly(g):
    view = random_view(g["h"], g["w"], g["density"], g["seed"])
    out = rescale(view, g["scale_y"], g["scale_x"])
    out = hflip(out) if g["flip"] else out
    out = crop(out, g["top"], g["left"], g["size"])
    want = expected_corr(view.corr, g)
    assert torch.equal(out.corr, want)
    # labels travel with the same map: every kept point sits on its own source pixel's label
    source_label = torch.full((int(view.corr.max()) + 2,), -1, dtype=torch.long)
    has = view.corr >= 0
    source_label[view.corr[has]] = view.labels[has]
    points, pixels = out.correspondences()
    assert torch.equal(out.labels.reshape(-1)[pixels], source_label[points])
    # dropped = exactly the points none of whose pixels lands inside the crop
    all_points = set(view.corr[has].tolist())
    kept = set(points.tolist())
    dropped = all_points - kept
    assert kept == set(want[want >= 0].tolist())
    assert dropped.isdisjoint(set(want.reshape(-1).tolist()))


@PROPERTY
@given(geometry())
def test_padding_carries_no_points_and_ignore_labels(g):
    view = random_view(g["h"], g["w"], g["density"], g["seed"])
    out = crop(view, g["top"], g["left"], g["size"])
    ch, cw = g["size"]
    outside_rows = slice(max(0, g["h"] - g["top"]), ch)
    outside_cols = slice(max(0, g["w"] - g["left"]), cw)
    for region in ((outside_rows, slice(None)), (slice(None), outside_cols)):
        assert bool((out.corr[region] == NO_POINT).all())
        assert bool((out.labels[region] == IGNORE).all())


@PROPERTY
@given(st.integers(0, 2**31 - 1), st.integers(8, 40), st.integers(8, 40))
def test_random_shared_geometry_keeps_every_point_on_its_pixel(seed, h, w):
    view = random_view(h, w, 0.3, seed)
    view = View2D(view.image, torch.arange(h * w).reshape(h, w), view.corr)
    pixel_of_point = torch.full((int(view.corr.max()) + 1,), -1, dtype=torch.long)
    has = view.corr >= 0
    pixel_of_point[view.corr[has]] = torch.nonzero(has.reshape(-1)).squeeze(1)
    out = shared_geometry(view, np.random.default_rng(seed), (16, 20), (0.5, 1.2), (0.9, 1.1))
    points, pixels = out.correspondences()
    assert torch.equal(out.labels.reshape(-1)[pixels], pixel_of_point[points])


def test_the_failing_example_hypothesis_found():
    """h=20 rescaled to 46 rows: output row 34 maps to source 14 in torch (exact: 15)."""
    g = {"h": 20, "w": 1, "scale_y": 2.3125, "scale_x": 1.0, "flip": False, "top": 34,
         "left": 0, "size": (1, 1), "density": 1.0, "seed": 0}
    view = random_view(g["h"], g["w"], g["density"], g["seed"])
    out = crop(rescale(view, g["scale_y"], g["scale_x"]), g["top"], g["left"], g["size"])
    assert torch.equal(out.corr, expected_corr(view.corr, g))
    assert torch.equal(out.labels, view.labels[14:15, :1])  # labels moved with it
