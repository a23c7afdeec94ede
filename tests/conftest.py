"""Shared fixtures: tiny projects and the path of the real test data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
SEVEN_SCENES = SHARED_DATA / "7scenes-redkitchen"


@pytest.fixture
def seven_scenes() -> Path:
    if not (SEVEN_SCENES / "frame-000000.color.jpg").is_file():
        pytest.skip(f"real test data not found at {SEVEN_SCENES} (../shared/data of the repo)")
    return SEVEN_SCENES


def tiny_frames(n: int = 3, h: int = 12, w: int = 16, depth: bool = True, seed: int = 0):
    """n frames of random colour, a simple camera moving along x, constant 2 m depth."""
    rng = np.random.default_rng(seed)
    K = np.array([[20.0, 0, w / 2], [0, 20.0, h / 2], [0, 0, 1]])
    for i in range(n):
        pose = np.eye(4)
        pose[0, 3] = 0.1 * i
        yield dict(
            rgb=rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
            intrinsics=K,
            pose=pose,
            depth=np.full((h, w), 2.0, np.float32) if depth else None,
            name=f"f{i}",
        )


@pytest.fixture
def tiny_project(tmp_path):
    """A project with 3 classes and one 3-frame scene 's' (12x16, with depth)."""
    from rewis3d.store import Project

    project = Project.create(tmp_path / "proj", ["road", "car", "sky"])
    with project.scene_writer("s") as w:
        for frame in tiny_frames():
            w.append(**frame)
    return project


def tree_snapshot(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its bytes, to assert that a failed command changed nothing."""
    return {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(Path(path).rglob("*")) if p.is_file()
    }
