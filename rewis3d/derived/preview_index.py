"""The propagation preview's index (``geometry.preview_index``) stored with its reconstruction.

``reconstructions/<name>/preview_index/`` (a derived group, ``cache``): the per-point arrays
(``point_voxel``, ``pixel``) as row chunks, memory-mapped; the per-voxel ones read whole;
``params`` (voxel size, pixel dtype). Built straight into the store chunk by chunk; rebuilt
when absent, stale, truncated or damaged (every chunk's checksum is verified when opened).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import zarr

from rewis3d.derived.cache import load_or_build, open_group, write_group, write_whole
from rewis3d.derived.row_chunks import RowChunkWriter
from rewis3d.geometry.preview_index import (
    CHUNK_ROWS,
    PreviewIndex,
    Progress,
    build_in_memory,
    build_preview_index,
    pixel_dtype,
)

PREVIEW_VERSION = 2  # 2: "centres" renamed "centers"
PREVIEW_FOLDER = "preview_index"
ROW_ARRAYS = ("point_voxel", "pixel")
WHOLE_ARRAYS = ("voxel_frame_ptr", "voxel_frames", "centers")


def preview_index_path(reconstruction) -> Path:
    return Path(reconstruction.path) / PREVIEW_FOLDER


def load_preview_index(reconstruction, voxel_size: float, image_size: tuple[int, int],
                  rebuild: bool = False, chunk_rows: int = CHUNK_ROWS,
                  progress: Progress | None = None) -> PreviewIndex:
    """The stored preview index of ``reconstruction``; built and stored first when needed
    (absent, stale, damaged or ``rebuild``). A read-only project gets it in memory.
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

    return load_or_build(preview_index_path(reconstruction), "preview index",
                  lambda: open_preview_index(reconstruction, params), build, rebuild)


def open_preview_index(reconstruction, params: dict) -> PreviewIndex:
    """The stored index, per-point arrays memory-mapped, every chunk's checksum verified.
    FileNotFoundError when absent or stale; DerivedDataCorruptError when damaged."""
    _, rows, whole = open_group(preview_index_path(reconstruction), reconstruction,
                                PREVIEW_VERSION, params, ROW_ARRAYS, WHOLE_ARRAYS)
    for array in rows.values():
        array.verify()
    return PreviewIndex(**rows, **whole)


def write_preview_index(reconstruction, voxel_size: float, image_size: tuple[int, int],
                        params: dict, chunk_rows: int = CHUNK_ROWS,
                        progress: Progress | None = None) -> Path:
    """Build the index from ``reconstruction`` chunk by chunk straight into its store."""
    n = reconstruction.num_points

    def arrays(group: zarr.Group) -> dict[str, list[int]]:
        voxel_rows = RowChunkWriter(group, "point_voxel", (n,), np.int32, chunk_rows)
        pixel_rows = RowChunkWriter(group, "pixel", (n, 2), pixel_dtype(image_size), chunk_rows)

        def write_rows(voxel_block: np.ndarray, pixel_block: np.ndarray) -> None:
            voxel_rows.append(voxel_block)
            pixel_rows.append(pixel_block)

        per_voxel = build_preview_index(reconstruction.points, reconstruction.pixel,
                                        reconstruction.frame_ptr, voxel_size, image_size,
                                        chunk_rows, write_rows, progress)
        return {"point_voxel": voxel_rows.close(), "pixel": pixel_rows.close(),
                **write_whole(group, per_voxel)}

    return write_group(preview_index_path(reconstruction), reconstruction, PREVIEW_VERSION,
                       params, arrays)
