"""The sampling index stored with its reconstruction: round trip, staleness, faults, lazy reads."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest
import zarr

from rewis3d.derived.sampling_index import index_path, load_sampling_index
from rewis3d.errors import DerivedDataCorruptError
from rewis3d.geometry import SamplingConfig, SamplingIndex, view_aware_sample
from rewis3d.store import Project, ReconstructionData

VIEWS, PER, H, W = 20, 1500, 30, 50
CFG = SamplingConfig(budget=2000)
SMALL_CHUNKS = 1024


def ring_views(seed: int, ring: float = 12.0) -> dict:
    """Blobs on a ring: each view's sphere holds its neighbours, not the far side."""
    rng = np.random.default_rng(seed)
    views = {}
    for f in range(VIEWS):
        a = 2 * np.pi * f / VIEWS
        center = ring * np.array([np.cos(a), np.sin(a), 0.0])
        flat = rng.choice(H * W, PER, replace=False)
        views[f] = {
            "points": (center + rng.normal(scale=0.8, size=(PER, 3))).astype(np.float32),
            "colors": rng.integers(0, 255, (PER, 3), dtype=np.uint8),
            "conf": np.ones(PER, np.float32),
            "pixel": np.stack(np.divmod(np.sort(flat), W), axis=1).astype(np.int32),
        }
    return views


@pytest.fixture
def scene(tmp_path):
    project = Project.create(tmp_path / "proj", ["a", "b"])
    with project.scene_writer("ring") as writer:
        for _ in range(VIEWS):
            writer.append(rgb=np.zeros((H, W, 3), np.uint8), intrinsics=np.eye(3), pose=np.eye(4))
    scene = project.scene("ring")
    scene.write_reconstruction("r", ReconstructionData.from_views(VIEWS, ring_views(0)), {})
    return scene


def samples(index, frames=(0, 7, 13)):
    rng = np.random.default_rng(5)
    return [view_aware_sample(index, f, CFG, rng) for f in frames]


def assert_same(a, b):
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.indices, y.indices)
        assert np.array_equal(x.correspondences, y.correspondences)


def in_memory(rec):
    return SamplingIndex.from_reconstruction(rec)


def test_round_trip_gives_the_same_samples_and_is_not_rebuilt(scene, monkeypatch):
    rec = scene.reconstruction("r")
    stored = load_sampling_index(rec)
    assert (index_path(rec) / "zarr.json").is_file()
    expected = samples(in_memory(rec))
    assert_same(samples(stored), expected)

    def refuse(*args, **kwargs):
        raise AssertionError("rebuilt a fresh index")

    monkeypatch.setattr(SamplingIndex, "build", refuse)
    reopened = load_sampling_index(scene.reconstruction("r"))
    assert_same(samples(reopened), expected)


def test_rewritten_reconstruction_gets_a_new_index(scene):
    load_sampling_index(scene.reconstruction("r"))
    scene.write_reconstruction("r", ReconstructionData.from_views(VIEWS, ring_views(1)), {})
    rec = scene.reconstruction("r")
    assert_same(samples(load_sampling_index(rec)), samples(in_memory(rec)))


def test_points_changed_in_place_make_the_index_stale(scene):
    rec = scene.reconstruction("r")
    load_sampling_index(rec)
    arr = zarr.open_array(str(rec.path / "points"), mode="r+")
    arr[:] = arr[:] + np.float32(5.0)
    rec = scene.reconstruction("r")
    stored = load_sampling_index(rec)
    assert np.allclose(stored.centroid, in_memory(rec).centroid)
    assert_same(samples(stored), samples(in_memory(rec)))


def test_changed_parameters_rebuild(scene):
    rec = scene.reconstruction("r")
    load_sampling_index(rec)
    wider = load_sampling_index(rec, sphere_scale=2.0)
    assert np.allclose(wider.radius, SamplingIndex.from_reconstruction(rec, 2.0).radius)


def test_truncated_chunk_is_rebuilt_with_a_warning(scene):
    rec = scene.reconstruction("r")
    load_sampling_index(rec, chunk_rows=SMALL_CHUNKS)
    chunk = index_path(rec) / "sorted_points" / "c" / "3" / "0"
    chunk.write_bytes(chunk.read_bytes()[:100])
    with pytest.warns(UserWarning, match="truncated"):
        stored = load_sampling_index(rec)
    assert_same(samples(stored), samples(in_memory(rec)))


def test_corrupted_chunk_is_an_error_never_a_wrong_sample(scene):
    rec = scene.reconstruction("r")
    load_sampling_index(rec, chunk_rows=SMALL_CHUNKS)
    for name in ("order", "sorted_frame", "sorted_points"):
        for chunk in sorted((index_path(rec) / name / "c").rglob("*")):
            if chunk.is_file():
                raw = bytearray(chunk.read_bytes())
                raw[len(raw) // 2] ^= 0xFF
                chunk.write_bytes(bytes(raw))
    stored = load_sampling_index(rec, chunk_rows=SMALL_CHUNKS)  # sizes are fine: opens lazily
    with pytest.raises(DerivedDataCorruptError, match="checksum"):
        samples(stored)
    fixed = load_sampling_index(rec, rebuild=True)
    assert_same(samples(fixed), samples(in_memory(rec)))


def test_unreadable_metadata_is_rebuilt(scene):
    rec = scene.reconstruction("r")
    load_sampling_index(rec)
    (index_path(rec) / "zarr.json").write_text("{not json")
    with pytest.warns(UserWarning, match="rebuilding"):
        stored = load_sampling_index(rec)
    assert_same(samples(stored), samples(in_memory(rec)))


def test_a_sample_reads_only_the_chunks_of_its_region(scene):
    rec = scene.reconstruction("r")
    stored = load_sampling_index(rec, chunk_rows=SMALL_CHUNKS)
    frame = 4
    view_aware_sample(stored, frame, CFG, np.random.default_rng(0))
    lo, hi = stored.view_cells_ptr[frame], stored.view_cells_ptr[frame + 1]
    cells = stored.view_cells[lo:hi]
    region_rows = np.concatenate([np.arange(stored.cell_ptr[c], stored.cell_ptr[c + 1])
                                  for c in cells])
    region_chunks = set((region_rows // SMALL_CHUNKS).tolist())
    total = -(-rec.num_points // SMALL_CHUNKS)
    for name in ("order", "sorted_frame"):
        read = getattr(stored, name).chunks_read
        assert read and read <= region_chunks, name
        assert len(read) < total / 2, name  # the far side of the ring is never read
    own = set(range(int(stored.frame_ptr[frame]) // SMALL_CHUNKS,
                    (int(stored.frame_ptr[frame + 1]) - 1) // SMALL_CHUNKS + 1))
    assert stored.pixel.chunks_read <= own


def test_budget_of_the_whole_scene_works_on_a_stored_index(scene):
    rec = scene.reconstruction("r")
    stored = load_sampling_index(rec, chunk_rows=SMALL_CHUNKS)
    with pytest.warns(UserWarning, match="budget"):
        s = view_aware_sample(stored, 2, SamplingConfig(budget=10**6), np.random.default_rng(0))
    pts = s.correspondence_points
    assert (np.asarray(rec.pixel[:])[pts] == s.correspondences[:, 1:]).all()


def _open_concurrently(path, out, builds):
    """One process opening the reconstruction; it counts the builds it does into ``builds``."""
    real_build = SamplingIndex.build.__func__

    def counting_build(cls, *args, **kwargs):
        with open(builds, "a") as fh:
            fh.write("x")
        return real_build(cls, *args, **kwargs)

    SamplingIndex.build = classmethod(counting_build)
    rec = Project.open(path).scene("ring").reconstruction("r")
    index = load_sampling_index(rec)
    np.save(out, np.asarray(index.order[:]))


def test_processes_opening_one_missing_index_build_it_once(scene, tmp_path):
    """DDP ranks (or the GUI and a job) opening a reconstruction together: one builds, the
    others wait for it and open the stored index; none sees a half-replaced folder."""
    builds = tmp_path / "builds"
    ctx = mp.get_context("spawn")  # fresh processes, like torchrun's ranks
    outs = [tmp_path / f"order{i}.npy" for i in range(3)]
    procs = [ctx.Process(target=_open_concurrently, args=(tmp_path / "proj", out, builds))
             for out in outs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert builds.read_text() == "x"
    expected = in_memory(scene.reconstruction("r")).order
    for out in outs:
        assert np.array_equal(np.load(out), expected)
