"""The built-in backend: points straight from the frames' depth maps, intrinsics and poses.

This is the paper's "real 3D" setting (confidence 1 everywhere) by default; ``conf =
"consistency"`` scores every point by multi-view depth agreement instead.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from rewis3d.config import typed_config
from rewis3d.errors import InputError
from rewis3d.geometry.camera import backproject_depth
from rewis3d.reconstruct.base import BackendOutput, ProgressFn, config_from_options
from rewis3d.reconstruct.consistency import consistency_score
from rewis3d.reconstruct.filtering import voxel_subsample
from rewis3d.store import ReconstructionData, Scene


@typed_config
@dataclass
class SensorDepthConfig:
    stride: int = 1  # use every stride-th pixel in v and u
    voxel_size: float | None = None  # metres; keep one point per scene voxel (None = all)
    conf: Literal["constant", "consistency"] = "constant"
    neighbours: int = 2  # consistency: frames checked on each side

    def __post_init__(self):
        if self.stride < 1:
            raise InputError(f"sensor-depth option stride must be >= 1, got {self.stride}")
        if self.voxel_size is not None and self.voxel_size <= 0:
            raise InputError(f"sensor-depth option voxel_size must be > 0, got {self.voxel_size}")
        if self.conf not in ("constant", "consistency"):
            raise InputError(
                f"sensor-depth option conf must be 'constant' or 'consistency', got {self.conf!r}"
            )


class _DepthCache:
    """The few depth maps a sliding consistency window needs, read once each."""

    def __init__(self, scene: Scene, keep: int):
        self.scene, self.keep, self.maps = scene, keep, {}

    def __call__(self, f: int) -> np.ndarray:
        if f not in self.maps:
            depth = np.asarray(self.scene.depth[f], dtype=np.float32)
            self.maps[f] = np.where(np.isfinite(depth) & (depth > 0), depth, np.nan)
            while len(self.maps) > self.keep:
                self.maps.pop(min(self.maps))
        return self.maps[f]


class SensorDepthReconstructor:
    """Back-project every valid depth pixel of every frame into world coordinates."""

    name = "sensor-depth"
    drop_low_conf_by_default = False
    options_type = SensorDepthConfig  # what `-o key=value` (and the 3D tab's form) can set

    def __init__(self, **options):
        self.config = config_from_options(SensorDepthConfig, options, self.name)

    def reconstruct(self, scene: Scene, progress: ProgressFn | None = None) -> BackendOutput:
        cfg = self.config
        if not scene.has_depth:
            raise InputError(
                f"scene {scene.name!r} has no depth (frames/depth is absent), so the "
                "sensor-depth backend has nothing to back-project; import the scene with its "
                "depth maps, or use a learned backend (--backend mapanything)"
            )
        depth_of = _DepthCache(scene, keep=2 * cfg.neighbours + 2)
        views, empty = {}, []
        for f in range(scene.num_frames):
            points, pixels = backproject_depth(
                depth_of(f), scene.intrinsics[f], scene.poses[f], cfg.stride
            )
            if not len(points):
                empty.append(f)
            if cfg.conf == "consistency" and len(points):
                conf = consistency_score(points, f, scene.num_frames, cfg.neighbours, depth_of,
                                         scene.intrinsics, scene.poses)
            else:
                conf = np.ones(len(points), dtype=np.float32)
            colors = np.asarray(scene.rgb[f])[pixels[:, 0], pixels[:, 1]]
            views[f] = {"points": points, "colors": colors, "conf": conf, "pixel": pixels}
            if progress is not None:
                progress(f + 1, scene.num_frames)
        self._check_empty(scene, empty)
        data = ReconstructionData.from_views(scene.num_frames, views)
        if cfg.voxel_size is not None:
            data = voxel_subsample(data, cfg.voxel_size)
        return BackendOutput(data=data, conf_kind=cfg.conf, parameters=asdict(cfg))

    @staticmethod
    def _check_empty(scene: Scene, empty: list[int]) -> None:
        if len(empty) == scene.num_frames:
            raise InputError(
                f"scene {scene.name!r}: frames/depth has no valid value in any frame (all NaN, "
                "Inf or zero); check the depth import (millimetre PNGs must be converted to "
                "metres, 0 = no depth) or use a learned backend (--backend mapanything)"
            )
        if empty:
            warnings.warn(
                f"scene {scene.name!r}: frame(s) {empty} have no valid depth pixel and get no "
                "points (labels drawn there cannot be lifted)",
                stacklevel=3,
            )
