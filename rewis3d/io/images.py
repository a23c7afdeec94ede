"""An image folder: natural sort, png/jpg, optional stride. No depth, no poses.

Without calibration the intrinsics are a pinhole guess and every pose is the identity; a
learned reconstructor (MapAnything) estimates both later.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rewis3d.errors import InputError
from rewis3d.io.common import (
    IMAGE_SUFFIXES,
    FrameRecord,
    check_stride,
    default_intrinsics,
    every,
    natural_key,
    read_rgb,
    require_folder,
)
from rewis3d.io.source import FrameSource


def read_image_folder(src: Path, stride: int = 1, max_frames: int | None = None) -> FrameSource:
    check_stride(stride)
    src = require_folder(src, "png/jpg images")
    files = sorted((p for p in src.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)
    if not files:
        raise InputError(f"{src}: no .png/.jpg images found")
    picked = list(every(files, stride, max_frames))

    def frames():
        K = None
        for path in picked:
            rgb = read_rgb(path)
            if K is None:
                K = default_intrinsics(*rgb.shape[:2])
            yield FrameRecord(rgb, K, np.eye(4), name=path.name)

    source = {"reader": "images", "path": str(src), "stride": stride, "poses_known": False}
    return FrameSource(len(picked), frames(), source)
