"""Registry of 3D backbones: built-ins plus plugins found through entry points.

A backbone factory takes keyword arguments and returns an `nn.Module` whose forward is
`(feat (N,C), coord (N,3), grid_size=..., grid_coord=None, offset=None, batch=None) -> (N, D)`
in input order, with an `out_channels` attribute (D). Plugins register factories in the
entry-point group `rewis3d.backbones`; they are imported only when first built, so listing
names stays cheap and a broken plugin cannot break `import rewis3d`.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

ENTRY_POINT_GROUP = "rewis3d.backbones"

BackboneFactory = Callable[..., Any]
_BUILT_IN: dict[str, BackboneFactory] = {}


def register_backbone(name: str) -> Callable[[BackboneFactory], BackboneFactory]:
    """Decorator registering `factory(**kwargs) -> nn.Module` under `name`."""

    def decorate(factory: BackboneFactory) -> BackboneFactory:
        if name in _BUILT_IN and _BUILT_IN[name] is not factory:
            raise ValueError(f"3D backbone {name!r} is already registered")
        _BUILT_IN[name] = factory
        return factory

    return decorate


def _plugin_entry_points() -> dict:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def built_in_backbones() -> list[str]:
    return sorted(_BUILT_IN)


def available_backbones() -> list[str]:
    """Names of built-in and installed plugin backbones (plugins are not imported)."""
    return sorted(set(_BUILT_IN) | set(_plugin_entry_points()))


def build_backbone(name: str, **kwargs: Any) -> Any:
    """Build a registered backbone; built-ins win over a plugin of the same name."""
    factory = _BUILT_IN.get(name)
    if factory is None:
        entry_point = _plugin_entry_points().get(name)
        if entry_point is None:
            raise KeyError(
                f"unknown 3D backbone {name!r}; installed: {', '.join(available_backbones())}. "
                f"Plugins register in the entry-point group {ENTRY_POINT_GROUP!r}, e.g. "
                "`pip install -e plugins/rewis3d-pointcept` adds 'pointcept-ptv3'."
            )
        factory = entry_point.load()
    return factory(**kwargs)


@register_backbone("ptv3-base")
def _ptv3_base(**overrides: Any) -> Any:
    """PT-v3m1 semseg configuration (46M parameters), Pointcept checkpoint compatible."""
    from rewis3d.models.ptv3 import build_ptv3

    return build_ptv3("ptv3-base", **overrides)


@register_backbone("ptv3-tiny")
def _ptv3_tiny(**overrides: Any) -> Any:
    """Small PTv3 for CPU tests and demos, same 64-d output."""
    from rewis3d.models.ptv3 import build_ptv3

    return build_ptv3("ptv3-tiny", **overrides)
