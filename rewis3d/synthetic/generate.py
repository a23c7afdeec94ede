"""Scene families and ``generate_scene``: a seed and a config in, rendered frames out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

import rewis3d.synthetic.room as room
import rewis3d.synthetic.street as street
from rewis3d.errors import InputError
from rewis3d.registry import Registry
from rewis3d.synthetic._camera import intrinsics_from_fov
from rewis3d.synthetic.layout import Layout
from rewis3d.synthetic.render import Renderer

# Bounds that keep one synthetic scene within a workstation's memory and disk (the largest:
# 10,000 frames of 4096x4096 would still be ~6 TB, so sample_into_project also checks the disk).
MAX_SIDE = 4096
MAX_FRAMES = 10_000
BYTES_PER_PIXEL = 40  # rgb, depth, gt and the simulated reconstruction's point, colour, conf...


@dataclass(frozen=True)
class SceneFamily:
    """A kind of scene: its classes (name, colour) and how to lay one out from a seed."""

    name: str
    classes: list[tuple[str, tuple[int, int, int]]]
    build: Callable[[np.random.Generator, int, float], Layout]
    default_spacing: float


FAMILIES: Registry[SceneFamily] = Registry("scene family")
FAMILIES.register(
    "street", SceneFamily("street", street.CLASSES, street.build_street, street.DEFAULT_SPACING))
FAMILIES.register("room", SceneFamily("room", room.CLASSES, room.build_room, room.DEFAULT_SPACING))


@dataclass(frozen=True)
class SceneConfig:
    """What to render. ``spacing`` is metres between frames along the path (None = family's)."""

    kind: str = "street"
    frames: int = 30
    width: int = 320
    height: int = 240
    seed: int = 0
    spacing: float | None = None

    def validate(self) -> None:
        family(self.kind)
        for name in ("frames", "width", "height"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value <= 0:
                raise InputError(f"{name} must be a positive integer, got {value!r}")
        if self.width < 8 or self.height < 8:
            raise InputError(f"image size {self.width}x{self.height} is too small; use >= 8x8")
        if max(self.width, self.height) > MAX_SIDE:
            raise InputError(f"image size {self.width}x{self.height} is too large for a synthetic "
                             f"scene; use at most {MAX_SIDE} pixels a side")
        if self.frames > MAX_FRAMES:
            raise InputError(f"{self.frames} frames is too many for a synthetic scene; use at most "
                             f"{MAX_FRAMES} (or several scenes)")
        if self.spacing is not None and not self.spacing > 0:
            raise InputError(f"spacing must be > 0 metres, got {self.spacing!r}")


@dataclass
class SyntheticFrame:
    rgb: np.ndarray
    depth: np.ndarray
    gt: np.ndarray
    intrinsics: np.ndarray
    pose: np.ndarray


def family(kind: str) -> SceneFamily:
    return FAMILIES[kind]


def iter_frames(config: SceneConfig) -> Iterator[SyntheticFrame]:
    """Render the scene frame by frame (frames are large; the caller writes them as they come)."""
    config.validate()
    fam = family(config.kind)
    rng = np.random.default_rng(config.seed)
    spacing = fam.default_spacing if config.spacing is None else config.spacing
    layout = fam.build(rng, config.frames, spacing)
    renderer = Renderer(layout, config.seed)
    intrinsics = intrinsics_from_fov(config.width, config.height, layout.hfov_deg)
    for index, pose in enumerate(layout.poses):
        out = renderer.render(pose, intrinsics, (config.height, config.width), frame_seed=index)
        yield SyntheticFrame(out.rgb, out.depth, out.gt, intrinsics.copy(), pose)


def generate_scene(config: SceneConfig) -> list[SyntheticFrame]:
    """All frames of a scene in memory (fine for tests and small scenes)."""
    return list(iter_frames(config))
