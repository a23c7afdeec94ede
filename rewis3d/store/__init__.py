"""The project store on disk (zarr v3): see DESIGN.md "The project store"."""

from rewis3d.store.annotations import Annotations
from rewis3d.store.classes import IGNORE_INDEX, ClassInfo
from rewis3d.store.errors import (
    InputError,
    NotAProjectError,
    Rewis3dError,
    SchemaVersionError,
    StoreError,
    StoreValidationError,
)
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
    "InputError",
    "NotAProjectError",
    "Predictions",
    "Project",
    "Reconstruction",
    "ReconstructionData",
    "Rewis3dError",
    "Scene",
    "SchemaVersionError",
    "StoreError",
    "StoreValidationError",
]
