"""Filters applied to any backend's points: the released code's per-view confidence drop, and
scene-level voxel subsampling. Both keep the points grouped by frame (they only delete rows)."""

from __future__ import annotations

import numpy as np

from rewis3d.store import ReconstructionData


def keep_rows(data: ReconstructionData, keep: np.ndarray) -> ReconstructionData:
    """The rows of ``data`` where ``keep`` is True, with ``frame_ptr`` recomputed."""
    frame = data.frame[keep]
    num_frames = len(data.frame_ptr) - 1
    ptr = np.searchsorted(frame, np.arange(num_frames + 1), side="left").astype(np.int64)
    return ReconstructionData(
        points=data.points[keep], colors=data.colors[keep], conf=data.conf[keep],
        frame=frame, pixel=data.pixel[keep], frame_ptr=ptr,
    )


def confident_in_view(conf: np.ndarray, fraction: float = 0.1) -> np.ndarray:
    """The released per-view filter (``pointcloud_processing.py``): keep ``conf >=
    percentile(conf, 100 * fraction)``, the percentile over the finite confidences (as the
    released code); a NaN/Inf confidence is dropped. Ties at the threshold are all kept, so a
    view whose points share one confidence (sensor depth) keeps every point."""
    conf = np.asarray(conf)
    if fraction <= 0:
        return np.ones(len(conf), dtype=bool)
    finite = np.isfinite(conf)
    if not finite.any():
        return finite
    return finite & (conf >= np.percentile(conf[finite], 100.0 * fraction))


def drop_lowest_confidence(data: ReconstructionData, fraction: float = 0.1) -> ReconstructionData:
    """Every view filtered by `confident_in_view` (released Rewis3d: ``fraction`` 0.1)."""
    keep = np.ones(len(data.points), dtype=bool)
    for f in range(len(data.frame_ptr) - 1):
        lo, hi = int(data.frame_ptr[f]), int(data.frame_ptr[f + 1])
        keep[lo:hi] = confident_in_view(data.conf[lo:hi], fraction)
    return keep_rows(data, keep)


def voxel_subsample(data: ReconstructionData, voxel_size: float) -> ReconstructionData:
    """Keep the first point (earliest frame) of every occupied voxel of the scene."""
    if not len(data.points):
        return data
    cells = np.floor(data.points / voxel_size).astype(np.int64)
    cells -= cells.min(axis=0)
    span = cells.max(axis=0) + 1
    keys = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]
    _, first = np.unique(keys, return_index=True)
    keep = np.zeros(len(keys), dtype=bool)
    keep[first] = True
    return keep_rows(data, keep)
