"""The propagation preview's per-point state, built chunk by chunk (stored with its
reconstruction by ``rewis3d.derived.preview_index``).

``PreviewIndex`` holds what the preview needs per point and per voxel:

- ``point_voxel`` (N,) int32 voxel id of every point (at most 2^31 - 1 voxels, checked) and
  ``pixel`` (N, 2) int16 (int32 for images over 32767 px) -- per point, so stored as raw row
  chunks and memory-mapped when stored;
- ``voxel_frame_ptr`` (V+1,) int64 / ``voxel_frames`` (P,) int32: the frames holding points
  of each voxel, ascending (P = distinct (voxel, frame) pairs, usually far below N);
  ``centres`` (V, 3) float64: each voxel's mean point. Read whole (per voxel, not per point).

The build reads the reconstruction ``chunk_rows`` rows at a time (three passes over the
points: bounds, distinct voxels, ids + centres; one over the pixels), never a whole array; it
holds the distinct voxel keys (8 B/voxel) and the per-voxel sums. Voxel ids equal those of
``np.unique(keys, return_inverse=True)`` over all points and centres those of a single
``np.bincount`` (sums are accumulated in point order), so any chunk size gives the same index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Progress = Callable[[int, int], None]  # (done, total)

CHUNK_ROWS = 1 << 20


@dataclass
class PreviewIndex:
    point_voxel: np.ndarray  # (N,) voxel id of every point (or a lazy row reader)
    pixel: np.ndarray  # (N, 2) (v, u) (or a lazy row reader)
    voxel_frame_ptr: np.ndarray  # (V+1,) int64
    voxel_frames: np.ndarray  # (P,) int32
    centers: np.ndarray  # (V, 3) float64

    @property
    def num_voxels(self) -> int:
        return len(self.centers)


def pixel_dtype(image_size: tuple[int, int]) -> np.dtype:
    return np.dtype(np.int16 if max(image_size) <= np.iinfo(np.int16).max else np.int32)


def build_in_memory(points, pixel, frame_ptr, voxel_size: float, image_size: tuple[int, int],
                    chunk_rows: int = CHUNK_ROWS, progress: Progress | None = None
                    ) -> PreviewIndex:
    """The index with its per-point arrays in RAM (``points``/``pixel``: anything sliceable)."""
    voxel_parts, pixel_parts = [], []

    def keep(voxel_block: np.ndarray, pixel_block: np.ndarray) -> None:
        voxel_parts.append(voxel_block)
        pixel_parts.append(pixel_block)

    per_voxel = build_preview_index(points, pixel, frame_ptr, voxel_size, image_size,
                                    chunk_rows, keep, progress)
    return PreviewIndex(point_voxel=_join(voxel_parts, (0,), np.int32),
                        pixel=_join(pixel_parts, (0, 2), pixel_dtype(image_size)), **per_voxel)


def build_preview_index(points, pixel, frame_ptr, voxel_size: float,
                        image_size: tuple[int, int], chunk_rows: int,
                        write_rows: Callable[[np.ndarray, np.ndarray], None],
                        progress: Progress | None = None) -> dict:
    """Stream the per-point arrays to ``write_rows(voxel_block, pixel_block)`` in row order;
    return the per-voxel arrays (``voxel_frame_ptr``, ``voxel_frames``, ``centres``).
    ``progress(done, total)`` after each block of its three passes over the points."""
    n = len(points)
    frame_ptr = np.asarray(frame_ptr, dtype=np.int64)
    num_frames = len(frame_ptr) - 1
    blocks = [(a, min(a + chunk_rows, n)) for a in range(0, n, chunk_rows)]
    passes = _PassProgress(progress, 3 * len(blocks))

    def cells(a: int, b: int) -> np.ndarray:
        return np.floor(np.asarray(points[a:b]) / voxel_size).astype(np.int64)

    lo, hi = np.zeros(3, np.int64), np.zeros(3, np.int64)
    for i, (a, b) in enumerate(blocks):
        c = cells(a, b)
        lo = c.min(axis=0) if i == 0 else np.minimum(lo, c.min(axis=0))
        hi = c.max(axis=0) if i == 0 else np.maximum(hi, c.max(axis=0))
        passes.step()
    span = [int(x) for x in hi - lo + 1]
    if span[0] * span[1] * span[2] >= 2**63:
        raise ValueError(f"scene spans {span} voxels of {voxel_size} m: too many for int64 keys")

    def keys(c: np.ndarray) -> np.ndarray:
        c = c - lo
        return (c[:, 0] * span[1] + c[:, 1]) * span[2] + c[:, 2]

    distinct = np.zeros(0, np.int64)
    for a, b in blocks:
        distinct = np.union1d(distinct, keys(cells(a, b)))
        passes.step()
    num_voxels = len(distinct)
    if num_voxels >= 2**31:
        raise ValueError(f"{num_voxels} voxels of {voxel_size} m: too many for int32 ids")
    counts = np.zeros(num_voxels, np.int64)
    sums = np.zeros((3, num_voxels), np.float64)
    pairs = []
    for a, b in blocks:
        block = np.asarray(points[a:b])
        ids = np.searchsorted(distinct, keys(np.floor(block / voxel_size).astype(np.int64)))
        counts += np.bincount(ids, minlength=num_voxels)
        for axis in range(3):  # in point order, exactly as one np.bincount over all points
            np.add.at(sums[axis], ids, block[:, axis].astype(np.float64))
        frames = np.searchsorted(frame_ptr, np.arange(a, b), side="right") - 1
        pairs.append(np.unique(ids * num_frames + frames))
        write_rows(ids.astype(np.int32), np.asarray(pixel[a:b]).astype(pixel_dtype(image_size)))
        passes.step()
    pairs = np.unique(np.concatenate(pairs)) if pairs else np.zeros(0, np.int64)
    voxel_of_pair = pairs // max(num_frames, 1)
    return {
        "voxel_frame_ptr": np.concatenate(
            [[0], np.cumsum(np.bincount(voxel_of_pair, minlength=num_voxels))]).astype(np.int64),
        "voxel_frames": (pairs % max(num_frames, 1)).astype(np.int32),
        "centers": (sums / np.maximum(counts, 1)).T.copy(),
    }


class _PassProgress:
    """Counts blocks done over all passes and reports them (when someone listens)."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.done = progress, max(total, 1), 0

    def step(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def _join(parts: list[np.ndarray], empty_shape: tuple, dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(empty_shape, dtype)
