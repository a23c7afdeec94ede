"""A tiny synthetic street project with scribbles on every other frame (shared per session)."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def tiny_project_template(tmp_path_factory):
    from rewis3d.annotations import FrameSelection, simulate_scene_labels
    from rewis3d.store import Project
    from rewis3d.synthetic import SceneConfig, sample_into_project

    path = tmp_path_factory.mktemp("train") / "street"
    sample_into_project(path, SceneConfig(kind="street", frames=4, width=64, height=48, seed=3))
    simulate_scene_labels(Project.open(path), "street", "scribbles", FrameSelection(every=2), seed=1)
    return path


@pytest.fixture
def tiny_project(tiny_project_template, tmp_path):
    """A private copy, so tests can add runs and break things."""
    path = tmp_path / "street"
    shutil.copytree(tiny_project_template, path)
    return path


@pytest.fixture
def tiny_config():
    from rewis3d.train import preset

    config = preset("cpu-quick")
    config.data.crop = (32, 48)
    config.data.points = 256
    config.data.cutout = 8
    config.optim.steps = 4
    config.run.log_every = 1
    return config


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Bit-exact resume is promised at a fixed thread count, and one thread is also the fast
    choice on a shared 2-core machine (two OpenMP threads spin on each other; docs/ptv3.md)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
