"""Procedural scenes with ground truth (``street``, ``room``), rendered by open3d raycasting,
and an imperfect-reconstruction model with MapAnything-like confidence. See docs/synthetic.md."""

from rewis3d.synthetic.generate import (
    FAMILIES,
    SceneConfig,
    SceneFamily,
    SyntheticFrame,
    family,
    generate_scene,
    iter_frames,
)
from rewis3d.synthetic.imperfect import ReconstructionNoise, simulate_reconstruction
from rewis3d.synthetic.sample import RECONSTRUCTION_NAME, SampleResult, sample_into_project

__all__ = [
    "FAMILIES",
    "RECONSTRUCTION_NAME",
    "ReconstructionNoise",
    "SampleResult",
    "SceneConfig",
    "SceneFamily",
    "SyntheticFrame",
    "family",
    "generate_scene",
    "iter_frames",
    "sample_into_project",
    "simulate_reconstruction",
]
