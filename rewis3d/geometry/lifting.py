"""Lifting 2D annotations onto reconstruction points: a point takes the label of its own pixel.

Only the point's source frame is consulted (the pixel it was made from), so lifting is exact and
costs one slice per labelled frame; spreading labels to other points is propagation's job.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from rewis3d.errors import InputError
from rewis3d.store import IGNORE_INDEX


@dataclass
class LiftedLabels:
    """Per-point labels (N,) uint8 (255 = unlabelled) and what could not be lifted."""

    labels: np.ndarray
    labelled_frames: list[int]
    frames_without_points: list[int] = field(default_factory=list)

    @property
    def num_labelled(self) -> int:
        return int(np.count_nonzero(self.labels != IGNORE_INDEX))


def lift_view(frame_labels: np.ndarray, pixel: np.ndarray) -> np.ndarray:
    """Labels (n,) uint8 of one view's points, read at their pixels (v, u)."""
    if not len(pixel):
        return np.zeros(0, dtype=np.uint8)
    return np.asarray(frame_labels)[pixel[:, 0], pixel[:, 1]].astype(np.uint8)


def lift_labels(scene, reconstruction) -> LiftedLabels:
    """Lift every labelled frame of ``scene.annotations`` onto ``reconstruction``'s points.

    A labelled frame with no points (no depth there, or every point filtered) cannot pass its
    labels on: that is a warning naming the frames; if no labelled frame has points at all,
    nothing could be lifted and it is an :class:`InputError`.
    """
    labels = np.full(reconstruction.num_points, IGNORE_INDEX, dtype=np.uint8)
    labelled = scene.annotations.labelled_frames()
    missing = []
    for f in labelled:
        s = reconstruction.view_slice(f)
        if s.stop == s.start:
            missing.append(f)
            continue
        labels[s] = lift_view(scene.annotations.frame(f), np.asarray(reconstruction.pixel[s]))
    if missing:
        msg = (
            f"annotations of frame(s) {missing} of scene {scene.name!r} have no points in "
            f"reconstruction {reconstruction.name!r} (no valid depth there, or every point was "
            "filtered), so their labels are not lifted; label frames that have depth, or "
            "reconstruct again with a backend that covers them"
        )
        if len(missing) == len(labelled):
            raise InputError(msg)
        warnings.warn(msg, stacklevel=2)
    return LiftedLabels(labels, labelled, missing)
