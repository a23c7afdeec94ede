"""A video file (mp4/avi/...): every ``stride``-th frame, up to ``max_frames``, via imageio-ffmpeg."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rewis3d.errors import InputError
from rewis3d.io.common import FrameRecord, check_stride, default_intrinsics
from rewis3d.io.source import FrameSource


def read_video(src: Path, stride: int = 1, max_frames: int | None = None) -> FrameSource:
    import imageio.v3 as iio

    src = Path(src)
    check_stride(stride)
    if not src.is_file():
        raise InputError(f"{src}: no such video file")
    try:
        props = iio.immeta(src, plugin="FFMPEG")
    except Exception as exc:  # imageio/ffmpeg raise several types for broken files
        raise InputError(f"{src}: cannot be read as a video ({ffmpeg_reason(exc)}); check that "
                         "it is a video file (mp4, mov, avi, mkv, webm)") from None
    nframes = props.get("nframes")
    fps, duration = props.get("fps"), props.get("duration")
    if not isinstance(nframes, int) or nframes <= 0:
        nframes = int(round(fps * duration)) if fps and duration else 0
    count = len(range(0, nframes, stride)) if nframes else 0
    if max_frames is not None:
        count = min(count, max_frames) if count else max_frames

    def frames():
        K = None
        yielded = 0
        try:
            for i, frame in enumerate(iio.imiter(src, plugin="FFMPEG")):
                if i % stride:
                    continue
                if max_frames is not None and yielded >= max_frames:
                    break
                rgb = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
                if K is None:
                    K = default_intrinsics(*rgb.shape[:2])
                yield FrameRecord(rgb, K, np.eye(4), name=f"{src.name}#{i}")
                yielded += 1
        except (OSError, RuntimeError, ValueError) as exc:
            raise InputError(f"{src}: decoding failed after {yielded} frames "
                             f"({ffmpeg_reason(exc)})") from None

    source = {"reader": "video", "path": str(src), "stride": stride, "poses_known": False}
    return FrameSource(count, frames(), source)


def ffmpeg_reason(exc: Exception) -> str:
    """The line of an ffmpeg error that says what went wrong, not its 2-3 KB banner (version,
    build configuration, library versions)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "invalid" in line.lower()]
    reason = (errors or lines or [type(exc).__name__])[-1]
    return reason if len(reason) <= 200 else reason[:200] + "..."
