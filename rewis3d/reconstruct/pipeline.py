"""Run a backend on a scene, apply the shared filters, and write the result to the store.

Nothing is written unless the backend and the checks succeed, and the store writes through a
staging folder, so a failed or interrupted run leaves the scene as it was.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rewis3d.errors import InputError
from rewis3d.geometry.correspondence import check_pixels
from rewis3d.reconstruct.base import ProgressFn
from rewis3d.reconstruct.filtering import drop_lowest_confidence
from rewis3d.reconstruct.registry import create_reconstructor
from rewis3d.store import Reconstruction, Scene

LOW_CONF_FRACTION = 0.1
MIN_PIXEL_SHARE = 0.01  # fewer points than 1 % of the scene's pixels: nothing to train on


def reconstruct_scene(
    scene: Scene,
    backend: str = "sensor-depth",
    name: str | None = None,
    options: dict[str, Any] | None = None,
    drop_low_conf: bool | None = None,
    progress: ProgressFn | None = None,
    overwrite: bool = True,
) -> Reconstruction:
    """Reconstruct ``scene`` with ``backend`` and store it as ``name`` (default: the backend).

    ``drop_low_conf`` (None = the backend's default) drops each view's 10 % least confident
    points, as the released Rewis3d code does for MapAnything.
    """
    reconstructor = create_reconstructor(backend, **(options or {}))
    output = reconstructor.reconstruct(scene, progress=progress)
    data = output.data
    for f in range(scene.num_frames):
        s = slice(int(data.frame_ptr[f]), int(data.frame_ptr[f + 1]))
        check_pixels(data.pixel[s], scene.image_size, f"backend {backend!r}, frame {f}")
    if drop_low_conf is None:
        drop_low_conf = reconstructor.drop_low_conf_by_default
    if drop_low_conf:
        data = drop_lowest_confidence(data, LOW_CONF_FRACTION)
    check_not_empty(data.frame_ptr, scene, backend)
    attrs = {
        "backend": backend,
        "parameters": output.parameters,
        "conf_kind": output.conf_kind,
        "drop_low_conf": LOW_CONF_FRACTION if drop_low_conf else 0.0,
        **output.extra_attrs,
    }
    write_poses = output.camera_poses is not None and not scene.poses_known
    attrs["poses_written_to_scene"] = bool(write_poses)
    stored = scene.write_reconstruction(name or backend, data, attrs=attrs, overwrite=overwrite)
    if write_poses:  # after the cloud: the poses describe its world
        scene.set_poses(output.camera_poses)
    return stored


def check_not_empty(frame_ptr, scene: Scene, backend: str) -> None:
    """Refuse to store an empty or near-empty cloud: training and the preview would run on
    nothing and say little about why."""
    counts = np.diff(np.asarray(frame_ptr, dtype=np.int64))
    total, pixels = int(counts.sum()), scene.num_frames * scene.image_size[0] * scene.image_size[1]
    if total >= MIN_PIXEL_SHARE * pixels and total > 0:
        return
    with_points = int(np.count_nonzero(counts))
    raise InputError(
        f"backend {backend!r} gave {total:,} points from {with_points}/{scene.num_frames} frames "
        f"of scene {scene.name!r} (fewer than {MIN_PIXEL_SHARE:.0%} of its pixels); nothing "
        "was stored. Check that the frames show a scene (not blank or black), that the depth "
        "maps are in metres (sensor-depth), or try another backend")
