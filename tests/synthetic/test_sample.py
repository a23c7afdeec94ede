"""Sampling a synthetic scene into a project, and leaving the store alone on bad input."""

import numpy as np
import pytest

from rewis3d.errors import InputError, StoreError
from rewis3d.store import Project
from rewis3d.synthetic import SceneConfig, sample_into_project

SMALL = {"frames": 3, "width": 64, "height": 48}


def test_sample_creates_project_scene_and_reconstruction(tmp_path):
    result = sample_into_project(tmp_path / "p", SceneConfig(kind="room", seed=2, **SMALL))
    project = Project.open(tmp_path / "p")
    assert [c.name for c in project.classes][:3] == ["floor", "wall", "ceiling"]
    scene = project.scene("room")
    assert scene.num_frames == 3 and scene.image_size == (48, 64)
    assert scene.has_gt and scene.has_depth
    recon = scene.reconstruction("simulated")
    assert recon.num_points == result.points > 0
    assert recon.attrs["backend"] == "simulated"
    view = recon.view(1)
    assert (view["conf"] >= 1).all() and len(view["pixel"]) > 0
    assert scene.attrs["source"]["family"] == "room"


def test_second_scene_needs_overwrite_and_overwrite_replaces(tmp_path):
    path = tmp_path / "p"
    sample_into_project(path, SceneConfig(kind="street", seed=1, **SMALL))
    before = np.asarray(Project.open(path).scene("street").rgb[0])
    with pytest.raises(StoreError, match="overwrite"):
        sample_into_project(path, SceneConfig(kind="street", seed=2, **SMALL))
    assert np.array_equal(Project.open(path).scene("street").rgb[0], before)
    sample_into_project(path, SceneConfig(kind="street", seed=2, **SMALL), overwrite=True)
    assert not np.array_equal(Project.open(path).scene("street").rgb[0], before)
    sample_into_project(path, SceneConfig(kind="street", seed=3, **SMALL), scene="other")
    assert Project.open(path).scene_names() == ["other", "street"]


def test_wrong_family_for_the_project_changes_nothing(tmp_path):
    path = tmp_path / "p"
    sample_into_project(path, SceneConfig(kind="street", seed=1, **SMALL))
    with pytest.raises(InputError, match="classes"):
        sample_into_project(path, SceneConfig(kind="room", seed=1, **SMALL))
    assert Project.open(path).scene_names() == ["street"]


def test_bad_config_creates_no_project(tmp_path):
    with pytest.raises(InputError, match="frames"):
        sample_into_project(tmp_path / "p", SceneConfig(kind="street", frames=0))
    assert not (tmp_path / "p").exists()


def test_failed_first_sample_leaves_no_project(tmp_path):
    with pytest.raises(StoreError, match="scene name"):
        sample_into_project(tmp_path / "p", SceneConfig(kind="room", **SMALL), scene="bad name")
    assert not (tmp_path / "p").exists()
