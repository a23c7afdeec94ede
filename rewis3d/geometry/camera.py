"""Pinhole cameras in OpenCV axes (x right, y down, z forward); poses are camera-to-world.

Pixel (v, u) integer coordinates name pixel centres, the convention of the intrinsics K, so
back-projecting pixel (v, u) and projecting the point again returns (v, u) up to float error.
"""

from __future__ import annotations

import numpy as np


def pixel_grid(image_size: tuple[int, int], stride: int = 1) -> np.ndarray:
    """(M, 2) int32 (v, u) of every ``stride``-th pixel in both directions, row-major."""
    h, w = image_size
    v, u = np.mgrid[0:h:stride, 0:w:stride]
    return np.stack([v.ravel(), u.ravel()], axis=1).astype(np.int32)


def backproject_pixels(
    pixels: np.ndarray, depth: np.ndarray, K: np.ndarray, cam_to_world: np.ndarray
) -> np.ndarray:
    """World points (M, 3) float32 of pixels (M, 2) (v, u) with their depth values (M,) metres."""
    v = pixels[:, 0].astype(np.float64)
    u = pixels[:, 1].astype(np.float64)
    z = np.asarray(depth, dtype=np.float64)
    x = (u - K[0, 2]) * z / K[0, 0]
    y = (v - K[1, 2]) * z / K[1, 1]
    cam = np.stack([x, y, z], axis=1)
    world = cam @ cam_to_world[:3, :3].T + cam_to_world[:3, 3]
    return world.astype(np.float32)


def backproject_depth(
    depth: np.ndarray, K: np.ndarray, cam_to_world: np.ndarray, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Points (M, 3) float32 and their pixels (M, 2) int32 for every valid (finite, > 0) depth."""
    pixels = pixel_grid(depth.shape, stride)
    z = depth[pixels[:, 0], pixels[:, 1]]
    valid = np.isfinite(z) & (z > 0)
    pixels, z = pixels[valid], z[valid]
    return backproject_pixels(pixels, z, K, cam_to_world), pixels


def world_to_camera(points: np.ndarray, cam_to_world: np.ndarray) -> np.ndarray:
    """Points (N, 3) in the camera's frame (float64).

    Uses the true inverse, not R^T: real poses (7-Scenes) are orthonormal only to ~1e-3, and
    R^T would then move points by millimetres against their own back-projection.
    """
    world_to_cam = np.linalg.inv(cam_to_world)
    return np.asarray(points, dtype=np.float64) @ world_to_cam[:3, :3].T + world_to_cam[:3, 3]


def project_points(
    points: np.ndarray, K: np.ndarray, cam_to_world: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel (v, u) float64 (N, 2) and camera depth z (N,) of world points.

    Points behind the camera get z <= 0 and (v, u) = NaN.
    """
    cam = world_to_camera(points, cam_to_world)
    z = cam[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = K[0, 0] * cam[:, 0] / z + K[0, 2]
        v = K[1, 1] * cam[:, 1] / z + K[1, 2]
    behind = z <= 0
    u[behind] = np.nan
    v[behind] = np.nan
    return np.stack([v, u], axis=1), z


def round_to_pixels(
    vu: np.ndarray, image_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest integer pixels (N, 2) int64 and a mask of those inside the image."""
    h, w = image_size
    finite = np.all(np.isfinite(vu), axis=1)
    pix = np.zeros(vu.shape, dtype=np.int64)
    pix[finite] = np.rint(vu[finite]).astype(np.int64)
    inside = finite & (pix[:, 0] >= 0) & (pix[:, 0] < h) & (pix[:, 1] >= 0) & (pix[:, 1] < w)
    return pix, inside


def depth_agrees(
    z: np.ndarray, depth: np.ndarray, abs_tol: float = 0.02, rel_tol: float = 0.02
) -> np.ndarray:
    """True where a projected depth ``z`` matches a depth map value (visible, not occluded)."""
    return np.isfinite(depth) & (np.abs(z - depth) <= abs_tol + rel_tol * depth)
