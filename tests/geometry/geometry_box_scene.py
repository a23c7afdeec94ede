"""An analytic test scene: axis-aligned boxes ray-cast from cameras orbiting them."""

from __future__ import annotations

import numpy as np

# (min corner, max corner, class id); a floor slab, a back wall and a box on the floor.
BOXES = [
    ((-2.0, -2.0, -0.1), (2.0, 2.0, 0.0), 0),
    ((-2.0, 1.6, 0.0), (2.0, 2.0, 2.0), 1),
    ((-0.5, -0.5, 0.0), (0.5, 0.5, 1.0), 2),
]
COLOURS = np.array([[90, 90, 90], [200, 180, 120], [30, 60, 200]], dtype=np.uint8)


def look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Camera-to-world pose (OpenCV axes) at ``eye`` looking at ``target``, z up in the world."""
    forward = target - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    pose = np.eye(4)
    pose[:3, :3] = np.stack([right, down, forward], axis=1)
    pose[:3, 3] = eye
    return pose


def raycast(K: np.ndarray, pose: np.ndarray, size: tuple[int, int]):
    """Depth (camera z, NaN = miss) and class of the nearest box along each pixel's ray."""
    h, w = size
    v, u = np.mgrid[0:h, 0:w]
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones((h, w))], -1)
    dirs = rays.reshape(-1, 3) @ pose[:3, :3].T
    origin = pose[:3, 3]
    best_t = np.full(len(dirs), np.inf)
    cls = np.full(len(dirs), 255, dtype=np.uint8)
    with np.errstate(divide="ignore", invalid="ignore"):
        for lo, hi, c in BOXES:
            t1 = (np.array(lo) - origin) / dirs
            t2 = (np.array(hi) - origin) / dirs
            near = np.nanmax(np.minimum(t1, t2), axis=1)
            far = np.nanmin(np.maximum(t1, t2), axis=1)
            hit = (near <= far) & (near > 0) & (near < best_t)
            best_t[hit] = near[hit]
            cls[hit] = c
    depth = np.where(np.isfinite(best_t), best_t, np.nan).reshape(h, w).astype(np.float32)
    return depth, cls.reshape(h, w)


def render_box_scene(num_frames: int = 12, size: tuple[int, int] = (60, 80)):
    """Frames (dicts for ``FrameWriter.append``) on an arc around the box."""
    h, w = size
    K = np.array([[60.0, 0, w / 2], [0, 60.0, h / 2], [0, 0, 1]])
    frames = []
    for i in range(num_frames):
        angle = -np.pi / 2 + (i / (num_frames - 1) - 0.5) * 1.6
        eye = np.array([3.5 * np.cos(angle), 3.5 * np.sin(angle), 1.8])
        pose = look_at(eye, np.array([0.0, 0.5, 0.5]))
        depth, gt = raycast(K, pose, size)
        rgb = COLOURS[np.where(gt == 255, 0, gt)]
        frames.append(dict(rgb=rgb, intrinsics=K, pose=pose, depth=depth, gt=gt,
                           name=f"box-{i:03d}"))
    return frames


def scribble_labels(gt: np.ndarray, rng: np.random.Generator, per_class: int = 2) -> np.ndarray:
    """Sparse labels: a few 3x3 blobs per visible class, taken from ground truth."""
    labels = np.full(gt.shape, 255, dtype=np.uint8)
    for c in np.unique(gt[gt != 255]):
        vv, uu = np.nonzero(gt == c)
        for i in rng.choice(len(vv), size=min(per_class, len(vv)), replace=False):
            v, u = vv[i], uu[i]
            patch = (slice(max(v - 1, 0), v + 2), slice(max(u - 1, 0), u + 2))
            labels[patch] = np.where(gt[patch] == c, c, labels[patch])
    return labels
