"""The view-aware sampling index stored with its reconstruction, so it is built once.

Layout: ``reconstructions/<name>/sampling_index/`` (a zarr group the store ignores) with the
``SamplingIndex`` arrays. The four N-sized ones (``order``, ``sorted_points``,
``sorted_frame``, ``pixel``) are raw row chunks read lazily (``row_chunks.RowChunks``); the
small per-cell and per-view ones are read whole. Attrs: ``version``, the build parameters,
per-chunk CRC-32s and a fingerprint of the reconstruction it was built from.

``load_or_build`` rebuilds when the index is absent, of another version or parameters, or
stale (the fingerprint differs: the reconstruction's points, pixels or ``frame_ptr`` were
rewritten; rewriting a reconstruction through the store also removes the folder), and when
its metadata is unreadable or a chunk file is missing or truncated (with a warning). A chunk
whose bytes were altered in place is found by its checksum the first time a sample touches
it: ``DerivedDataCorruptError`` names the file; ``load_or_build(rec, rebuild=True)`` fixes
it. A sample is never drawn from bytes that fail their checksum.

Writes go to a hidden sibling folder first and are renamed into place, so a crash leaves
either no index or a complete one. Checking and building happen under an inter-process lock
(``store.locking.build_lock``): when two processes (DDP ranks, the GUI and a job) open one
reconstruction at once, one builds and the other waits and opens what it stored.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import zarr

from rewis3d.errors import DerivedDataCorruptError
from rewis3d.geometry.row_chunks import RowChunks, write_row_chunks
from rewis3d.geometry.sampling_index import DEFAULT_GRID_CELLS, SamplingIndex
from rewis3d.store.atomic import fsync_dir
from rewis3d.store.locking import build_lock

INDEX_VERSION = 1
INDEX_FOLDER = "sampling_index"
CHUNK_ROWS = 1 << 20
ROW_ARRAYS = ("order", "sorted_points", "sorted_frame", "pixel")
WHOLE_ARRAYS = ("centroid", "radius", "cell_ptr", "view_cells_ptr", "view_cells", "view_cum",
                "view_cell_inside", "view_share")
T = TypeVar("T")


def index_path(reconstruction) -> Path:
    return Path(reconstruction.path) / INDEX_FOLDER


def open_or_build(final: Path, what: str, open_stored: Callable[[], T], build: Callable[[], T],
                  rebuild: bool = False) -> T:
    """The one way derived data (sampling index, preview index, display subset) is opened:
    under the build lock, the stored copy when ``open_stored`` finds it valid, else ``build()``
    (which stores it, or keeps it in memory on a read-only project). ``open_stored`` raises
    FileNotFoundError when absent or stale, DerivedDataCorruptError when damaged (rebuilt,
    with a warning)."""
    with build_lock(final):
        if not rebuild:
            try:
                return open_stored()
            except FileNotFoundError:
                pass
            except DerivedDataCorruptError as exc:
                warnings.warn(f"rebuilding the {what}: {exc}", stacklevel=3)
        return build()


def load_or_build(
    reconstruction,
    sphere_scale: float = 1.5,
    grid_cells: int = DEFAULT_GRID_CELLS,
    rebuild: bool = False,
    chunk_rows: int = CHUNK_ROWS,
) -> SamplingIndex:
    """Open the stored index of ``reconstruction``; build and store it first when needed."""
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

    return open_or_build(index_path(reconstruction), "sampling index",
                         lambda: open_index(reconstruction, params), build, rebuild)


def open_index(reconstruction, params: dict) -> SamplingIndex:
    """The stored index, read lazily. FileNotFoundError when absent or stale (rebuild it);
    DerivedDataCorruptError when present but unreadable."""
    path = index_path(reconstruction)
    attrs = read_group_attrs(path)
    if (attrs.get("version") != INDEX_VERSION or attrs.get("params") != params
            or attrs.get("fingerprint") != fingerprint(reconstruction)):
        raise FileNotFoundError(path)  # stale: built by another version, setting or scene
    try:
        crcs = attrs["checksums"]
        rows = {name: RowChunks(path / name, crcs[name]) for name in ROW_ARRAYS}
        whole = {name: _read_whole(path / name, crcs[name]) for name in WHOLE_ARRAYS}
    except (KeyError, ValueError, OSError) as exc:
        raise DerivedDataCorruptError(f"{path}: incomplete index ({exc!r})") from None
    if any(len(a) != reconstruction.num_points for a in rows.values()):
        raise DerivedDataCorruptError(f"{path}: arrays do not match the reconstruction's size")
    return SamplingIndex(points=reconstruction.points, frame_ptr=reconstruction.frame_ptr,
                         **rows, **whole)


def write_index(reconstruction, index: SamplingIndex, params: dict,
                chunk_rows: int = CHUNK_ROWS) -> Path:
    """Store ``index`` next to the reconstruction's arrays (write aside, then rename)."""
    def fill(group: zarr.Group) -> None:
        crcs = {name: write_row_chunks(group, name, np.asarray(getattr(index, name)), chunk_rows)
                for name in ROW_ARRAYS}
        for name in WHOLE_ARRAYS:
            data = np.asarray(getattr(index, name))
            crcs[name] = write_row_chunks(group, name, data, max(len(data), 1))
        group.attrs.update({"version": INDEX_VERSION, "params": params, "checksums": crcs,
                            "fingerprint": fingerprint(reconstruction)})

    return write_group_aside(index_path(reconstruction), fill)


def read_group_attrs(path: Path) -> dict:
    """Attrs of the stored zarr group at ``path``: FileNotFoundError when absent,
    DerivedDataCorruptError when its metadata cannot be read."""
    if not (path / "zarr.json").is_file():
        raise FileNotFoundError(path)
    try:
        return dict(zarr.open_group(str(path), mode="r").attrs)
    except Exception as exc:  # zarr raises many types for broken metadata
        raise DerivedDataCorruptError(f"{path}: unreadable metadata ({exc})") from None


def write_group_aside(final: Path, fill: Callable[[zarr.Group], None]) -> Path:
    """Let ``fill`` write a zarr group in a hidden sibling of ``final``, fsync it and rename it
    into place (replacing the old one), so a crash leaves either the old group or the new."""
    parent = final.parent
    for leftover in parent.glob(f".{final.name}.*"):  # from writes a crash interrupted
        shutil.rmtree(leftover, ignore_errors=True)
    stage = parent / f".{final.name}.{uuid.uuid4().hex[:8]}"
    try:
        fill(zarr.open_group(str(stage), mode="w"))
        _fsync_tree(stage)
        if final.exists():
            trash = parent / f".{final.name}.trash-{uuid.uuid4().hex[:8]}"
            os.replace(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.replace(stage, final)
        fsync_dir(parent)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return final


def fingerprint(reconstruction) -> str:
    """Identity of the arrays the index depends on: ``frame_ptr``'s bytes and the size and
    modification time of every file of ``points`` and ``pixel`` (cheap: no point is read).
    A copy that does not keep modification times is seen as stale and rebuilt once."""
    h = hashlib.sha1(np.ascontiguousarray(reconstruction.frame_ptr, dtype="<i8").tobytes())
    root = Path(reconstruction.path)
    for name in ("points", "pixel"):
        for file in sorted((root / name).rglob("*")):
            if file.is_file():
                st = file.stat()
                h.update(f"{file.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def _read_whole(path: Path, crcs: list[int]) -> np.ndarray:
    return RowChunks(path, crcs)[:]


def _fsync_tree(root: Path) -> None:
    for file in root.rglob("*"):
        if file.is_file():
            with open(file, "rb") as fh:
                os.fsync(fh.fileno())
