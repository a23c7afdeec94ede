"""Chunks of a long video, and the similarity transform that puts each onto the one before.

MapAnything reconstructs each chunk in its first view's camera frame, metric but with a scale
error of its own, so consecutive chunks can differ by a rotation, a translation and a scale.
They share ``overlap`` frames; every pixel of a shared frame has a point in both chunks, and
the least-squares similarity between those pairs (Umeyama 1991) registers the later chunk. A
second fit on the best 80 % of the pairs keeps the few bad depths (edges, sky) out.
"""

from __future__ import annotations

import numpy as np

from rewis3d.errors import InputError

MIN_PAIRS = 50  # fewer shared points than this cannot pin down 7 degrees of freedom reliably
KEEP_BEST = 0.8


def chunk_ranges(num_frames: int, chunk_size: int, overlap: int) -> list[tuple[int, int]]:
    """[start, stop) of each chunk; consecutive chunks share ``overlap`` frames."""
    ranges, start = [], 0
    while True:
        stop = min(start + chunk_size, num_frames)
        ranges.append((start, stop))
        if stop >= num_frames:
            return ranges
        start = stop - overlap


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(s, R, t) minimising sum |s R src + t - dst|^2 over corresponding rows (N, 3)."""
    mu_src, mu_dst = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - mu_src, dst - mu_dst
    u, sigma, vt = np.linalg.svd(b.T @ a / len(src))
    d = np.ones(3)
    d[2] = np.sign(np.linalg.det(u @ vt)) or 1.0
    rotation = u @ np.diag(d) @ vt
    scale = float((sigma * d).sum() / max((a**2).sum() / len(src), 1e-12))
    return scale, rotation, mu_dst - scale * rotation @ mu_src


def as_matrix(scale: float, rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    matrix = np.eye(4)
    matrix[:3, :3] = scale * rotation
    matrix[:3, 3] = translation
    return matrix


def shared_pairs(raw: dict, placed: dict, frames: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Points of the same pixels of ``frames``: this chunk's (raw) and the placed ones."""
    src, dst = [], []
    for f in frames:
        a, b = raw[f], placed[f]
        width = int(max(a["pixel"][:, 1].max(initial=0), b["pixel"][:, 1].max(initial=0))) + 1
        key_a = a["pixel"][:, 0].astype(np.int64) * width + a["pixel"][:, 1]
        key_b = b["pixel"][:, 0].astype(np.int64) * width + b["pixel"][:, 1]
        _, ia, ib = np.intersect1d(key_a, key_b, assume_unique=True, return_indices=True)
        src.append(np.asarray(a["points"], np.float64)[ia])
        dst.append(np.asarray(b["points"], np.float64)[ib])
    if not src:
        return np.zeros((0, 3)), np.zeros((0, 3))
    return np.concatenate(src), np.concatenate(dst)


def register_to(raw: dict, placed: dict, frames: list[int], what: str
                ) -> tuple[np.ndarray, dict]:
    """The 4x4 similarity that puts ``raw`` (one chunk's views) onto ``placed`` through the
    shared ``frames``, and a record of the fit (scale, pairs, RMS residual in metres)."""
    src, dst = shared_pairs(raw, placed, frames)
    if len(src) < MIN_PAIRS:
        raise InputError(
            f"MapAnything {what}: its {len(frames)} shared frame(s) with the chunk before have "
            f"{len(src)} points in common (need {MIN_PAIRS}); raise the overlap option or the "
            "chunk size so consecutive chunks can be registered")
    scale, rotation, translation = similarity_transform(src, dst)
    residual = np.linalg.norm(scale * src @ rotation.T + translation - dst, axis=1)
    best = residual <= np.quantile(residual, KEEP_BEST)
    if best.sum() >= MIN_PAIRS:
        scale, rotation, translation = similarity_transform(src[best], dst[best])
        residual = np.linalg.norm(scale * src @ rotation.T + translation - dst, axis=1)
    fit = {"scale": scale, "pairs": int(len(src)),
           "rms_m": float(np.sqrt(np.mean(residual[best] ** 2)))}
    return as_matrix(scale, rotation, translation), fit


def transform_view(view: dict, matrix: np.ndarray) -> dict:
    """The view with its points moved by ``matrix`` (4x4), stored as float32."""
    points = np.asarray(view["points"], np.float64) @ matrix[:3, :3].T + matrix[:3, 3]
    return {**view, "points": points.astype(np.float32)}


def place_camera(matrix: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """A camera-to-world ``pose`` of a chunk moved by the similarity ``matrix``: its centre
    moves with the points, its rotation only turns (a camera pose has no scale)."""
    placed = matrix @ pose
    placed[:3, :3] /= np.cbrt(np.linalg.det(matrix[:3, :3]))
    return placed
