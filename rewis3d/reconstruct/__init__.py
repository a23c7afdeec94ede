"""Reconstruction: backends (a registry fed by entry points) that turn frames into points."""

from rewis3d.reconstruct.base import BackendOutput, ProgressFn, Reconstructor
from rewis3d.reconstruct.filtering import drop_lowest_confidence, voxel_subsample
from rewis3d.reconstruct.pipeline import reconstruct_scene
from rewis3d.reconstruct.registry import (
    ENTRY_POINT_GROUP,
    create_reconstructor,
    installed_reconstructors,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "BackendOutput",
    "ProgressFn",
    "Reconstructor",
    "create_reconstructor",
    "drop_lowest_confidence",
    "installed_reconstructors",
    "reconstruct_scene",
    "voxel_subsample",
]
