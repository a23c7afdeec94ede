"""Point labels: a few single-pixel clicks per connected region, well inside it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rewis3d.annotations.regions import IGNORE, default_min_area, regions
from rewis3d.errors import InputError


@dataclass(frozen=True)
class PointsConfig:
    """``margin``: clicks keep at least this share of the region's deepest distance from its
    border (people click in the middle of things). ``min_area`` None = ~0.1% of the image."""

    per_region: int = 1
    margin: float = 0.5
    min_area: int | None = None

    def validate(self) -> None:
        if self.per_region < 1:
            raise InputError(f"per_region must be >= 1 click, got {self.per_region}")
        if not 0 <= self.margin < 1:
            raise InputError(f"margin must be in [0, 1), got {self.margin}")


def simulate_points(gt: np.ndarray, rng: np.random.Generator, config: PointsConfig) -> np.ndarray:
    labels = np.full(gt.shape, IGNORE, dtype=np.uint8)
    min_area = config.min_area or default_min_area(gt.shape)
    for region in regions(gt, min_area):
        # depth >= 2: no other label within the click's 3x3 neighbourhood
        deep = region.depth >= max(2.0, config.margin * region.depth.max())
        v, u = np.nonzero(deep & region.mask)
        if len(v) == 0:
            continue
        pick = rng.choice(len(v), min(config.per_region, len(v)), replace=False)
        labels[v[pick] + region.window[0].start, u[pick] + region.window[1].start] = \
            region.class_id
    return labels
