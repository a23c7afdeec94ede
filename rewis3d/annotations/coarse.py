"""Coarse labels (like Cityscapes' coarse set): regions filled in, but kept off their borders.

Every pixel's distance to the nearest pixel of another label is computed; the pixels deeper than
a per-frame threshold are labelled, with the threshold set so that about ``coverage`` of the frame
is labelled, then small leftovers are dropped. Borders between classes stay unlabelled, as they do
when a person draws rough polygons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from rewis3d.annotations.regions import IGNORE, default_min_area, regions
from rewis3d.errors import InputError

COVERAGE_RANGE = (0.4, 0.7)


@dataclass(frozen=True)
class CoarseConfig:
    coverage: float = 0.55  # target share of the frame, in COVERAGE_RANGE
    jitter: float = 0.05  # per-frame spread of the target (annotators differ)
    min_area: int | None = None

    def validate(self) -> None:
        low, high = COVERAGE_RANGE
        if not low <= self.coverage <= high:
            raise InputError(f"coverage must be in [{low}, {high}] for coarse labels, "
                             f"got {self.coverage}")
        if not 0 <= self.jitter <= 0.1:
            raise InputError(f"jitter must be in [0, 0.1], got {self.jitter}")


def simulate_coarse(gt: np.ndarray, rng: np.random.Generator, config: CoarseConfig) -> np.ndarray:
    depth = np.zeros(gt.shape)
    for class_id in np.unique(gt):
        if class_id != IGNORE:
            mask = gt == class_id
            depth[mask] = ndimage.distance_transform_edt(mask)[mask]
    low, high = COVERAGE_RANGE
    target = float(np.clip(config.coverage + rng.uniform(-1, 1) * config.jitter, low + 0.03,
                           high - 0.02))
    labelled_pixels = depth[gt != IGNORE]
    if labelled_pixels.size == 0:
        return np.full(gt.shape, IGNORE, dtype=np.uint8)
    threshold = max(np.quantile(labelled_pixels, 1 - target), 1.0)
    keep = np.where(depth > threshold, gt, IGNORE).astype(np.uint8)
    out = np.full(gt.shape, IGNORE, dtype=np.uint8)
    for region in regions(keep, config.min_area or default_min_area(gt.shape)):
        out[region.window][region.mask] = region.class_id
    return out
