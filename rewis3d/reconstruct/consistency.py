"""Multi-view depth consistency: how many neighbouring frames confirm a point.

A point of frame f is projected into frames f-k..f+k; a neighbour *checks* it when the point
lands inside its image on a pixel with depth, and *agrees* when that depth matches the point's
depth there (2 cm + 2 %). The score (1 + agrees) / (1 + checks) lies in (0, 1]: 1 when every
view that could see the point confirms it, small for flying pixels and moving objects, and
neutral (1) for points no other frame can check.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rewis3d.geometry.camera import depth_agrees, project_points, round_to_pixels


def consistency_score(
    points: np.ndarray,
    frame: int,
    num_frames: int,
    neighbours: int,
    depth_of: Callable[[int], np.ndarray],
    intrinsics: np.ndarray,
    poses: np.ndarray,
) -> np.ndarray:
    """Score (n,) float32 of one frame's world points against its neighbouring frames."""
    agrees = np.zeros(len(points), dtype=np.int32)
    checks = np.zeros(len(points), dtype=np.int32)
    for other in range(frame - neighbours, frame + neighbours + 1):
        if other == frame or not 0 <= other < num_frames:
            continue
        depth = depth_of(other)
        vu, z = project_points(points, intrinsics[other], poses[other])
        pix, inside = round_to_pixels(vu, depth.shape)
        d = np.full(len(points), np.nan, dtype=np.float64)
        d[inside] = depth[pix[inside, 0], pix[inside, 1]]
        d[~(d > 0)] = np.nan
        seen = np.isfinite(d)
        checks += seen
        agrees += seen & depth_agrees(z, d)
    return ((1 + agrees) / (1 + checks)).astype(np.float32)
