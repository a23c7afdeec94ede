"""The propagation preview's stored, memory-mapped index: equality with the in-memory path and
the whole-array method, chunked reads, staleness and damage."""

from __future__ import annotations

import os

import numpy as np
import pytest

from rewis3d.derived.preview import open_preview
from rewis3d.derived.preview_index import (
    build_in_memory,
    load_preview_index,
    preview_index_path,
)
from rewis3d.derived.row_chunks import RowChunks
from rewis3d.geometry import PropagationConfig, PropagationPreview
from tests.geometry.geometry_box_scene import scribble_labels

CONFIG = PropagationConfig(voxel_size=0.05, radius=0.3)
SMALL_CHUNKS = 700


class RecordingArray:
    """A sliceable array that records the number of rows of every read."""

    def __init__(self, data):
        self.data, self.reads = data, []

    def __len__(self):
        return len(self.data)

    def __getitem__(self, key):
        self.reads.append(key.stop - key.start)
        return np.asarray(self.data[key])


def whole_array_voxels(points: np.ndarray, voxel_size: float):
    """The pre-chunking method: voxel ids by np.unique over all keys, centres by np.bincount."""
    cells = np.floor(points / voxel_size).astype(np.int64)
    cells -= cells.min(axis=0)
    span = cells.max(axis=0) + 1
    keys = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]
    _, ids = np.unique(keys, return_inverse=True)
    num = ids.max() + 1
    counts = np.maximum(np.bincount(ids, minlength=num), 1)[:, None]
    sums = np.stack([np.bincount(ids, points[:, i], num) for i in range(3)], axis=1)
    return ids.ravel(), sums / counts


def label(scene, frames, seed=0):
    rng = np.random.default_rng(seed)
    for f in frames:
        scene.annotations.set_frame(f, scribble_labels(np.asarray(scene.gt[f]), rng))


def assert_same_preview(a: PropagationPreview, b: PropagationPreview, frames: int):
    for f in range(frames):
        for x, y in zip(a.frame_labels(f), b.frame_labels(f), strict=True):
            np.testing.assert_array_equal(x, y)
    everything = a.point_labels()
    np.testing.assert_array_equal(everything, b.point_labels())
    some = np.random.default_rng(3).choice(len(everything), min(len(everything), 5000),
                                           replace=False)  # unsorted, across chunks
    np.testing.assert_array_equal(a.point_labels(some), everything[some])
    np.testing.assert_array_equal(b.point_labels(some), everything[some])


def test_chunked_build_equals_the_whole_array_method_and_reads_bounded_chunks(box_project):
    scene = box_project.scene("boxes")
    rec = scene.reconstruction("sensor-depth")
    points, pixel = RecordingArray(rec.points), RecordingArray(rec.pixel)
    index = build_in_memory(points, pixel, rec.frame_ptr, 0.05, scene.image_size,
                            chunk_rows=SMALL_CHUNKS)
    assert rec.num_points > 5 * SMALL_CHUNKS
    assert max(points.reads + pixel.reads) <= SMALL_CHUNKS
    ids, centers = whole_array_voxels(np.asarray(rec.points[:]), 0.05)
    np.testing.assert_array_equal(index.point_voxel, ids)
    np.testing.assert_array_equal(index.centers, centers)  # bit for bit
    np.testing.assert_array_equal(index.pixel, np.asarray(rec.pixel[:]))
    assert index.point_voxel.dtype == np.int32 and index.pixel.dtype == np.int16
    frame_of = np.searchsorted(rec.frame_ptr, np.arange(rec.num_points), side="right") - 1
    for v in (0, len(centers) // 2, len(centers) - 1):
        expect = np.unique(frame_of[ids == v])
        got = index.voxel_frames[index.voxel_frame_ptr[v] : index.voxel_frame_ptr[v + 1]]
        np.testing.assert_array_equal(got, expect)


def test_stored_and_in_memory_previews_are_identical(box_project):
    scene = box_project.scene("boxes")
    rec = scene.reconstruction("sensor-depth")
    label(scene, [0, 6, 11])
    stored = open_preview(scene, rec, 3, CONFIG)
    assert isinstance(stored.point_voxel, RowChunks)
    assert (preview_index_path(rec) / "zarr.json").is_file()
    memory = PropagationPreview.from_arrays(np.asarray(rec.points[:]), np.asarray(rec.pixel[:]),
                                            rec.frame_ptr, scene.image_size, 3, CONFIG)
    for f in scene.annotations.labelled_frames():
        memory.update_frame(f, scene.annotations.frame(f))
    assert_same_preview(stored, memory, scene.num_frames)
    stroke = np.zeros(scene.image_size, dtype=bool)
    stroke[20:26, 30:40] = True
    scene.annotations.add_stroke(3, 2, stroke)
    labels = scene.annotations.frame(3)
    assert stored.update_frame(3, labels) == memory.update_frame(3, labels) != set()
    assert_same_preview(stored, memory, scene.num_frames)
    reopened = open_preview(scene, rec, 3, CONFIG)  # from the stored index
    assert_same_preview(reopened, memory, scene.num_frames)


def test_stale_or_other_voxel_size_rebuilds(box_project):
    scene = box_project.scene("boxes")
    rec = scene.reconstruction("sensor-depth")
    first = load_preview_index(rec, 0.05, scene.image_size)
    np.testing.assert_array_equal(
        load_preview_index(rec, 0.1, scene.image_size).point_voxel[:],
        whole_array_voxels(np.asarray(rec.points[:]), 0.1)[0])
    points_file = next(p for p in (rec.path / "points").rglob("*") if p.is_file())
    # Rewrite the points in place: mirrored along x, so the voxel ids change.
    rec.points[:] = np.asarray(rec.points[:]) * np.array([-1, 1, 1], np.float32)
    os.utime(points_file, ns=(1, 1))
    rebuilt = load_preview_index(rec, 0.05, scene.image_size)
    expect = whole_array_voxels(np.asarray(rec.points[:]), 0.05)[0]
    assert not np.array_equal(first.point_voxel[:], expect)
    np.testing.assert_array_equal(rebuilt.point_voxel[:], expect)


@pytest.mark.parametrize("damage", ["flip", "truncate", "metadata"])
def test_damaged_index_is_rebuilt_with_a_warning(box_project, damage):
    scene = box_project.scene("boxes")
    rec = scene.reconstruction("sensor-depth")
    load_preview_index(rec, 0.05, scene.image_size, chunk_rows=SMALL_CHUNKS)
    root = preview_index_path(rec)
    chunk = root / "point_voxel" / "c" / "2"
    if damage == "flip":
        raw = bytearray(chunk.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        chunk.write_bytes(bytes(raw))
    elif damage == "truncate":
        chunk.write_bytes(chunk.read_bytes()[:10])
    else:
        (root / "zarr.json").write_text("{not json")
    with pytest.warns(UserWarning, match="rebuilding the preview index"):
        index = load_preview_index(rec, 0.05, scene.image_size)
    np.testing.assert_array_equal(index.point_voxel[:],
                                  whole_array_voxels(np.asarray(rec.points[:]), 0.05)[0])
    assert not list(root.parent.glob(f".{root.name}.*"))  # no staging leftovers
