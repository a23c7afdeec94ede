"""Pinhole camera helpers private to the synthetic package (OpenCV axes: x right, y down, z fwd).

Pixel (v, u) has its centre at integer coordinates, so ``u = fx * X / Z + cx`` rounds to the
column index. rewis3d.geometry will own the shared versions of these; keep them tiny here.
"""

from __future__ import annotations

import numpy as np


def intrinsics_from_fov(width: int, height: int, hfov_deg: float) -> np.ndarray:
    """Square-pixel intrinsics with the principal point at the image centre."""
    fx = 0.5 * width / np.tan(np.radians(hfov_deg) / 2)
    return np.array(
        [[fx, 0.0, (width - 1) / 2], [0.0, fx, (height - 1) / 2], [0.0, 0.0, 1.0]]
    )


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Camera-to-world pose (4x4) of a camera at ``eye`` looking at ``target``; world ``up``."""
    eye, target, up = (np.asarray(a, dtype=np.float64) for a in (eye, target, up))
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, up)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, y, z, eye
    return pose


def pixel_rays(intrinsics: np.ndarray, pose: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 6) world rays whose direction has camera-z length 1, so ``t_hit`` is z-depth."""
    h, w = size
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    k_inv = np.linalg.inv(intrinsics)
    cam = np.stack([u, v, np.ones_like(u)], axis=-1) @ k_inv.T
    dirs = cam @ pose[:3, :3].T
    origin = np.broadcast_to(pose[:3, 3], dirs.shape)
    return np.concatenate([origin, dirs], axis=-1).astype(np.float32)


def backproject(depth: np.ndarray, intrinsics: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """(H, W, 3) world points of a z-depth map (NaN where depth is NaN)."""
    h, w = depth.shape
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    k_inv = np.linalg.inv(intrinsics)
    cam = np.stack([u, v, np.ones_like(u)], axis=-1) @ k_inv.T * depth[..., None]
    return cam @ pose[:3, :3].T + pose[:3, 3]


def project(points: np.ndarray, intrinsics: np.ndarray, pose: np.ndarray):
    """World points (N,3) -> pixel coordinates (N,2) as (v, u) floats and camera z-depth (N,)."""
    world_to_cam = np.linalg.inv(pose)
    cam = points @ world_to_cam[:3, :3].T + world_to_cam[:3, 3]
    z = cam[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        uvw = cam @ intrinsics.T
        u = uvw[:, 0] / z
        v = uvw[:, 1] / z
    return np.stack([v, u], axis=1), z
