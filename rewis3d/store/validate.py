"""Checks on per-frame inputs before they enter the store (cameras, poses, depth, labels)."""

from __future__ import annotations

import numpy as np

from rewis3d.errors import InputError

ROTATION_TOLERANCE = 1e-3


def check_intrinsics(K: np.ndarray, where: str) -> np.ndarray:
    K = np.asarray(K, dtype=np.float64)
    if K.shape != (3, 3):
        raise InputError(f"{where}: intrinsics must be a 3x3 matrix, got shape {K.shape}")
    if not np.all(np.isfinite(K)):
        raise InputError(f"{where}: intrinsics contain NaN or Inf; fix the calibration file")
    if K[0, 0] <= 0 or K[1, 1] <= 0 or abs(np.linalg.det(K)) < 1e-9:
        raise InputError(
            f"{where}: intrinsics are singular (fx={K[0, 0]:g}, fy={K[1, 1]:g}); "
            "fx and fy must be positive focal lengths in pixels"
        )
    if not np.allclose(K[2], [0, 0, 1], atol=1e-6):
        raise InputError(f"{where}: the last row of the intrinsics must be [0 0 1], got {K[2]}")
    return K


def check_pose(T: np.ndarray, where: str) -> np.ndarray:
    """A camera-to-world 4x4 rigid transform: finite, orthonormal rotation, det +1."""
    T = np.asarray(T, dtype=np.float64)
    if T.shape != (4, 4):
        raise InputError(f"{where}: a pose must be a 4x4 matrix, got shape {T.shape}")
    if not np.all(np.isfinite(T)):
        raise InputError(
            f"{where}: the pose contains NaN or Inf (the tracker lost the camera?); "
            "drop this frame or fix the pose"
        )
    if not np.allclose(T[3], [0, 0, 0, 1], atol=1e-6):
        raise InputError(f"{where}: the last row of a pose must be [0 0 0 1], got {T[3]}")
    R = T[:3, :3]
    err = np.abs(R.T @ R - np.eye(3)).max()
    if err > ROTATION_TOLERANCE or np.linalg.det(R) <= 0:
        raise InputError(
            f"{where}: the pose is not a rigid transform (rotation off orthonormal by {err:.2g}, "
            f"det {np.linalg.det(R):.3g}); poses must be camera-to-world rotation + translation"
        )
    return T


def check_depth(depth: np.ndarray, shape: tuple[int, int], where: str) -> np.ndarray:
    depth = np.asarray(depth, dtype=np.float32)
    if depth.shape != shape:
        raise InputError(
            f"{where}: depth is {depth.shape[1::-1]} (WxH) but the colour image is "
            f"{shape[::-1]}; depth must be registered to the colour image"
        )
    if np.isinf(depth).any() or (depth < 0).any():
        raise InputError(f"{where}: depth has Inf or negative values; use NaN for 'no depth'")
    return depth


def check_labels(labels: np.ndarray, shape: tuple[int, int], num_classes: int, where: str):
    labels = np.asarray(labels)
    if labels.shape != shape:
        raise InputError(f"{where}: labels are {labels.shape}, expected {shape} (H, W)")
    if labels.dtype != np.uint8:
        if labels.size and (labels.min() < 0 or labels.max() > 255):
            raise InputError(f"{where}: label values must be 0..255")
        labels = labels.astype(np.uint8)
    bad = (labels >= num_classes) & (labels != 255)
    if bad.any():
        raise InputError(
            f"{where}: class id {int(labels[bad].max())} is outside the class list "
            f"(0..{num_classes - 1}, 255 = unlabelled); add the class first "
            "(`rewis3d classes PROJECT add NAME`)"
        )
    return labels
