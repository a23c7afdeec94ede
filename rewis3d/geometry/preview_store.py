"""The propagation preview's per-point state, built chunk by chunk and stored with its reconstruction.

``PreviewIndex`` holds what the preview needs per point and per voxel:

- ``point_voxel`` (N,) int32 voxel id of every point (at most 2^31 - 1 voxels, checked) and
  ``pixel`` (N, 2) int16 (int32 for images over 32767 px) -- per point, so stored as raw row
  chunks and memory-mapped (``row_chunks.RowChunks``);
- ``voxel_frame_ptr`` (V+1,) int64 / ``voxel_frames`` (P,) int32: the frames holding points
  of each voxel, ascending (P = distinct (voxel, frame) pairs, usually far below N);
  ``centres`` (V, 3) float64: each voxel's mean point. Read whole (per voxel, not per point).

The build reads the reconstruction ``chunk_rows`` rows at a time (three passes over the
points: bounds, distinct voxels, ids + centres; one over the pixels), never a whole array; it
holds the distinct voxel keys (8 B/voxel) and the per-voxel sums. Voxel ids equal those of
``np.unique(keys, return_inverse=True)`` over all points and centres those of a single
``np.bincount`` (sums are accumulated in point order), so any chunk size gives the same index.

Stored as ``reconstructions/<name>/preview_index/`` (a zarr group the store ignores) like the
sampling index (``index_store``): ``version``, ``params`` (voxel size, pixel dtype), per-chunk
CRC-32s and the reconstruction's fingerprint; written aside and renamed; rebuilt when absent,
stale, truncated or damaged (every chunk's checksum is verified when it is opened).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from rewis3d.errors import DerivedDataCorruptError
from rewis3d.geometry.index_store import (
    fingerprint,
    open_or_build,
    read_group_attrs,
    write_group_aside,
)
from rewis3d.geometry.row_chunks import RowChunks, RowChunkWriter, write_row_chunks

Progress = Callable[[int, int], None]  # (done, total)

PREVIEW_VERSION = 1
PREVIEW_FOLDER = "preview_index"
CHUNK_ROWS = 1 << 20
ROW_ARRAYS = ("point_voxel", "pixel")
WHOLE_ARRAYS = ("voxel_frame_ptr", "voxel_frames", "centres")


@dataclass
class PreviewIndex:
    point_voxel: np.ndarray | RowChunks  # (N,) voxel id of every point
    pixel: np.ndarray | RowChunks  # (N, 2) (v, u)
    voxel_frame_ptr: np.ndarray  # (V+1,) int64
    voxel_frames: np.ndarray  # (P,) int32
    centres: np.ndarray  # (V, 3) float64

    @property
    def num_voxels(self) -> int:
        return len(self.centres)


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
        "centres": (sums / np.maximum(counts, 1)).T.copy(),
    }


def preview_index_path(reconstruction) -> Path:
    return Path(reconstruction.path) / PREVIEW_FOLDER


def load_or_build(reconstruction, voxel_size: float, image_size: tuple[int, int],
                  rebuild: bool = False, chunk_rows: int = CHUNK_ROWS,
                  progress: Progress | None = None) -> PreviewIndex:
    """Open the stored preview index of ``reconstruction``; build and store it first when
    needed (absent, stale, damaged or ``rebuild``). A read-only project gets it in memory.
    ``progress(done, total)`` reports a build (nothing when the stored index is opened)."""
    params = {"voxel_size": float(voxel_size), "pixel_dtype": pixel_dtype(image_size).name}

    def build() -> PreviewIndex:
        try:
            write_preview_index(reconstruction, voxel_size, image_size, params, chunk_rows,
                                progress)
        except OSError as exc:
            warnings.warn(f"could not store the preview index ({exc}); building it in memory",
                          stacklevel=3)
            return build_in_memory(reconstruction.points, reconstruction.pixel,
                                   reconstruction.frame_ptr, voxel_size, image_size, chunk_rows,
                                   progress)
        return open_preview_index(reconstruction, params)

    return open_or_build(preview_index_path(reconstruction), "preview index",
                         lambda: open_preview_index(reconstruction, params), build, rebuild)


def open_preview_index(reconstruction, params: dict) -> PreviewIndex:
    """The stored index, per-point arrays memory-mapped, every chunk's checksum verified.
    FileNotFoundError when absent or stale; DerivedDataCorruptError when damaged."""
    path = preview_index_path(reconstruction)
    attrs = read_group_attrs(path)
    if (attrs.get("version") != PREVIEW_VERSION or attrs.get("params") != params
            or attrs.get("fingerprint") != fingerprint(reconstruction)):
        raise FileNotFoundError(path)  # stale
    try:
        crcs = attrs["checksums"]
        rows = {name: RowChunks(path / name, crcs[name]) for name in ROW_ARRAYS}
        whole = {name: RowChunks(path / name, crcs[name])[:] for name in WHOLE_ARRAYS}
    except (KeyError, ValueError, OSError) as exc:
        raise DerivedDataCorruptError(f"{path}: incomplete index ({exc!r})") from None
    if any(len(a) != reconstruction.num_points for a in rows.values()):
        raise DerivedDataCorruptError(f"{path}: arrays do not match the reconstruction's size")
    for array in rows.values():
        array.verify()
    return PreviewIndex(**rows, **whole)


def write_preview_index(reconstruction, voxel_size: float, image_size: tuple[int, int],
                        params: dict, chunk_rows: int = CHUNK_ROWS,
                        progress: Progress | None = None) -> Path:
    """Build the index from ``reconstruction`` chunk by chunk straight into its store."""
    n = reconstruction.num_points

    def fill(group: zarr.Group) -> None:
        voxel_rows = RowChunkWriter(group, "point_voxel", (n,), np.int32, chunk_rows)
        pixel_rows = RowChunkWriter(group, "pixel", (n, 2), pixel_dtype(image_size), chunk_rows)

        def write_rows(voxel_block: np.ndarray, pixel_block: np.ndarray) -> None:
            voxel_rows.append(voxel_block)
            pixel_rows.append(pixel_block)

        per_voxel = build_preview_index(reconstruction.points, reconstruction.pixel,
                                        reconstruction.frame_ptr, voxel_size, image_size,
                                        chunk_rows, write_rows, progress)
        crcs = {"point_voxel": voxel_rows.close(), "pixel": pixel_rows.close()}
        for name, data in per_voxel.items():
            crcs[name] = write_row_chunks(group, name, data, max(len(data), 1))
        group.attrs.update({"version": PREVIEW_VERSION, "params": params, "checksums": crcs,
                            "fingerprint": fingerprint(reconstruction)})

    return write_group_aside(preview_index_path(reconstruction), fill)


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
