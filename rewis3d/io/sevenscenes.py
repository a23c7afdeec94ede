"""Microsoft 7-Scenes: frame-NNNNNN.color.{png,jpg}, .depth.png (mm; 0 or 65535 = none),
.pose.txt (4x4 camera-to-world), and an intrinsics file or the dataset default 585/320/240.
"""

from __future__ import annotations

import re
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

DEFAULT_K = np.array([[585.0, 0, 320], [0, 585.0, 240], [0, 0, 1]])
INTRINSICS_FILES = ("camera-intrinsics.txt", "intrinsics.txt")
_COLOR = re.compile(r"^(frame-\d+)\.color\.(png|jpg|jpeg)$", re.IGNORECASE)


def read_7scenes(src: Path, stride: int = 1, max_frames: int | None = None) -> FrameSource:
    check_stride(stride)
    src = require_folder(src, "7-Scenes frames (frame-NNNNNN.color.png/.depth.png/.pose.txt)")
    colors = {}
    for p in src.iterdir():
        m = _COLOR.match(p.name)
        if m:
            colors[m.group(1)] = p
    if not colors:
        raise InputError(f"{src}: no frame-NNNNNN.color.png/jpg files; is this a 7-Scenes sequence?")
    stems = sorted(colors)
    missing = [
        f"{s}.{kind}" for s in stems for kind in ("depth.png", "pose.txt")
        if not (src / f"{s}.{kind}").is_file()
    ]
    if missing:
        raise InputError(
            f"{src}: colour/depth/pose counts do not match: {len(missing)} missing "
            f"(first: {missing[0]}); every colour frame needs its .depth.png and .pose.txt"
        )
    K, intrinsics_source = _intrinsics(src)
    picked = list(every(stems, stride, max_frames))

    def frames():
        for stem in picked:
            rgb = read_rgb(colors[stem])
            depth = read_depth_png(src / f"{stem}.depth.png", 1000.0, invalid=(0, 65535))
            pose = read_matrix(src / f"{stem}.pose.txt", (4, 4), "pose")
            sources = {"pose": f"{stem}.pose.txt", "depth": f"{stem}.depth.png",
                       "intrinsics": intrinsics_source}
            yield FrameRecord(rgb, K, pose, depth, name=colors[stem].name, sources=sources)

    source = {"reader": "7scenes", "path": str(src), "stride": stride, "poses_known": True}
    return FrameSource(len(picked), frames(), source)


def _intrinsics(src: Path) -> tuple[np.ndarray, str]:
    for name in INTRINSICS_FILES:
        if (src / name).is_file():
            return read_matrix(src / name, (3, 3), "intrinsics"), name
    return DEFAULT_K.copy(), "the default 7-Scenes intrinsics"
