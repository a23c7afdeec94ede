"""A ScanNet export (the SensReader layout): color/N.jpg, depth/N.png (mm), pose/N.txt
(camera-to-world), intrinsic/intrinsic_depth.txt.

Colour (1296x968) and depth (640x480) differ in size; frames are stored at the depth
resolution with the depth intrinsics, the colour resized to match (ScanNet registers them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rewis3d.io.common import (
    IMAGE_SUFFIXES,
    FrameRecord,
    check_stride,
    every,
    natural_key,
    read_depth_png,
    read_matrix,
    read_rgb,
    require_folder,
)
from rewis3d.io.source import FrameSource
from rewis3d.store.errors import InputError


def read_scannet(src: Path, stride: int = 1, max_frames: int | None = None) -> FrameSource:
    check_stride(stride)
    src = require_folder(src, "a ScanNet export with color/, depth/, pose/, intrinsic/")
    for sub in ("color", "depth", "pose", "intrinsic"):
        if not (src / sub).is_dir():
            raise InputError(f"{src}: missing the {sub}/ folder of a ScanNet export")
    colors = {p.stem: p for p in (src / "color").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    depths = {p.stem: p for p in (src / "depth").glob("*.png")}
    poses = {p.stem: p for p in (src / "pose").glob("*.txt")}
    if not colors:
        raise InputError(f"{src / 'color'}: no colour images")
    if set(colors) != set(depths) or set(colors) != set(poses):
        raise InputError(
            f"{src}: colour/depth/pose counts do not match ({len(colors)} colour, {len(depths)} "
            f"depth, {len(poses)} pose files); each frame N needs color/N.jpg, depth/N.png and "
            "pose/N.txt"
        )
    K_file = src / "intrinsic" / "intrinsic_depth.txt"
    K = read_matrix(K_file, (3, 3), "depth intrinsics")
    picked = list(every(sorted(colors, key=natural_key), stride, max_frames))

    def frames():
        from PIL import Image

        for stem in picked:
            depth = read_depth_png(depths[stem], 1000.0)
            rgb = read_rgb(colors[stem])
            if rgb.shape[:2] != depth.shape:
                size = (depth.shape[1], depth.shape[0])
                rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR))
            pose = read_matrix(poses[stem], (4, 4), "pose")
            sources = {"pose": f"pose/{poses[stem].name}", "depth": f"depth/{depths[stem].name}",
                       "intrinsics": "intrinsic/intrinsic_depth.txt"}
            yield FrameRecord(rgb, K, pose, depth, name=colors[stem].name, sources=sources)

    source = {"reader": "scannet", "path": str(src), "stride": stride, "poses_known": True}
    return FrameSource(len(picked), frames(), source)
