"""2D augmentations. Geometry (rescale with aspect distortion, h-flip, crop) is shared by the
student and teacher views; blur, AugMix and cutout are photometric and student-only.

Correspondences travel as an index image: ``corr[v, u]`` = position of the 3D sample point seen
at that pixel (-1 = none). Every geometric transform is applied to that image exactly as to the
label image (nearest-exact resampling, the same flip and crop), so a point stays on the pixel
whose label it shares, and points that leave the crop simply disappear. AugMix here uses only
photometric operations: the geometric ones of the original AugMix would move the student's
pixels away from their correspondences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

IGNORE = 255
NO_POINT = -1


@dataclass
class View2D:
    image: torch.Tensor  # (3, H, W) float in [0, 1]
    labels: torch.Tensor  # (H, W) long, IGNORE = unlabelled
    corr: torch.Tensor  # (H, W) long, NO_POINT where no sampled point
    valid: torch.Tensor = field(default=None)  # (H, W) bool, False = padding; default all True

    def __post_init__(self):
        if self.valid is None:
            self.valid = torch.ones(self.labels.shape, dtype=torch.bool, device=self.labels.device)

    def correspondences(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(point positions (K,), flat pixel indices (K,)): one pixel per point, the first in
        row-major order of the pixels that carry it. Upscaling repeats a point over a block of
        pixels; keeping one makes every point's 2D->3D target come from a single, defined pixel
        (the released code scales and rounds each point's coordinate: one pixel too)."""
        flat = self.corr.reshape(-1)
        pixels = torch.nonzero(flat >= 0).squeeze(1)
        points = flat[pixels]
        if len(points):
            order = torch.argsort(points, stable=True)  # pixels stay row-major within a point
            sorted_points = points[order]
            first = torch.ones_like(sorted_points, dtype=torch.bool)
            first[1:] = sorted_points[1:] != sorted_points[:-1]
            keep = order[first].sort().values
            points, pixels = points[keep], pixels[keep]
        return points, pixels


def released_rescale_size(h: int, w: int, scale: float, distortion: float) -> tuple[int, int]:
    """The released ``RescaleAndDistort`` size: ``s_x = scale * distortion``, ``s_y = scale /
    distortion``; a height below the original is scaled back up to it (aspect kept) and the
    width then clamped to >= the original. The height never shrinks; the width can (down to
    ``distortion**2``, ~0.81, when ``scale >= distortion``), so a crop nearly as wide as the
    frame can still pad (masked)."""
    tgt_w = max(1, round(w * scale * distortion))
    tgt_h = max(1, round(h * scale / distortion))
    if tgt_h < h:
        up = h / tgt_h
        tgt_w, tgt_h = max(round(tgt_w * up), w), max(round(tgt_h * up), h)
    return tgt_h, tgt_w


def rescale(view: View2D, scale_y: float, scale_x: float) -> View2D:
    h, w = view.labels.shape
    return resize(view, (max(1, round(h * scale_y)), max(1, round(w * scale_x))))


def resize(view: View2D, size: tuple[int, int]) -> View2D:
    if size == tuple(view.labels.shape):
        return view
    image = F.interpolate(view.image[None], size=size, mode="bilinear", align_corners=False,
                          antialias=True)[0].clamp_(0, 1)
    return View2D(image, _nearest(view.labels, size), _nearest(view.corr, size),
                  _nearest(view.valid.long(), size).bool())


def _nearest(grid: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return F.interpolate(grid[None, None].double(), size=size, mode="nearest-exact")[0, 0].long()


def hflip(view: View2D) -> View2D:
    return View2D(view.image.flip(-1), view.labels.flip(-1), view.corr.flip(-1),
                  view.valid.flip(-1))


def crop(view: View2D, top: int, left: int, size: tuple[int, int]) -> View2D:
    """Crop ``size`` at (top, left), padding past the border (image 0, labels/corr empty,
    ``valid`` False: padding is excluded from every loss)."""
    ch, cw = size
    h, w = view.labels.shape
    pad_h, pad_w = max(0, top + ch - h), max(0, left + cw - w)
    image, labels, corr, valid = view.image, view.labels, view.corr, view.valid
    if pad_h or pad_w:
        pad = (0, pad_w, 0, pad_h)
        image = F.pad(image, pad, value=0.0)
        labels = F.pad(labels, pad, value=IGNORE)
        corr = F.pad(corr, pad, value=NO_POINT)
        valid = F.pad(valid, pad, value=False)
    sl = (slice(top, top + ch), slice(left, left + cw))
    return View2D(image[:, sl[0], sl[1]], labels[sl], corr[sl], valid[sl])


def shared_geometry(view: View2D, rng: np.random.Generator, crop_size: tuple[int, int],
                    scale: tuple[float, float], aspect: tuple[float, float]) -> View2D:
    """Random rescale with aspect distortion (released rule, `released_rescale_size`), h-flip
    (p .5) and crop: the same for both views. Padding (``valid`` False) is rare: a frame
    smaller than the crop, or a crop wider than ~0.81 of the frame."""
    s = rng.uniform(*scale)
    d = rng.uniform(*aspect)
    view = resize(view, released_rescale_size(*view.labels.shape, s, d))
    if rng.random() < 0.5:
        view = hflip(view)
    h, w = view.labels.shape
    top = int(rng.integers(0, max(0, h - crop_size[0]) + 1))
    left = int(rng.integers(0, max(0, w - crop_size[1]) + 1))
    return crop(view, top, left, crop_size)


# -- student-only photometric augmentation ---------------------------------------------------


def gaussian_blur(image: torch.Tensor, sigma: float, kernel: int = 7) -> torch.Tensor:
    x = torch.arange(kernel, dtype=image.dtype) - kernel // 2
    k = torch.exp(-(x**2) / (2 * sigma**2))
    k = k / k.sum()
    padded = F.pad(image[None], (kernel // 2,) * 4, mode="reflect")
    out = F.conv2d(padded, k.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    return F.conv2d(out, k.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)[0]


def _autocontrast(img, rng, severity):
    lo = img.amin(dim=(1, 2), keepdim=True)
    hi = img.amax(dim=(1, 2), keepdim=True)
    return (img - lo) / (hi - lo).clamp_min(1e-3)


def _posterize(img, rng, severity):
    levels = 2 ** int(8 - rng.integers(1, 1 + severity))
    return torch.floor(img * levels) / levels


def _solarize(img, rng, severity):
    threshold = 1.0 - rng.uniform(0, 0.25 * severity)
    return torch.where(img >= threshold, 1.0 - img, img)


def _brightness(img, rng, severity):
    return img * (1 + rng.uniform(-0.3, 0.3) * severity / 2)


def _contrast(img, rng, severity):
    mean = img.mean()
    return (img - mean) * (1 + rng.uniform(-0.3, 0.3) * severity / 2) + mean


def _saturation(img, rng, severity):
    gray = img.mean(dim=0, keepdim=True)
    return (img - gray) * (1 + rng.uniform(-0.5, 0.5) * severity / 2) + gray


AUGMIX_OPS = (_autocontrast, _posterize, _solarize, _brightness, _contrast, _saturation)


def augmix(image: torch.Tensor, rng: np.random.Generator, severity: int = 2,
           width: int = 3) -> torch.Tensor:
    """AugMix with photometric operations: Dirichlet mix of ``width`` chains, Beta skip."""
    weights = rng.dirichlet([1.0] * width)
    mixed = torch.zeros_like(image)
    for w in weights:
        chain = image
        for _ in range(int(rng.integers(1, 4))):
            op = AUGMIX_OPS[int(rng.integers(len(AUGMIX_OPS)))]
            chain = op(chain, rng, severity).clamp(0, 1)
        mixed += float(w) * chain
    m = float(rng.beta(1.0, 1.0))
    return (m * image + (1 - m) * mixed).clamp(0, 1)


def cutout(image: torch.Tensor, rng: np.random.Generator, size: int) -> torch.Tensor:
    _, h, w = image.shape
    cy, cx = int(rng.integers(h)), int(rng.integers(w))
    out = image.clone()
    out[:, max(0, cy - size // 2): cy + size // 2, max(0, cx - size // 2): cx + size // 2] = 0.0
    return out


def student_photometric(image: torch.Tensor, rng: np.random.Generator, blur_p: float,
                        augmix_p: float, cutout_size: int) -> torch.Tensor:
    """Blur (k7, sigma .1-1.5), AugMix (severity 2), cutout (p 1, second p .5)."""
    if rng.random() < blur_p:
        image = gaussian_blur(image, rng.uniform(0.1, 1.5))
    if rng.random() < augmix_p:
        image = augmix(image, rng)
    if cutout_size > 0:
        image = cutout(image, rng, cutout_size)
        if rng.random() < 0.5:
            image = cutout(image, rng, cutout_size)
    return image
