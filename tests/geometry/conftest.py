"""Fixtures: every 10th frame of the real 7-Scenes sequence, and a small analytic box scene."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.geometry.geometry_box_scene import render_box_scene

REPO = Path(__file__).resolve().parents[2]
SEVEN_SCENES = (REPO / ".." / "shared" / "data" / "7scenes-redkitchen").resolve()


@pytest.fixture(scope="session")
def kitchen_project(tmp_path_factory):
    """A project with 20 frames (every 10th) of 7-Scenes redkitchen, reconstructed from depth."""
    if not (SEVEN_SCENES / "frame-000000.color.jpg").is_file():
        pytest.skip(f"real test data not found at {SEVEN_SCENES} (../shared/data of the repo)")
    from rewis3d.io.sevenscenes import read_7scenes
    from rewis3d.io.source import import_frames
    from rewis3d.reconstruct import reconstruct_scene
    from rewis3d.store import Project

    project = Project.create(tmp_path_factory.mktemp("kitchen") / "proj", ["a", "b", "c"])
    scene = import_frames(project, "kitchen", read_7scenes(SEVEN_SCENES, stride=10))
    reconstruct_scene(scene, "sensor-depth")
    return project


@pytest.fixture(scope="session")
def box_scene():
    """Rendered frames of a floor, a wall and a box with ground-truth classes 0/1/2."""
    return render_box_scene()


@pytest.fixture
def box_project(tmp_path, box_scene):
    from rewis3d.reconstruct import reconstruct_scene
    from rewis3d.store import Project

    project = Project.create(tmp_path / "proj", ["floor", "wall", "box"])
    with project.scene_writer("boxes") as w:
        for frame in box_scene:
            w.append(**frame)
    reconstruct_scene(project.scene("boxes"), "sensor-depth")
    return project
