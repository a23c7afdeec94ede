"""The project store on disk (zarr v3): see DESIGN.md "The project store"."""

from rewis3d.store.annotations import Annotations
from rewis3d.store.classes import IGNORE_INDEX, ClassInfo
from rewis3d.store.predictions import Predictions
from rewis3d.store.project import Project
from rewis3d.store.reconstruction import Reconstruction, ReconstructionData
from rewis3d.store.scene import Scene
from rewis3d.store.schema import SCHEMA_VERSION

__all__ = [
    "IGNORE_INDEX",
    "SCHEMA_VERSION",
    "Annotations",
    "ClassInfo",
    "Predictions",
    "Project",
    "Reconstruction",
    "ReconstructionData",
    "Scene",
]
