"""Scribble labels: one stroke per region along its medial axis (skeleton), like a quick drag.

The stroke follows the longest path through the skeleton of the region (shrunk so the brush stays
inside), a random stretch of ``length`` of it, drawn ``width`` pixels wide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.csgraph import connected_components, shortest_path

from rewis3d.annotations.regions import IGNORE, default_min_area, regions
from rewis3d.errors import InputError

_NEIGHBOURS = [(dv, du) for dv in (-1, 0, 1) for du in (-1, 0, 1) if (dv, du) != (0, 0)]


@dataclass(frozen=True)
class ScribblesConfig:
    """``width`` in pixels (None = ~1/100 of the shorter image side, at least 1); ``length`` is the
    share of the region's longest skeleton path the stroke covers."""

    width: int | None = None
    length: float = 0.4
    min_area: int | None = None

    def validate(self) -> None:
        if self.width is not None and self.width < 1:
            raise InputError(f"width must be >= 1 pixel, got {self.width}")
        if not 0 < self.length <= 1:
            raise InputError(f"length must be a share in (0, 1], got {self.length}")


def simulate_scribbles(gt: np.ndarray, rng: np.random.Generator,
                       config: ScribblesConfig) -> np.ndarray:
    from skimage.morphology import disk, skeletonize

    width = config.width or max(1, round(min(gt.shape) / 100))
    brush = disk(width // 2).astype(bool) if width > 1 else np.ones((1, 1), dtype=bool)
    labels = np.full(gt.shape, IGNORE, dtype=np.uint8)
    for region in regions(gt, config.min_area or default_min_area(gt.shape)):
        inner = region.mask & (region.depth > width / 2)
        if not inner.any():
            continue
        path = _longest_path(skeletonize(inner))
        take = max(1, round(config.length * len(path)))
        start = rng.integers(0, len(path) - take + 1)
        stroke = np.zeros_like(inner)
        stroke[tuple(path[start:start + take].T)] = True
        stroke = ndimage.binary_dilation(stroke, structure=brush) & region.mask
        labels[region.window][stroke] = region.class_id
    return labels


def _longest_path(skeleton: np.ndarray) -> np.ndarray:
    """(K,2) pixels of the longest shortest path in the skeleton's largest piece."""
    pixels = np.argwhere(skeleton)
    if len(pixels) < 3:
        return pixels
    index = np.full(skeleton.shape, -1, dtype=np.int64)
    index[tuple(pixels.T)] = np.arange(len(pixels))
    padded = np.pad(index, 1, constant_values=-1)
    rows, cols = [], []
    for dv, du in _NEIGHBOURS:
        other = padded[pixels[:, 0] + 1 + dv, pixels[:, 1] + 1 + du]
        ok = other >= 0
        rows.append(np.nonzero(ok)[0])
        cols.append(other[ok])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(pixels),) * 2)
    _, piece = connected_components(graph, directed=False)
    first = _farthest(graph, int(np.argmax(piece == np.bincount(piece).argmax())))[0]
    far, predecessors = _farthest(graph, first)
    path = [far]
    while path[-1] != first:
        path.append(predecessors[path[-1]])
    return pixels[np.array(path)]


def _farthest(graph, source: int) -> tuple[int, np.ndarray]:
    dist, predecessors = shortest_path(graph, unweighted=True, indices=source,
                                       return_predecessors=True)
    dist[~np.isfinite(dist)] = -1
    return int(np.argmax(dist)), predecessors
