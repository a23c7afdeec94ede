"""Reconstruction: backends (a registry: built-ins + entry points) that turn frames into points."""

from rewis3d.reconstruct.base import BackendOutput, ProgressFn, Reconstructor
from rewis3d.reconstruct.filtering import drop_lowest_confidence, voxel_subsample
from rewis3d.reconstruct.pipeline import reconstruct_scene
from rewis3d.reconstruct.registry import ENTRY_POINT_GROUP, RECONSTRUCTORS, create_reconstructor

__all__ = [
    "ENTRY_POINT_GROUP",
    "RECONSTRUCTORS",
    "BackendOutput",
    "ProgressFn",
    "Reconstructor",
    "create_reconstructor",
    "drop_lowest_confidence",
    "reconstruct_scene",
    "voxel_subsample",
]
