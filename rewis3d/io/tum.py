"""TUM RGB-D: rgb.txt, depth.txt and groundtruth.txt, associated by nearest timestamp.

Depth PNGs are 16-bit with 5000 units per metre (0 = none). groundtruth.txt rows are
``t tx ty tz qx qy qz qw`` (camera-to-world). Intrinsics default to the dataset's ROS default
(525, 525, 319.5, 239.5) unless a 3x3 ``intrinsics.txt`` lies in the folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rewis3d.errors import InputError
from rewis3d.io.common import (
    FrameRecord,
    check_stride,
    every,
    read_depth_png,
    read_matrix,
    read_rgb,
    require_folder,
)
from rewis3d.io.source import FrameSource

DEFAULT_K = np.array([[525.0, 0, 319.5], [0, 525.0, 239.5], [0, 0, 1]])
MAX_DT = 0.02  # seconds, as in the dataset's associate.py convention


def read_tum(src: Path, stride: int = 1, max_frames: int | None = None) -> FrameSource:
    check_stride(stride)
    src = require_folder(src, "a TUM RGB-D sequence (rgb.txt, depth.txt, groundtruth.txt)")
    rgb_list = _read_list(src / "rgb.txt", 1)
    depth_list = _read_list(src / "depth.txt", 1)
    gt = _read_list(src / "groundtruth.txt", 7)
    if not rgb_list:
        raise InputError(f"{src / 'rgb.txt'}: lists no images")
    d_times = np.array([t for t, _ in depth_list])
    g_times = np.array([t for t, _ in gt])
    matched = []
    for t, (name,) in rgb_list:
        di, gi = _nearest(d_times, t), _nearest(g_times, t)
        if di is not None and gi is not None:
            matched.append((t, name, depth_list[di][1][0], gt[gi][1]))
    if not matched:
        raise InputError(
            f"{src}: no rgb frame has depth and a ground-truth pose within {MAX_DT}s; "
            "check that the three lists cover the same time span"
        )
    K = read_matrix(src / "intrinsics.txt", (3, 3), "intrinsics") \
        if (src / "intrinsics.txt").is_file() else DEFAULT_K.copy()
    picked = list(every(matched, stride, max_frames))

    def frames():
        for t, rgb_name, depth_name, pose_row in picked:
            rgb = read_rgb(src / rgb_name)
            depth = read_depth_png(src / depth_name, 5000.0)
            sources = {"pose": f"groundtruth.txt (t={t:.4f})", "depth": depth_name}
            yield FrameRecord(rgb, K, pose_from_tum(pose_row), depth, name=rgb_name,
                              sources=sources)

    source = {"reader": "tum", "path": str(src), "stride": stride, "poses_known": True,
              "unmatched_rgb": len(rgb_list) - len(matched)}
    return FrameSource(len(picked), frames(), source)


def pose_from_tum(row: tuple[str, ...]) -> np.ndarray:
    """``tx ty tz qx qy qz qw`` -> 4x4 camera-to-world (the quaternion is normalised)."""
    tx, ty, tz, qx, qy, qz, qw = (float(v) for v in row)
    q = np.array([qw, qx, qy, qz])
    norm = np.linalg.norm(q)
    if not np.isfinite(norm) or norm < 1e-8:
        return np.full((4, 4), np.nan)  # rejected by the store's pose check with the frame name
    w, x, y, z = q / norm
    T = np.eye(4)
    T[:3, :3] = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    T[:3, 3] = [tx, ty, tz]
    return T


def _read_list(path: Path, n_values: int) -> list[tuple[float, tuple[str, ...]]]:
    if not path.is_file():
        raise InputError(f"{path}: missing; a TUM sequence needs rgb.txt, depth.txt, groundtruth.txt")
    rows = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        try:
            t = float(parts[0])
        except ValueError:
            raise InputError(f"{path}:{lineno}: expected a timestamp first, got {parts[0]!r}") from None
        if len(parts) != 1 + n_values:
            raise InputError(f"{path}:{lineno}: expected {1 + n_values} columns, got {len(parts)}")
        rows.append((t, tuple(parts[1:])))
    rows.sort(key=lambda r: r[0])
    return rows


def _nearest(times: np.ndarray, t: float) -> int | None:
    if times.size == 0:
        return None
    i = int(np.clip(np.searchsorted(times, t), 1, times.size - 1)) if times.size > 1 else 0
    if times.size > 1 and abs(times[i - 1] - t) <= abs(times[i] - t):
        i -= 1
    return i if abs(times[i] - t) <= MAX_DT else None
