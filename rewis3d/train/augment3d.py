"""3D augmentations (released code): the student gets rotation about z (+-pi, p .5), scale
[0.9, 1.1], flips of x and y (p .5 each) and jitter (sigma .005, clip .02); both views are
centred in x and y. Points keep their order, so student and teacher outputs align row by row
and correspondences (sample positions) need no update. The range clip of the released code is
dataset-specific and would drop points (and correspondences), so it is left out."""

from __future__ import annotations

import numpy as np


def center_xy(coord: np.ndarray) -> np.ndarray:
    shift = (coord.min(axis=0) + coord.max(axis=0)) / 2
    shift[2] = 0.0
    return coord - shift


def teacher_inputs(points: np.ndarray, colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The un-augmented 3D input of training, evaluation and prediction alike: xy-centred
    float32 coordinates (N, 3) and features (N, 6) = those coordinates + RGB in [0, 1]."""
    coord = center_xy(np.asarray(points, dtype=np.float32))
    return coord, np.concatenate([coord, np.asarray(colors, dtype=np.float32) / 255.0], 1)


def student_coords(coord: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = coord.astype(np.float32, copy=True)
    if rng.random() < 0.5:
        angle = rng.uniform(-np.pi, np.pi)
        c, s = np.cos(angle), np.sin(angle)
        out = out @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]], dtype=np.float32)
    out *= np.float32(rng.uniform(0.9, 1.1))
    for axis in (0, 1):
        if rng.random() < 0.5:
            out[:, axis] = -out[:, axis]
    out += np.clip(rng.normal(0, 0.005, out.shape), -0.02, 0.02).astype(np.float32)
    return center_xy(out)
