"""Level of detail of the 3D cloud: a stored display subset, read instead of every array."""

from __future__ import annotations

import numpy as np
import pytest

from rewis3d.derived.display_subset import LOD_FOLDER, load_display_subset
from rewis3d.store import IGNORE_INDEX, Project, ReconstructionData

VIEWS, PER, H, W = 6, 400, 20, 30


def make_reconstruction(tmp_path):
    rng = np.random.default_rng(0)
    project = Project.create(tmp_path / "proj", ["a", "b"])
    with project.scene_writer("s") as writer:
        for _ in range(VIEWS):
            writer.append(rgb=np.zeros((H, W, 3), np.uint8), intrinsics=np.eye(3), pose=np.eye(4))
    views = {f: {"points": rng.normal(size=(PER, 3)).astype(np.float32) + f,
                 "colors": rng.integers(0, 255, (PER, 3), dtype=np.uint8),
                 "conf": rng.random(PER).astype(np.float32),
                 "pixel": np.stack(np.divmod(np.arange(PER), W), 1).astype(np.int32)}
             for f in range(VIEWS)}
    scene = project.scene("s")
    return scene, scene.write_reconstruction("r", ReconstructionData.from_views(VIEWS, views), {})


def test_cloud_shows_the_stored_subset_and_lifts_labels_onto_it(make_napari_viewer, tmp_path,
                                                                 monkeypatch):
    from rewis3d_gui.cloud_layer import CloudView

    scene, rec = make_reconstruction(tmp_path)
    budget = 500
    cloud = CloudView(rec, np.eye(4, dtype=np.float32)[:3], budget=budget)
    assert len(cloud.layer.data) == budget and (rec.path / LOD_FOLDER / "zarr.json").is_file()
    full = np.asarray(rec.points[:])
    np.testing.assert_array_equal(cloud.layer.data, full[cloud.subset][:, ::-1])
    np.testing.assert_array_equal(cloud.conf, np.asarray(rec.conf[:])[cloud.subset])

    labels = np.full((H, W), IGNORE_INDEX, np.uint8)
    labels[:5] = 1
    cloud.lift_frame(2, labels)
    pixel = np.asarray(rec.pixel[:])[cloud.subset]
    in_frame = (cloud.subset >= rec.frame_ptr[2]) & (cloud.subset < rec.frame_ptr[3])
    expected = np.where(in_frame & (pixel[:, 0] < 5), 1, IGNORE_INDEX)
    np.testing.assert_array_equal(cloud.shown_labels(), expected)

    def no_full_reads(self, key):
        raise AssertionError(f"read {key!r} of a reconstruction array")

    reopened = scene.reconstruction("r")
    monkeypatch.setattr(type(reopened.points), "__getitem__", no_full_reads)
    again = CloudView(reopened, np.eye(4, dtype=np.float32)[:3], budget=budget)
    np.testing.assert_array_equal(again.subset, cloud.subset)
    viewer = make_napari_viewer()
    viewer.add_layer(again.layer)
    viewer.dims.ndisplay = 3


def test_a_changed_budget_or_reconstruction_redraws_the_subset(tmp_path):
    scene, rec = make_reconstruction(tmp_path)
    small = load_display_subset(rec, 100)
    assert len(small.index) == 100 and len(load_display_subset(rec, 300).index) == 300
    whole = load_display_subset(rec, 10**6)
    np.testing.assert_array_equal(whole.index, np.arange(rec.num_points))
    chunk = rec.path / LOD_FOLDER / "points" / "c" / "0" / "0"
    chunk.write_bytes(chunk.read_bytes()[:-8])  # truncated: drawn again, never wrong
    with pytest.warns(UserWarning, match="truncated"):
        again = load_display_subset(scene.reconstruction("r"), 10**6)
    np.testing.assert_array_equal(again.points, np.asarray(rec.points[:]))
    (rec.path / LOD_FOLDER / "zarr.json").write_text("{not json")  # unreadable metadata
    with pytest.warns(UserWarning, match="rebuilding the display subset"):
        again = load_display_subset(scene.reconstruction("r"), 10**6)
    np.testing.assert_array_equal(again.points, np.asarray(rec.points[:]))
