"""Reconstruction backends by name: ``sensor-depth`` is built in; others (MapAnything) are
plugins registered in the entry-point group ``rewis3d.reconstructors``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rewis3d.reconstruct.base import Reconstructor
from rewis3d.reconstruct.sensor_depth import SensorDepthReconstructor
from rewis3d.registry import Registry

ENTRY_POINT_GROUP = "rewis3d.reconstructors"

RECONSTRUCTORS: Registry[Callable[..., Reconstructor]] = Registry(
    "reconstruction backend", ENTRY_POINT_GROUP,
    hints={"mapanything": (
        "Install the plugin on a GPU machine: pip install -e plugins/rewis3d-mapanything "
        "(plus MapAnything itself, see plugins/rewis3d-mapanything/README.md)")},
)

RECONSTRUCTORS.register("sensor-depth", SensorDepthReconstructor)


def create_reconstructor(name: str, **options: Any) -> Reconstructor:
    """Instantiate the backend ``name`` with its options (unknown options are refused)."""
    return RECONSTRUCTORS[name](**options)


def options_type(name: str) -> type | None:
    """The options dataclass of backend ``name`` (its ``options_type``), if it declares one."""
    return getattr(RECONSTRUCTORS[name], "options_type", None)
