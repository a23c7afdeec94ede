"""Sample data: small synthetic street and room projects, rendered once into a cache folder.

The cache is ``$REWIS3D_CACHE_DIR`` (default ``~/.cache/rewis3d``); a sample that is already
there opens at once.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SAMPLE_SIZE = {"frames": 12, "width": 160, "height": 120}


def cache_dir() -> Path:
    return Path(os.environ.get("REWIS3D_CACHE_DIR", Path.home() / ".cache" / "rewis3d"))


def sample_project(kind: str, **size) -> Path:
    """The path of the ``kind`` sample project, rendering it first if it is not cached."""
    from rewis3d.errors import Rewis3dError
    from rewis3d.store import Project
    from rewis3d.store.atomic import clean_staged_siblings, write_aside
    from rewis3d.synthetic import SceneConfig, sample_into_project

    path = cache_dir() / f"sample-{kind}"
    try:
        Project.open(path)
        return path
    except Rewis3dError:
        shutil.rmtree(path, ignore_errors=True)  # a half-rendered sample from a killed run
    clean_staged_siblings(path)
    with write_aside(path) as stage:
        sample_into_project(stage, SceneConfig(kind=kind, seed=0, **{**SAMPLE_SIZE, **size}))
    return path


def street_sample() -> list[tuple]:
    return _layers("street")


def room_sample() -> list[tuple]:
    return _layers("room")


def _layers(kind: str) -> list[tuple]:
    from rewis3d_gui._reader import read_project

    return read_project(sample_project(kind))
