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
