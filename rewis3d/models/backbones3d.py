"""Registry of 3D backbones: built-ins plus plugins found through entry points.

A backbone factory takes keyword arguments and returns an `nn.Module` whose forward is
`(feat (N,C), coord (N,3), grid_size=..., grid_coord=None, offset=None, batch=None) -> (N, D)`
in input order, with an `out_channels` attribute (D). Plugins register factories in the
entry-point group `rewis3d.backbones`; they are imported only when first built, so listing
names stays cheap and a broken plugin cannot break `import rewis3d`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rewis3d.registry import Registry

ENTRY_POINT_GROUP = "rewis3d.backbones"

BackboneFactory = Callable[..., Any]
BACKBONES: Registry[BackboneFactory] = Registry(
    "3D backbone", ENTRY_POINT_GROUP,
    hint=f"Plugins register in the entry-point group {ENTRY_POINT_GROUP!r}, e.g. "
         "`pip install -e plugins/rewis3d-pointcept` adds 'pointcept-ptv3'.")


def available_backbones() -> list[str]:
    """Names of built-in and installed plugin backbones (plugins are not imported)."""
    return BACKBONES.names()


def build_backbone(name: str, **kwargs: Any) -> Any:
    """Build a registered backbone; built-ins win over a plugin of the same name."""
    return BACKBONES[name](**kwargs)


@BACKBONES.register("ptv3-base")
def _ptv3_base(**overrides: Any) -> Any:
    """PT-v3m1 semseg configuration (46M parameters), Pointcept checkpoint compatible."""
    from rewis3d.models.ptv3 import build_ptv3

    return build_ptv3("ptv3-base", **overrides)


@BACKBONES.register("ptv3-tiny")
def _ptv3_tiny(**overrides: Any) -> Any:
    """Small PTv3 for CPU tests and demos, same 64-d output."""
    from rewis3d.models.ptv3 import build_ptv3

    return build_ptv3("ptv3-tiny", **overrides)
