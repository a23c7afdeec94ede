"""Pieces shared by the geometry benchmarks: a project holding a given point cloud, and the
memory of the current process."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_point_project(root: Path, points: np.ndarray, frame_ptr: np.ndarray, pixel: np.ndarray,
                        size: tuple[int, int], classes: list[str]) -> Path:
    """A project whose scene ``s`` has ``points`` as reconstruction ``r`` (blank frames)."""
    from rewis3d.store import Project, ReconstructionData

    frames = len(frame_ptr) - 1
    project = Project.create(root / "proj", classes)
    with project.scene_writer("s") as writer:
        for _ in range(frames):
            writer.append(rgb=np.zeros((*size, 3), np.uint8), intrinsics=np.eye(3),
                          pose=np.eye(4))
    n = len(points)
    data = ReconstructionData(
        points=points, colors=np.zeros((n, 3), np.uint8), conf=np.ones(n, np.float32),
        frame=np.repeat(np.arange(frames, dtype=np.int32), np.diff(frame_ptr)),
        pixel=pixel, frame_ptr=frame_ptr)
    project.scene("s").write_reconstruction("r", data, {"backend": "synthetic"})
    return root / "proj"


def memory_mb() -> dict:
    """Peak (VmHWM), current and anonymous resident memory of this process, in MB.

    VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a subprocess would report its
    parent's peak when that is higher.
    """
    status = dict(line.split(":", 1) for line in
                  Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {"peak_rss_mb": int(status["VmHWM"].split()[0]) / 1024,
            "rss_mb": int(status["VmRSS"].split()[0]) / 1024,
            "anon_rss_mb": int(status["RssAnon"].split()[0]) / 1024}
