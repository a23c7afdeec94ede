"""Reconstruction backends by name, discovered from the entry-point group
``rewis3d.reconstructors`` (``sensor-depth`` ships with Rewis3d; MapAnything is a plugin)."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from rewis3d.errors import InputError
from rewis3d.reconstruct.base import Reconstructor

ENTRY_POINT_GROUP = "rewis3d.reconstructors"

INSTALL_HINTS = {
    "mapanything": (
        "install the plugin on a GPU machine: pip install -e plugins/rewis3d-mapanything "
        "(plus MapAnything itself, see plugins/rewis3d-mapanything/README.md)"
    ),
}


def installed_reconstructors() -> dict[str, EntryPoint]:
    """Name -> entry point of every installed backend."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def create_reconstructor(name: str, **options: Any) -> Reconstructor:
    """Instantiate the backend ``name`` with its options (unknown options are refused)."""
    found = installed_reconstructors()
    if name not in found:
        have = ", ".join(sorted(found)) or "none"
        hint = INSTALL_HINTS.get(
            name, f"install a package that registers it in the entry-point group "
            f"{ENTRY_POINT_GROUP!r}"
        )
        raise InputError(
            f"reconstruction backend {name!r} is not installed (installed: {have}); {hint}"
        )
    factory = found[name].load()
    return factory(**options)
