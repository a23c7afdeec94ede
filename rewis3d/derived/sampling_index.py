"""The view-aware sampling index stored with its reconstruction, so it is built once.

Layout: ``reconstructions/<name>/sampling_index/`` (a derived group, ``cache``) with the
``SamplingIndex`` arrays. The four N-sized ones (``order``, ``sorted_points``,
``sorted_frame``, ``pixel``) are raw row chunks read lazily (``row_chunks.RowChunks``); the
small per-cell and per-view ones are read whole.

``load_sampling_index`` rebuilds when the index is absent, of another version or parameters, or
stale (the reconstruction's points, pixels or ``frame_ptr`` were rewritten; rewriting a
reconstruction through the store also removes the folder), and when its metadata is
unreadable or a chunk file is missing or truncated (with a warning). A chunk whose bytes were
altered in place is found by its checksum the first time a sample touches it:
``DerivedDataCorruptError`` names the file; ``load_sampling_index(rec, rebuild=True)`` fixes it. A
sample is never drawn from bytes that fail their checksum. Two processes that open one
reconstruction at once (DDP ranks, the GUI and a job): one builds, the other waits and opens
what it stored.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import zarr

from rewis3d.derived.cache import load_or_build, open_group, write_group, write_whole
from rewis3d.derived.row_chunks import write_row_chunks
from rewis3d.geometry.sampling_index import DEFAULT_GRID_CELLS, SamplingIndex

INDEX_VERSION = 1
INDEX_FOLDER = "sampling_index"
CHUNK_ROWS = 1 << 20
ROW_ARRAYS = ("order", "sorted_points", "sorted_frame", "pixel")
WHOLE_ARRAYS = ("centroid", "radius", "cell_ptr", "view_cells_ptr", "view_cells", "view_cum",
                "view_cell_inside", "view_share")


def index_path(reconstruction) -> Path:
    return Path(reconstruction.path) / INDEX_FOLDER


def load_sampling_index(
    reconstruction,
    sphere_scale: float = 1.5,
    grid_cells: int = DEFAULT_GRID_CELLS,
    rebuild: bool = False,
    chunk_rows: int = CHUNK_ROWS,
) -> SamplingIndex:
    """The stored index of ``reconstruction``, read lazily (a sample reads only the chunks
    its region touches); built and stored first when needed."""
    params = {"sphere_scale": float(sphere_scale), "grid_cells": int(grid_cells)}

    def build() -> SamplingIndex:
        index = SamplingIndex.build(np.asarray(reconstruction.points[:]), reconstruction.frame_ptr,
                                    np.asarray(reconstruction.pixel[:]), sphere_scale, grid_cells)
        try:
            write_index(reconstruction, index, params, chunk_rows)
        except OSError as exc:  # a read-only project still trains, from memory
            warnings.warn(f"could not store the sampling index ({exc}); using it from memory",
                          stacklevel=3)
            return index
        del index
        return open_index(reconstruction, params)

    return load_or_build(index_path(reconstruction), "sampling index",
                  lambda: open_index(reconstruction, params), build, rebuild)


def open_index(reconstruction, params: dict) -> SamplingIndex:
    """The stored index, read lazily. FileNotFoundError when absent or stale (rebuild it);
    DerivedDataCorruptError when present but unreadable."""
    _, rows, whole = open_group(index_path(reconstruction), reconstruction, INDEX_VERSION,
                                params, ROW_ARRAYS, WHOLE_ARRAYS)
    return SamplingIndex(points=reconstruction.points, frame_ptr=reconstruction.frame_ptr,
                         **rows, **whole)


def write_index(reconstruction, index: SamplingIndex, params: dict,
                chunk_rows: int = CHUNK_ROWS) -> Path:
    """Store ``index`` next to the reconstruction's arrays."""
    def arrays(group: zarr.Group) -> dict[str, list[int]]:
        crcs = {name: write_row_chunks(group, name, np.asarray(getattr(index, name)), chunk_rows)
                for name in ROW_ARRAYS}
        return {**crcs, **write_whole(group, {n: getattr(index, n) for n in WHOLE_ARRAYS})}

    return write_group(index_path(reconstruction), reconstruction, INDEX_VERSION, params, arrays)
