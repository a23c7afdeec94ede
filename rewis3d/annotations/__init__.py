"""Sparse-label simulators (points, scribbles, coarse) that start from dense ground truth.
See docs/synthetic.md for what each produces and its coverage range."""

from rewis3d.annotations.coarse import CoarseConfig, simulate_coarse
from rewis3d.annotations.frames import FrameSelection
from rewis3d.annotations.points import PointsConfig, simulate_points
from rewis3d.annotations.scribbles import ScribblesConfig, simulate_scribbles
from rewis3d.annotations.simulate import (
    SIMULATORS,
    SimulationResult,
    simulate_labels,
    simulate_scene_labels,
)

__all__ = [
    "SIMULATORS",
    "CoarseConfig",
    "FrameSelection",
    "PointsConfig",
    "ScribblesConfig",
    "SimulationResult",
    "simulate_coarse",
    "simulate_labels",
    "simulate_points",
    "simulate_scene_labels",
    "simulate_scribbles",
]
