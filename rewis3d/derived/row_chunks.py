"""Row-chunked arrays stored raw (uncompressed zarr v3), read lazily through memory maps.

A stored sampling index is read by gathers at a few thousand sorted positions per sample; a
compressed chunk would have to be decoded whole for each (12 MB for 1M points). Raw chunks
are memory-mapped instead, so a sample reads only the pages it touches, and the OS page cache
is the cache. Each chunk's CRC-32 is stored next to it and checked the first time a process
touches the chunk, so a flipped or truncated chunk is an error, never a wrong sample.
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np
import zarr

from rewis3d.errors import DerivedDataCorruptError

# Open memory maps per array: a 60M-point index has ~60 chunks per array and four arrays, and
# every map keeps a file descriptor, so unbounded maps ran to ~240 descriptors per index.
MAX_OPEN_MAPS = 16



def write_row_chunks(group: zarr.Group, name: str, data: np.ndarray, chunk_rows: int) -> list[int]:
    """Write ``data`` as a raw row-chunked array; return the CRC-32 of every chunk."""
    data = np.asarray(data)
    writer = RowChunkWriter(group, name, data.shape, data.dtype, chunk_rows)
    writer.append(data)
    return writer.close()


class RowChunkWriter:
    """Write a raw row-chunked array of known shape block by block (any block sizes, in row
    order), holding at most one chunk in memory; ``close`` returns every chunk's CRC-32."""

    def __init__(self, group: zarr.Group, name: str, shape: tuple, dtype, chunk_rows: int):
        self._arr = group.create_array(
            name, shape=shape, dtype=dtype, chunks=(chunk_rows, *shape[1:]),
            compressors=None, filters=None, config={"write_empty_chunks": True},
        )
        self._block = np.zeros((chunk_rows, *shape[1:]), dtype=dtype)
        self._filled = 0  # rows of the current chunk already in ``_block``
        self._start = 0  # first row of the current chunk
        self.crcs: list[int] = []

    def append(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows)
        if self._start + self._filled + len(rows) > self._arr.shape[0]:
            raise ValueError(f"{self._arr.name}: more rows than its shape {self._arr.shape}")
        while len(rows):
            take = min(len(rows), len(self._block) - self._filled)
            self._block[self._filled : self._filled + take] = rows[:take]
            self._filled += take
            rows = rows[take:]
            if self._filled == len(self._block):
                self._flush()

    def close(self) -> list[int]:
        if self._filled:
            self._block[self._filled :] = 0
            self._flush()
        if self._start != self._arr.shape[0]:
            raise ValueError(f"{self._arr.name}: {self._start} rows written, "
                             f"{self._arr.shape[0]} expected")
        return self.crcs

    def _flush(self) -> None:
        stop = min(self._start + self._filled, self._arr.shape[0])
        self._arr[self._start : stop] = self._block[: stop - self._start]
        self.crcs.append(zlib.crc32(self._block))
        self._start, self._filled = stop, 0


class RowChunks:
    """Lazy read-only view of a raw row-chunked array; supports ``a[sorted_ints]`` and ``a[s:e]``.

    ``chunks_read`` records which chunks this reader has touched (tests use it to check that a
    sample reads only its region's chunks).
    """

    def __init__(self, path: Path, crcs: list[int]):
        self.path = Path(path)
        meta = json.loads((self.path / "zarr.json").read_text())
        codecs = meta.get("codecs", [])
        if len(codecs) != 1 or codecs[0].get("name") != "bytes":
            raise DerivedDataCorruptError(f"{self.path}: not a raw (uncompressed) array")
        self.shape = tuple(meta["shape"])
        self.dtype = np.dtype(meta["data_type"]).newbyteorder("<")
        self.chunk_rows = int(meta["chunk_grid"]["configuration"]["chunk_shape"][0])
        self._row_shape = self.shape[1:]
        self._crcs = list(crcs)
        self._maps: OrderedDict[int, np.ndarray] = OrderedDict()  # open maps, oldest first
        self.chunks_read: set[int] = set()
        num_chunks = -(-self.shape[0] // self.chunk_rows)
        if len(self._crcs) != num_chunks:
            raise DerivedDataCorruptError(f"{self.path}: {len(self._crcs)} checksums for "
                                            f"{num_chunks} chunks")
        expected = self.chunk_rows * int(np.prod(self._row_shape, dtype=np.int64)) * self.dtype.itemsize
        for c in range(num_chunks):
            file = self._chunk_file(c)
            if not file.is_file() or file.stat().st_size != expected:
                raise DerivedDataCorruptError(f"{file}: chunk missing or truncated")

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.asarray(self[0 : len(self)], dtype=dtype)

    def verify(self) -> None:
        """Check every chunk's checksum now (DerivedDataCorruptError on the first bad one)."""
        for c in range(len(self._crcs)):
            self._chunk(c)

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                raise IndexError("RowChunks supports unit-step slices only")
            return self._take_range(start, max(stop, start))
        return self._take(np.asarray(key))

    def _take(self, positions: np.ndarray) -> np.ndarray:
        out = np.empty((len(positions), *self._row_shape), dtype=self.dtype)
        if not len(positions):
            return out
        if len(positions) > 1 and not (positions[1:] >= positions[:-1]).all():
            order = np.argsort(positions, kind="stable")
            out[order] = self._take(positions[order])
            return out
        first, last = int(positions[0]) // self.chunk_rows, int(positions[-1]) // self.chunk_rows
        bounds = np.searchsorted(positions, np.arange(first, last + 2) * self.chunk_rows)
        for c in range(first, last + 1):
            a, b = bounds[c - first], bounds[c - first + 1]
            if b > a:
                out[a:b] = self._chunk(c)[positions[a:b] - c * self.chunk_rows]
        return out

    def _take_range(self, start: int, stop: int) -> np.ndarray:
        out = np.empty((stop - start, *self._row_shape), dtype=self.dtype)
        pos = start
        while pos < stop:
            c = pos // self.chunk_rows
            end = min(stop, (c + 1) * self.chunk_rows)
            out[pos - start : end - start] = self._chunk(c)[pos - c * self.chunk_rows :
                                                            end - c * self.chunk_rows]
            pos = end
        return out

    def _chunk(self, c: int) -> np.ndarray:
        chunk = self._maps.get(c)
        if chunk is not None:
            self._maps.move_to_end(c)
            return chunk
        if not 0 <= c < len(self._crcs):
            raise IndexError(f"{self.path}: row chunk {c} is out of range")
        chunk = np.memmap(self._chunk_file(c), dtype=self.dtype, mode="r",
                          shape=(self.chunk_rows, *self._row_shape))
        if c not in self.chunks_read:  # checked once per process, not at every re-open
            if zlib.crc32(chunk) != self._crcs[c]:
                raise DerivedDataCorruptError(
                    f"{self._chunk_file(c)}: checksum mismatch (the stored index is corrupted). "
                    f"Delete the {self.path.parent.name} folder or rebuild it with "
                    "load_or_build(reconstruction, rebuild=True)."
                )
            self.chunks_read.add(c)
        self._maps[c] = chunk
        if len(self._maps) > MAX_OPEN_MAPS:  # each map holds a file descriptor (CPython dups
            self._maps.popitem(last=False)  # it): keep the most recently used ones only
        return chunk

    def _chunk_file(self, c: int) -> Path:
        return self.path / "c" / str(c) / Path(*(["0"] * len(self._row_shape)))
