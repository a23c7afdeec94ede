"""Which points of a reconstruction to display (level of detail), and how far apart they are.

A viewer never needs all of a 20M-point cloud: a uniform random subset within a display
budget keeps the density picture and the 3D view interactive (stored with the reconstruction
by ``rewis3d.derived.display_subset``).
"""

from __future__ import annotations

import numpy as np

from rewis3d.geometry.sampling import stratified_draw


def nearest_spacing(points: np.ndarray, sample: int = 2000) -> float:
    """90th percentile of the nearest-neighbour distance (probes at evenly spaced rows)."""
    if len(points) < 2:
        return 1.0
    from scipy.spatial import cKDTree

    probe = points[np.linspace(0, len(points) - 1, min(sample, len(points))).astype(int)]
    dist, _ = cKDTree(points).query(probe, k=2)
    return float(np.percentile(dist[:, 1], 90))


def display_subset(num_points: int, budget: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of at most ``budget`` points, each equally likely (density is kept)."""
    return stratified_draw(num_points, budget, np.random.default_rng(seed))
