"""What a reconstruction backend is: something that turns a scene's frames into points.

A backend returns points grouped by source frame with each point's pixel (v, u) in that frame's
own resolution, so the rest of Rewis3d can go from any pixel to its point and back. Saving,
filtering and progress reporting are shared (see ``pipeline.py``); backends only compute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from rewis3d.config import typed_config, validate
from rewis3d.store import ReconstructionData, Scene

ProgressFn = Callable[[int, int], None]
"""Called as ``progress(done, total)`` in frames (or chunks) as a backend goes."""


@dataclass
class BackendOutput:
    """A backend's result: the points, and what to record about how they were made."""

    data: ReconstructionData
    conf_kind: str  # "constant" (real 3D, conf = 1), "consistency", "mapanything-raw", ...
    parameters: dict[str, Any] = field(default_factory=dict)
    extra_attrs: dict[str, Any] = field(default_factory=dict)  # e.g. MapAnything's chunks
    # (F, 4, 4) camera-to-world poses the backend estimated, in the cloud's world; stored into
    # the scene when its own poses are unknown (image and video imports), never over real ones
    camera_poses: Any = None


@runtime_checkable
class Reconstructor(Protocol):
    """A reconstruction backend, registered in the entry-point group ``rewis3d.reconstructors``.

    ``drop_low_conf_by_default`` says whether the per-view lowest-10%-confidence filter of the
    released Rewis3d code applies unless the caller says otherwise (learned backends: yes).
    """

    name: str
    drop_low_conf_by_default: bool

    def reconstruct(self, scene: Scene, progress: ProgressFn | None = None) -> BackendOutput: ...


def config_from_options(config_type: type, options: dict[str, Any], backend: str):
    """A backend's options (``-o key=value``) as its config dataclass, through the one config
    system: unknown names refused with the valid ones, values typed and checked."""
    if "__pydantic_config__" not in vars(config_type):  # a plugin's plain dataclass
        typed_config(config_type)
    return validate(config_type, options, f"backend {backend!r} options")
