"""What the store holds: array names, dtypes, shapes and chunking, and how to check them.

Shapes are written with symbols: F frames, H/W image size, N points, C classes. One frame (or
one view's points, via ``frame_ptr``) is one chunk, so the common reads are single-chunk reads.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from rewis3d.errors import StoreValidationError

SCHEMA_VERSION = 1
# Attribute of frame arrays whose every chunk is written at import (stores from older versions
# skipped all-fill chunks: a black frame, a frame without depth), see StoredArray.
EVERY_CHUNK_WRITTEN = "every_chunk_written"
STORE_NAME = "rewis3d.zarr"
POINT_CHUNK = 1 << 20

# runs/<run>/: what a background job (rewis3d.jobs) keeps there beside the run's own files
JOB_FILE = "job.json"
LOG_FILE = "log"
LOCK_FILE = "lock"
CANCEL_FILE = "cancel-requested"
EVENTS_FILE = "events.jsonl"
# What a job puts into runs/<run>/ before its command runs: not a sign of an earlier run.
JOB_FILES = (JOB_FILE, LOG_FILE, LOCK_FILE, CANCEL_FILE)


@dataclass(frozen=True)
class ArraySpec:
    dtype: str
    shape: tuple[str, ...]  # symbols, or digits for fixed sizes
    optional: bool = False


FRAME_ARRAYS = {
    "rgb": ArraySpec("uint8", ("F", "H", "W", "3")),
    "intrinsics": ArraySpec("float64", ("F", "3", "3")),
    "poses": ArraySpec("float64", ("F", "4", "4")),
    "depth": ArraySpec("float32", ("F", "H", "W"), optional=True),
    "gt": ArraySpec("uint8", ("F", "H", "W"), optional=True),
}
ANNOTATION_ARRAYS = {"labels": ArraySpec("uint8", ("F", "H", "W"))}
RECONSTRUCTION_ARRAYS = {
    "points": ArraySpec("float32", ("N", "3")),
    "colors": ArraySpec("uint8", ("N", "3")),
    "conf": ArraySpec("float32", ("N",)),
    "frame": ArraySpec("int32", ("N",)),
    "pixel": ArraySpec("int32", ("N", "2")),
    "frame_ptr": ArraySpec("int64", ("F+1",)),
}
PREDICTION_ARRAYS = {
    "labels": ArraySpec("uint8", ("F", "H", "W")),
    "confidence": ArraySpec("float32", ("F", "H", "W")),
    # normalised 2D predictive entropy, H(p) / log C, in [0, 1]
    "entropy": ArraySpec("float32", ("F", "H", "W"), optional=True),
    # 3D teacher vs 2D prediction at the pixel of each point: 0 agree, 1 differ, 255 no point
    "disagreement_3d": ArraySpec("uint8", ("F", "H", "W"), optional=True),
}


def chunks_for(shape: tuple[int, ...], per_frame: bool) -> tuple[int, ...]:
    """One frame per chunk for frame stacks; ~1M rows per chunk for point arrays."""
    if per_frame:
        return (1, *shape[1:])
    return (min(max(shape[0], 1), POINT_CHUNK), *shape[1:])


def check_array(
    arr: zarr.Array, spec: ArraySpec, sizes: dict[str, int], where: Path | str
) -> dict[str, int]:
    """Check dtype and shape against ``spec``; learn unknown symbols into ``sizes``."""
    if np.dtype(arr.dtype) != np.dtype(spec.dtype):
        raise StoreValidationError(
            f"{where}: dtype is {arr.dtype}, expected {spec.dtype}. The store was modified by "
            "hand or by another tool; re-import the scene or restore the array."
        )
    if len(arr.shape) != len(spec.shape):
        raise StoreValidationError(
            f"{where}: shape {tuple(arr.shape)} has {len(arr.shape)} dims, expected "
            f"{len(spec.shape)} ({'x'.join(spec.shape)}). Re-import the scene or restore the array."
        )
    for dim, symbol in zip(arr.shape, spec.shape, strict=True):
        expected = _resolve(symbol, sizes)
        if expected is None:
            sizes[symbol] = int(dim)
        elif dim != expected:
            raise StoreValidationError(
                f"{where}: shape {tuple(arr.shape)} does not match {'x'.join(spec.shape)} with "
                f"{_describe(sizes)}. Re-import the scene or restore the array."
            )
    return sizes


def _resolve(symbol: str, sizes: dict[str, int]) -> int | None:
    if symbol.isdigit():
        return int(symbol)
    if symbol == "F+1":
        return sizes["F"] + 1 if "F" in sizes else None
    return sizes.get(symbol)


def _describe(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items()) or "no known sizes"


class StoredArray:
    """A zarr array whose read failures name the array and the index, never a codec traceback.

    A truncated or corrupted chunk (a disk fault, a copy cut short) breaks only the frames in
    it: reads of other frames still work, and the error says which array and index to restore.
    Everything else (shape, dtype, chunks, attrs, writes) is the zarr array's own.
    """

    def __init__(self, array: zarr.Array, path: Path, every_chunk_written: bool = False):
        self._array = array
        self._path = path
        # Frames written whole at import (rgb, depth): a missing chunk is a deleted file, which
        # zarr would read as the fill value (a black frame), so it is an error here.
        self._every_chunk_written = (every_chunk_written and array.chunks[0] == 1
                                     and bool(array.attrs.get(EVERY_CHUNK_WRITTEN)))

    def __getitem__(self, key):
        if self._every_chunk_written:
            self._check_chunks_exist(key)
        try:
            return self._array[key]
        except (IndexError, KeyError, TypeError, MemoryError):
            raise
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOMEM):
                raise  # the machine's limits, not the store's fault
            raise StoreValidationError(
                f"{self._path}: cannot read index {key!r} ({exc.strerror or exc})") from None
        except Exception as exc:  # codecs raise many types on corrupt bytes
            raise StoreValidationError(
                f"{self._path}: cannot read index {key!r} ({type(exc).__name__}: {exc}); a "
                "chunk is truncated or corrupted. Restore the file from a backup or re-create "
                "this part of the project; other indices are unaffected."
            ) from None

    def __setitem__(self, key, value) -> None:
        self._array[key] = value

    def _check_chunks_exist(self, key) -> None:
        first = key[0] if isinstance(key, tuple) else key
        n = self._array.shape[0]
        if isinstance(first, int | np.integer):
            frames = [int(first) % n] if -n <= int(first) < n else []
        elif isinstance(first, slice):
            frames = range(*first.indices(n))
        else:
            return  # fancy indexing: zarr reads what it reads
        chunk_dir = self._path / "c"
        missing = [f for f in frames if not (chunk_dir / str(f)).exists()]
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
            raise StoreValidationError(
                f"{self._path}: the data of index {shown} is missing (a chunk file was deleted "
                "or never written); restore it from a backup or import the frames again")

    def __getattr__(self, name: str):
        return getattr(self._array, name)

    def __len__(self) -> int:
        return self._array.shape[0]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.asarray(self[...], dtype=dtype)

    @property
    def ndim(self) -> int:
        return len(self._array.shape)


def open_checked(group_path: Path, name: str, spec: ArraySpec, sizes: dict[str, int],
                 every_chunk_written: bool = False):
    """Open ``group_path/name`` as an array and check it; None if optional and absent.
    ``every_chunk_written``: a missing chunk is an error when read, not the fill value."""
    path = group_path / name
    if not (path / "zarr.json").is_file():
        if spec.optional:
            return None
        raise StoreValidationError(
            f"{path}: array is missing. The store is incomplete (an interrupted write by an "
            "old version, or a file deleted by hand); re-create this part of the project."
        )
    try:
        arr = zarr.open_array(store=str(path), mode="r+")
    except Exception as exc:  # zarr raises many types for broken metadata
        raise StoreValidationError(
            f"{path}: cannot be read as a zarr array ({type(exc).__name__}: {exc}). "
            "Restore it or re-create this part of the project."
        ) from None
    check_array(arr, spec, sizes, path)
    return StoredArray(arr, path, every_chunk_written)
