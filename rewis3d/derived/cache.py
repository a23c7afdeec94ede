"""How every kind of derived data is stored, checked and rebuilt (one implementation for all).

A derived group is a zarr group inside a reconstruction's folder (the store ignores it) whose
arrays are raw row chunks with CRC-32s (``row_chunks``) and whose attrs hold ``version``,
``params`` (what it was built with), ``checksums`` and the ``fingerprint`` of the
reconstruction it was built from. ``load_or_build`` opens it when current and rebuilds it when
absent, stale (another version, other params, a rewritten reconstruction) or damaged; writes
go aside and are renamed into place (``store.atomic.write_aside``); checking and building
happen under the inter-process build lock, so two processes never build the same group twice.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import zarr

from rewis3d.derived.row_chunks import RowChunks, write_row_chunks
from rewis3d.errors import DerivedDataCorruptError
from rewis3d.store.atomic import clean_staged_siblings, write_aside
from rewis3d.store.locking import build_lock

T = TypeVar("T")


def load_or_build(final: Path, what: str, open_stored: Callable[[], T], build: Callable[[], T],
                  rebuild: bool = False) -> T:
    """Under the build lock: the stored copy when ``open_stored`` finds it current, else
    ``build()`` (which stores it, or keeps it in memory on a read-only project).
    ``open_stored`` raises FileNotFoundError when absent or stale, DerivedDataCorruptError
    when damaged (rebuilt, with a warning that names ``what``)."""
    with build_lock(final):
        if not rebuild:
            try:
                return open_stored()
            except FileNotFoundError:
                pass
            except DerivedDataCorruptError as exc:
                warnings.warn(f"rebuilding the {what}: {exc}", stacklevel=3)
        return build()


def read_attrs(path: Path) -> dict:
    """Attrs of the stored group at ``path``: FileNotFoundError when absent,
    DerivedDataCorruptError when its metadata cannot be read."""
    if not (path / "zarr.json").is_file():
        raise FileNotFoundError(path)
    try:
        return dict(zarr.open_group(str(path), mode="r").attrs)
    except Exception as exc:  # zarr raises many types for broken metadata
        raise DerivedDataCorruptError(f"{path}: unreadable metadata ({exc})") from None


def open_group(path: Path, reconstruction, version: int, params: dict,
               rows: tuple[str, ...] = (), whole: tuple[str, ...] = ()
               ) -> tuple[dict, dict[str, RowChunks], dict[str, np.ndarray]]:
    """(attrs, lazy ``rows`` arrays, ``whole`` arrays read) of the group at ``path`` when it was
    built by ``version`` with ``params`` from ``reconstruction`` as it is now. FileNotFoundError
    when absent or stale; DerivedDataCorruptError when an array is missing, truncated or (a
    row array) not one row per point."""
    attrs = read_attrs(path)
    if any(attrs.get(key) != value
           for key, value in _identity(reconstruction, version, params).items()):
        raise FileNotFoundError(path)  # stale: another version, other params, other data
    try:
        crcs = attrs["checksums"]
        lazy = {name: RowChunks(path / name, crcs[name]) for name in rows}
        read = {name: RowChunks(path / name, crcs[name])[:] for name in whole}
    except (KeyError, ValueError, OSError) as exc:
        raise DerivedDataCorruptError(f"{path}: incomplete ({exc!r})") from None
    if any(len(a) != reconstruction.num_points for a in lazy.values()):
        raise DerivedDataCorruptError(f"{path}: arrays do not match the reconstruction's size")
    return attrs, lazy, read


def write_group(final: Path, reconstruction, version: int, params: dict,
                arrays: Callable[[zarr.Group], dict[str, list[int]]],
                extra: dict | None = None) -> Path:
    """Store a derived group of ``reconstruction``: ``arrays(group)`` writes its row-chunked
    arrays and returns their checksums; the attrs say what built it (+ ``extra``). Written
    aside and renamed into place, so a crash leaves the old group or the new one; leftovers of
    crashed writes are removed."""
    clean_staged_siblings(final)
    with write_aside(final, directory=True) as stage:
        group = zarr.open_group(str(stage), mode="w")
        crcs = arrays(group)
        group.attrs.update({**_identity(reconstruction, version, params), **(extra or {}),
                            "checksums": crcs})
    return final


def _identity(reconstruction, version: int, params: dict) -> dict:
    return {"version": version, "params": params, "fingerprint": fingerprint(reconstruction)}


def write_whole(group: zarr.Group, arrays: dict[str, np.ndarray]) -> dict[str, list[int]]:
    """Small arrays read whole: one chunk each. Returns their checksums."""
    return {name: write_row_chunks(group, name, np.asarray(data), max(len(data), 1))
            for name, data in arrays.items()}


def fingerprint(reconstruction) -> str:
    """Identity of the arrays derived data depends on: ``frame_ptr``'s bytes and the size and
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
