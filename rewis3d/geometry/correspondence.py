"""Pixel <-> point correspondences of one view.

A reconstruction keeps, for every point, the pixel (v, u) of its source frame at that frame's
own resolution, and the points of frame f are one slice (``frame_ptr``). So the pixel -> point
lookup of a view is a dense (H, W) index image built from that slice alone.
"""

from __future__ import annotations

import numpy as np

from rewis3d.errors import InputError

NO_POINT = -1


def check_pixels(pixel: np.ndarray, image_size: tuple[int, int], where: str) -> np.ndarray:
    """Refuse pixel coordinates that do not fit the frame, or name one pixel twice."""
    pixel = np.asarray(pixel)
    h, w = image_size
    if pixel.ndim != 2 or pixel.shape[1] != 2:
        raise InputError(f"{where}: pixel must be (N, 2) (v, u), got shape {pixel.shape}")
    if len(pixel):
        v, u = pixel[:, 0], pixel[:, 1]
        outside = (v < 0) | (v >= h) | (u < 0) | (u >= w)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise InputError(
                f"{where}: pixel {i} is (v={int(v[i])}, u={int(u[i])}), outside the {w}x{h} "
                "frame; a backend must map its pixels back to the original frame resolution "
                "(undo its resize and crop) before writing"
            )
        flat = v.astype(np.int64) * w + u
        if len(np.unique(flat)) != len(flat):
            raise InputError(
                f"{where}: several points claim the same pixel; correspondences must be "
                "one point per pixel (keep one, e.g. the most confident)"
            )
    return pixel


def pixel_to_point_map(
    pixel: np.ndarray, image_size: tuple[int, int], first_index: int = 0
) -> np.ndarray:
    """(H, W) int64 image of point indices (``first_index`` + row), NO_POINT where none."""
    lookup = np.full(image_size, NO_POINT, dtype=np.int64)
    if len(pixel):
        lookup[pixel[:, 0], pixel[:, 1]] = first_index + np.arange(len(pixel), dtype=np.int64)
    return lookup


def view_lookup(reconstruction, frame: int, image_size: tuple[int, int]) -> np.ndarray:
    """The pixel -> global point index image of one view of a stored reconstruction."""
    s = reconstruction.view_slice(frame)
    return pixel_to_point_map(np.asarray(reconstruction.pixel[s]), image_size, s.start)
