"""Simulated labels written into a stored scene; bad input leaves the store as it was."""

import numpy as np
import pytest

from rewis3d.annotations import FrameSelection, simulate_scene_labels
from rewis3d.errors import InputError
from rewis3d.store import Project
from rewis3d.synthetic import SceneConfig, sample_into_project


@pytest.fixture
def project(tmp_path):
    sample_into_project(tmp_path / "p", SceneConfig(kind="street", frames=4, width=64,
                                                    height=48, seed=2))
    return Project.open(tmp_path / "p")


def test_labels_land_on_the_chosen_frames(project):
    result = simulate_scene_labels(project, "street", "coarse", FrameSelection(every=2))
    scene = project.scene("street")
    assert scene.annotations.labelled_frames() == [0, 2] == result.frames
    stored = scene.annotations.frame(2)
    assert np.array_equal(stored, result.labels[2])
    done = stored != 255
    assert np.array_equal(stored[done], np.asarray(scene.gt[2])[done])


def test_existing_labels_need_overwrite(project):
    simulate_scene_labels(project, "street", "coarse", FrameSelection(frames=(1,)))
    with pytest.raises(InputError, match="overwrite"):
        simulate_scene_labels(project, "street", "scribbles")
    assert project.scene("street").annotations.labelled_frames() == [1]
    simulate_scene_labels(project, "street", "scribbles", FrameSelection(frames=(3,)),
                          overwrite=True)
    assert project.scene("street").annotations.labelled_frames() == [3]


def test_frames_out_of_range_change_nothing(project):
    with pytest.raises(InputError, match="0..3"):
        simulate_scene_labels(project, "street", "points", FrameSelection(frames=(2, 9)))
    assert project.scene("street").annotations.labelled_frames() == []


def test_scene_without_ground_truth_is_refused(project):
    frame = np.zeros((48, 64, 3), np.uint8)
    with project.scene_writer("plain") as writer:
        writer.append(rgb=frame, intrinsics=np.eye(3), pose=np.eye(4))
    with pytest.raises(InputError, match="ground truth"):
        simulate_scene_labels(project, "plain", "points")
    assert project.scene("plain").annotations.labelled_frames() == []
