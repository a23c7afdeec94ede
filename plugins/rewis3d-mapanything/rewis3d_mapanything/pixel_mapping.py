"""MapAnything's input geometry: the size it picks, its resize + centre crop, and the way back.

Facts from facebookresearch/map-anything (``utils/image.py``, ``utils/cropping.py``, v1.1):
``load_images(resize_mode="fixed_mapping")`` picks ONE (width, height) for all views from the
mean aspect ratio (closest key of its table), scales each image by
``s = max(W_t / W, H_t / H) + 1e-8`` to ``floor(W * s) x floor(H * s)`` and then crops the
centre: ``left = (w - W_t) // 2``, ``top = (h - H_t) // 2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# resolution_set 518 of MapAnything: aspect ratio -> (width, height)
FIXED_MAPPING_518 = {
    1.000: (518, 518), 1.321: (518, 392), 1.542: (518, 336), 1.762: (518, 294),
    2.056: (518, 252), 3.083: (518, 168), 0.757: (392, 518), 0.649: (336, 518),
    0.567: (294, 518), 0.486: (252, 518),
}


def target_size(image_size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) MapAnything's fixed mapping picks for frames of (H, W)."""
    h, w = image_size
    key = min(FIXED_MAPPING_518, key=lambda k: abs(k - w / h))
    return FIXED_MAPPING_518[key]


@dataclass(frozen=True)
class ResizeCrop:
    """How a (H, W) frame became MapAnything's (height, width) input."""

    image_size: tuple[int, int]  # original (H, W)
    resized: tuple[int, int]  # (h, w) after scaling
    crop: tuple[int, int]  # (top, left) of the centre crop
    output: tuple[int, int]  # (height, width) MapAnything's grid

    @classmethod
    def for_frames(cls, image_size: tuple[int, int]) -> ResizeCrop:
        h, w = image_size
        tw, th = target_size(image_size)
        s = max(tw / w, th / h) + 1e-8
        rh, rw = int(np.floor(h * s)), int(np.floor(w * s))
        return cls(image_size, (rh, rw), ((rh - th) // 2, (rw - tw) // 2), (th, tw))

    def to_original(self, vu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Original-frame pixels (M, 2) int32 of MapAnything pixels (M, 2) (v, u), and a mask
        of those that land inside the frame (pixel centres scale about the centre of a pixel)."""
        h, w = self.image_size
        sy, sx = self.resized[0] / h, self.resized[1] / w
        v = (vu[:, 0] + self.crop[0] + 0.5) / sy - 0.5
        u = (vu[:, 1] + self.crop[1] + 0.5) / sx - 0.5
        pix = np.stack([np.rint(v), np.rint(u)], axis=1).astype(np.int64)
        inside = (pix[:, 0] >= 0) & (pix[:, 0] < h) & (pix[:, 1] >= 0) & (pix[:, 1] < w)
        return pix.astype(np.int32), inside
