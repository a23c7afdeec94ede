"""Connected regions of a dense label map, and how deep inside its region each pixel lies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

IGNORE = 255


@dataclass
class Region:
    """One connected region of one class, cropped to its bounding box (``window``)."""

    class_id: int
    window: tuple[slice, slice]
    mask: np.ndarray  # bool, bounding-box sized
    depth: np.ndarray  # distance (px) to the nearest pixel outside the region or the image

    @property
    def area(self) -> int:
        return int(self.mask.sum())


def regions(gt: np.ndarray, min_area: int) -> Iterator[Region]:
    """Regions of at least ``min_area`` pixels (8-connected); smaller ones are left unlabelled."""
    for class_id in np.unique(gt):
        if class_id == IGNORE:
            continue
        components, _ = ndimage.label(gt == class_id, structure=np.ones((3, 3)))
        for index, window in enumerate(ndimage.find_objects(components), start=1):
            if window is None:
                continue
            mask = components[window] == index
            if mask.sum() < min_area:
                continue
            padded = np.pad(mask, 1)
            depth = ndimage.distance_transform_edt(padded)[1:-1, 1:-1]
            yield Region(int(class_id), window, mask, depth)


def default_min_area(shape: tuple[int, int]) -> int:
    """Regions below ~0.1% of the image are too small for a person to label on purpose."""
    return max(9, int(0.001 * shape[0] * shape[1]))
