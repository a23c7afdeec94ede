"""What a scene family produces: geometry with object classes, lights and a camera path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rewis3d.synthetic.meshes import MeshBuilder


@dataclass(frozen=True)
class Light:
    """A sun (``direction`` towards the light) or a lamp (``position``), plus ambient light."""

    kind: str  # "sun" | "lamp"
    vector: tuple[float, float, float]
    intensity: float
    ambient: float


@dataclass
class Layout:
    """A scene ready to render: ``sky_class`` labels rays that hit nothing (None = ignore)."""

    mesh: MeshBuilder
    poses: list[np.ndarray]
    light: Light
    hfov_deg: float
    sky_class: int | None
    haze_distance: float | None = None


def path_poses(points: np.ndarray, headings: np.ndarray, pitch_deg: float) -> list[np.ndarray]:
    """Camera-to-world poses (OpenCV axes, world z up) at ``points`` facing ``headings`` (rad).

    Heading 0 looks along world +y (with +x to the right); positive headings turn left.
    """
    poses = []
    pitch = np.radians(pitch_deg)
    for eye, heading in zip(points, headings, strict=True):
        forward = np.array([-np.sin(heading) * np.cos(pitch), np.cos(heading) * np.cos(pitch),
                            np.sin(pitch)])
        right = np.array([np.cos(heading), np.sin(heading), 0.0])
        down = np.cross(forward, right)
        pose = np.eye(4)
        pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, down, forward, eye
        poses.append(pose)
    return poses
