"""Builders of small datasets on disk in each supported layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_rgb(path: Path, h: int = 24, w: int = 32, value: int = 0) -> None:
    rgb = np.full((h, w, 3), value % 256, np.uint8)
    rgb[0, 0] = (1, 2, 3)
    Image.fromarray(rgb).save(path)


def write_depth16(path: Path, h: int = 24, w: int = 32, mm: int = 1500) -> None:
    depth = np.full((h, w), mm, np.uint16)
    depth[0, 0] = 0
    Image.fromarray(depth).save(path)


def pose_text(T: np.ndarray) -> str:
    return "\n".join(" ".join(f"{v:.6f}" for v in row) for row in T)


def make_7scenes(root: Path, n: int = 4, suffix: str = "png") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        stem = root / f"frame-{i:06d}"
        write_rgb(Path(f"{stem}.color.{suffix}"), value=10 * i)
        write_depth16(Path(f"{stem}.depth.png"))
        T = np.eye(4)
        T[0, 3] = 0.1 * i
        Path(f"{stem}.pose.txt").write_text(pose_text(T))
    return root
