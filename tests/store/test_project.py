import json

import numpy as np
import pytest
import zarr

from rewis3d.errors import (
    InputError,
    NotAProjectError,
    SchemaVersionError,
    StoreError,
    StoreValidationError,
)
from rewis3d.store import SCHEMA_VERSION, Project
from tests.conftest import tiny_frames, tree_snapshot


def test_create_open_roundtrip(tiny_project):
    project = Project.open(tiny_project.path)
    assert [c.name for c in project.classes] == ["road", "car", "sky"]
    assert project.ignore_index == 255
    scene = project.scene("s")
    assert scene.num_frames == 3 and scene.image_size == (12, 16)
    assert scene.has_depth and not scene.has_gt
    assert scene.frame_names == ["f0", "f1", "f2"]
    frames = list(tiny_frames())
    np.testing.assert_array_equal(scene.rgb[1], frames[1]["rgb"])
    np.testing.assert_allclose(scene.poses[2], frames[2]["pose"])
    assert scene.depth.chunks == (1, 12, 16)  # one frame = one chunk


def test_open_accepts_the_zarr_folder_itself(tiny_project):
    assert Project.open(tiny_project.store_path).path == tiny_project.path


def test_open_not_a_project(tmp_path):
    with pytest.raises(NotAProjectError, match="not a Rewis3d project"):
        Project.open(tmp_path)
    with pytest.raises(NotAProjectError, match="no such folder"):
        Project.open(tmp_path / "nope")
    zarr.open_group(str(tmp_path / "z" / "rewis3d.zarr"), mode="w")
    with pytest.raises(NotAProjectError, match="schema_version"):
        Project.open(tmp_path / "z")


def test_open_newer_schema(tiny_project):
    root = zarr.open_group(str(tiny_project.store_path), mode="r+")
    root.attrs["rewis3d"] = {"schema_version": SCHEMA_VERSION + 1}
    with pytest.raises(SchemaVersionError, match="newer Rewis3d.*Upgrade"):
        Project.open(tiny_project.path)


def test_open_corrupt_metadata(tiny_project):
    (tiny_project.store_path / "zarr.json").write_text("{not json")
    with pytest.raises(StoreValidationError, match="unreadable metadata"):
        Project.open(tiny_project.path)


def test_wrong_dtype_and_shape_named(tiny_project):
    frames = tiny_project.store_path / "scenes" / "s" / "frames"
    zarr.open_group(str(frames), mode="r+").create_array(
        "depth", shape=(3, 12, 16), dtype="float64", overwrite=True
    )
    with pytest.raises(StoreValidationError, match=r"frames/depth: dtype is float64"):
        tiny_project.scene("s")
    zarr.open_group(str(frames), mode="r+").create_array(
        "depth", shape=(3, 12, 15), dtype="float32", overwrite=True
    )
    with pytest.raises(StoreValidationError, match=r"frames/depth: shape \(3, 12, 15\)"):
        tiny_project.scene("s")


def test_missing_array_named(tiny_project):
    import shutil

    shutil.rmtree(tiny_project.store_path / "scenes" / "s" / "frames" / "poses")
    with pytest.raises(StoreValidationError, match="frames/poses: array is missing"):
        tiny_project.scene("s")


def test_classes_edit_and_validation(tiny_project):
    c = tiny_project.add_class("person", "#ff0000")
    assert (c.id, c.color) == (3, (255, 0, 0))
    tiny_project.rename_class("car", "vehicle")
    tiny_project.set_class_color(0, "1, 2, 3")
    again = Project.open(tiny_project.path)
    assert [(c.id, c.name) for c in again.classes][:2] == [(0, "road"), (1, "vehicle")]
    assert again.classes[0].color == (1, 2, 3)
    with pytest.raises(StoreValidationError, match="used twice"):
        again.add_class("road")
    with pytest.raises(StoreValidationError, match="not valid"):
        again.set_class_color(0, "300,0,0")
    with pytest.raises(StoreValidationError, match="no class 'bus'"):
        again.rename_class("bus", "x")


def test_corrupt_class_list(tiny_project):
    root = zarr.open_group(str(tiny_project.store_path), mode="r+")
    root.attrs["classes"] = [{"id": 1, "name": "a", "color": [1, 2, 3]}]
    with pytest.raises(StoreValidationError, match="class ids must be 0..0"):
        Project.open(tiny_project.path)


def test_scene_exists_refused_and_store_unchanged(tiny_project):
    before = tree_snapshot(tiny_project.path)
    with pytest.raises(StoreError, match="exists.*--overwrite"), tiny_project.scene_writer("s"):
        pass
    assert tree_snapshot(tiny_project.path) == before


def test_failed_import_leaves_store_unchanged(tiny_project):
    before = tree_snapshot(tiny_project.path)
    frames = list(tiny_frames(h=12, w=16))
    bad = dict(frames[1], rgb=np.zeros((10, 16, 3), np.uint8), name="odd.png")
    with (
        pytest.raises(InputError, match="odd.png: image is 16x10 but earlier frames are 16x12"),
        tiny_project.scene_writer("s", overwrite=True) as w,
    ):
        w.append(**frames[0])
        w.append(**bad)
    assert tree_snapshot(tiny_project.path) == before
    assert Project.open(tiny_project.path).scene("s").num_frames == 3


def test_overwrite_replaces_scene(tiny_project):
    with tiny_project.scene_writer("s", overwrite=True) as w:
        for frame in tiny_frames(n=5, depth=False):
            w.append(**frame)
    scene = Project.open(tiny_project.path).scene("s")
    assert scene.num_frames == 5 and not scene.has_depth


def test_staging_leftovers_are_cleaned_and_invisible(tiny_project):
    leftover = tiny_project.staging / "s.deadbeef"
    leftover.mkdir(parents=True)
    (leftover / "zarr.json").write_text(json.dumps({"zarr_format": 3, "node_type": "group"}))
    assert Project.open(tiny_project.path).scene_names() == ["s"]
    assert not leftover.exists()


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "x" * 200])
def test_bad_scene_names(tiny_project, name):
    with pytest.raises(StoreValidationError, match="not allowed"), tiny_project.scene_writer(name):
        pass


def test_empty_scene_refused(tiny_project):
    with pytest.raises(InputError, match="no frames"), tiny_project.scene_writer("empty"):
        pass
    assert tiny_project.scene_names() == ["s"]


def test_create_twice_refused(tiny_project):
    with pytest.raises(StoreError, match="already a Rewis3d project"):
        Project.create(tiny_project.path)


def test_staging_of_a_live_writer_survives_open(tiny_project):
    import subprocess
    import sys

    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tiny_project.staging / f"run1.{writer.pid}.abcdef12"
        dead = tiny_project.staging / "run2.999999999.abcdef12"
        live.mkdir(parents=True)
        dead.mkdir()
        Project.open(tiny_project.path)
        assert live.exists() and not dead.exists()
    finally:
        writer.kill()
        writer.wait()
    Project.open(tiny_project.path)
    assert not live.exists()


def test_delete_scene_and_parts(tiny_project):
    from rewis3d.store import ReconstructionData

    scene = tiny_project.scene("s")
    data = ReconstructionData.from_views(3, {})
    scene.write_reconstruction("r", data, {})
    scene.delete("reconstructions", "r")
    assert scene.reconstruction_names() == []
    with pytest.raises(StoreError, match="no reconstruction 'r'"):
        scene.delete("reconstructions", "r")
    tiny_project.delete_scene("s")
    assert tiny_project.scene_names() == [] and not any(tiny_project.staging.iterdir())


def test_staging_of_another_machine_is_kept_until_it_is_a_day_old(tiny_project):
    """A project on a shared file system: a writer on another host cannot be checked by pid,
    so its staging entry is kept while recent and removed once untouched for a day."""
    import os
    import time

    from rewis3d.store.atomic import OTHER_HOST_STALE_S, staging_name

    here = staging_name("x").split(".")[1].split("@")[1]  # name.PID@HOST.random
    recent = tiny_project.staging / "run1.999999999@other-node-7.abcdef12"
    old = tiny_project.staging / "run2.999999999@other-node-7.abcdef12"
    local_dead = tiny_project.staging / f"run3.999999999@{here}.abcdef12"
    for path in (recent, old, local_dead):
        path.mkdir(parents=True)
    stale = time.time() - OTHER_HOST_STALE_S - 60
    os.utime(old, (stale, stale))
    Project.open(tiny_project.path)
    assert recent.exists() and not old.exists() and not local_dead.exists()
