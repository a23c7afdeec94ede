"""Correspondences survive every geometric 2D transform exactly; 3D augmentations keep order."""

import numpy as np
import torch

from rewis3d.train.augment2d import NO_POINT, View2D, crop, hflip, rescale, shared_geometry
from rewis3d.train.augment3d import student_coords


def marked_view(h=30, w=40, seed=0):
    """Labels = a unique id per pixel (mod 250); every 3rd pixel has a point whose id is known."""
    rng = np.random.default_rng(seed)
    ids = torch.arange(h * w).reshape(h, w)
    corr = torch.full((h, w), NO_POINT, dtype=torch.long)
    pix = rng.choice(h * w, size=h * w // 3, replace=False)
    corr.view(-1)[torch.from_numpy(pix)] = torch.arange(len(pix))
    point_pixel = torch.from_numpy(pix)  # point k sits on flat pixel pix[k]
    image = torch.stack([ids.float() / (h * w)] * 3)
    return View2D(image, ids, corr), point_pixel


def check(view, point_pixel):
    """Every surviving correspondence lands on a pixel whose label is the point's own pixel id."""
    points, pixels = view.correspondences()
    assert len(points) > 0
    labels = view.labels.reshape(-1)[pixels]
    assert torch.equal(labels, point_pixel[points])


def test_flip_and_crop_exact():
    view, pp = marked_view()
    out = crop(hflip(view), 5, 7, (16, 20))
    check(out, pp)
    assert out.labels.shape == (16, 20)


def test_crop_drops_points_outside():
    view, pp = marked_view()
    out = crop(view, 10, 10, (5, 5))
    points, _ = out.correspondences()
    inside = {int(p) for p in pp[points]}
    assert all(10 <= p // 40 < 15 and 10 <= p % 40 < 15 for p in inside)


def test_rescale_up_and_down_exact():
    for sy, sx in ((0.5, 0.55), (1.2, 1.1), (0.73, 1.3)):
        view, pp = marked_view()
        check(rescale(view, sy, sx), pp)


def test_crop_pads_beyond_border():
    view, _ = marked_view(10, 10)
    out = crop(view, 0, 0, (16, 16))
    assert out.labels.shape == (16, 16)
    assert (out.labels[10:] == 255).all() and (out.corr[:, 10:] == NO_POINT).all()


def test_shared_geometry_random_chains():
    for seed in range(5):
        view, pp = marked_view(seed=seed)
        out = shared_geometry(view, np.random.default_rng(seed), (24, 24), (0.5, 1.2), (0.9, 1.1))
        check(out, pp)


def test_student_coords_keep_point_order_and_shape():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(100, 3)).astype(np.float32)
    out = student_coords(pts, rng)
    assert out.shape == pts.shape
    # distances between points change only by scale and jitter: order is kept
    d_in = np.linalg.norm(pts[0] - pts[1:], axis=1)
    d_out = np.linalg.norm(out[0] - out[1:], axis=1)
    assert np.corrcoef(d_in, d_out)[0, 1] > 0.99


def test_shared_geometry_never_zooms_out_so_crops_never_pad():
    """Released ``RescaleAndDistort``: the rescaled height is clamped to >= the original (the
    image is then scaled up to it, width >= the original too), so with a crop no larger than the
    frame nothing is ever padded."""
    h, w = 48, 64
    labels = torch.zeros(h, w, dtype=torch.long)
    view = View2D(torch.rand(3, h, w), labels, torch.full((h, w), NO_POINT, dtype=torch.long))
    for seed in range(60):
        out = shared_geometry(view, np.random.default_rng(seed), (32, 48), (0.5, 1.2), (0.9, 1.1))
        assert out.valid.all(), seed
        assert not (out.labels == 255).any(), seed


def test_released_rescale_rule():
    from rewis3d.train.augment2d import released_rescale_size

    # zoom out (s_y < 1): scaled back up to the original height, width by the distortion
    assert released_rescale_size(100, 200, 0.5, 1.0) == (100, 200)
    assert released_rescale_size(100, 200, 0.5, 1.1) == (100, 244)  # 110 * 100/45, rounded
    assert released_rescale_size(100, 200, 0.8, 0.9) == (100, 200)  # width clamped too
    # zoom in: s_x = r * d, s_y = r / d
    assert released_rescale_size(100, 200, 1.2, 1.0) == (120, 240)
    assert released_rescale_size(100, 200, 1.1, 1.05) == (105, 231)


def test_padding_is_marked_invalid():
    view, _ = marked_view(10, 10)
    out = crop(view, 0, 0, (16, 16))
    assert out.valid[:10, :10].all() and not out.valid[10:].any() and not out.valid[:, 10:].any()


def test_upscaled_points_keep_one_pixel_each():
    """After upscaling, a point covers a block of pixels; the batch keeps one (the block's first
    in row-major order), so every point has exactly one target pixel and writes are defined."""
    view, pp = marked_view()
    up = rescale(view, 2.0, 2.0)
    points, pixels = up.correspondences()
    assert len(torch.unique(points)) == len(points) == int((view.corr >= 0).sum())
    v, u = pixels // up.corr.shape[1], pixels % up.corr.shape[1]
    src_v, src_u = pp[points] // 40, pp[points] % 40
    assert torch.equal(v, 2 * src_v) and torch.equal(u, 2 * src_u)
