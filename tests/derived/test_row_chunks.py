"""Row-chunked raw arrays read through memory maps: values, checksums, and a bounded number of
open maps (each holds a file descriptor)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import zarr

from rewis3d.derived.row_chunks import MAX_OPEN_MAPS, RowChunks, write_row_chunks
from rewis3d.errors import DerivedDataCorruptError


def stored(tmp_path, data, chunk_rows):
    group = zarr.open_group(str(tmp_path / "g"), mode="w")
    crcs = write_row_chunks(group, "a", data, chunk_rows)
    return RowChunks(tmp_path / "g" / "a", crcs)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_reading_every_chunk_keeps_only_a_few_maps_open(tmp_path):
    data = np.arange(4 * MAX_OPEN_MAPS * 10 * 3, dtype=np.int32).reshape(-1, 3)
    array = stored(tmp_path, data, chunk_rows=10)  # 4 x MAX_OPEN_MAPS chunks
    before = open_descriptors()
    np.testing.assert_array_equal(np.asarray(array), data)
    np.testing.assert_array_equal(array[np.array([5, 399, 17, 630, 3])],
                                  data[[5, 399, 17, 630, 3]])
    assert open_descriptors() - before <= MAX_OPEN_MAPS
    assert len(array.chunks_read) == 4 * MAX_OPEN_MAPS  # each checked once


def test_a_flipped_byte_is_an_error_also_after_its_map_was_closed(tmp_path):
    data = np.arange(40 * MAX_OPEN_MAPS, dtype=np.float32).reshape(-1, 2)
    array = stored(tmp_path, data, chunk_rows=2)
    chunk = tmp_path / "g" / "a" / "c" / "0" / "0"
    raw = bytearray(chunk.read_bytes())
    raw[0] ^= 0xFF
    chunk.write_bytes(bytes(raw))
    with pytest.raises(DerivedDataCorruptError, match="checksum mismatch"):
        array[0:2]
