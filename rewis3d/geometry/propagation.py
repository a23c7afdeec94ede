"""Propagation preview: labels spread through 3D and shown in every frame, updated per stroke.

Method (voxel vote + radius spread). The scene's points are binned into voxels of
``voxel_size`` metres. Every lifted (labelled) point votes for its class in its voxel; a voxel
with votes takes the class with the most (ties: the lower class id). Every other occupied voxel
within ``radius`` metres (centre to centre) of a voted voxel takes the label of the nearest
voted voxel. A pixel of any frame then shows the label of the voxel holding the 3D point that
the frame's *own* depth sees at that pixel (its reconstruction point). That is the visibility
test against the frame's own depth: a labelled voxel shows up in a frame exactly where that
frame's depth lands inside it, never through an occluder (the occluder's depth lands
elsewhere). Confidence = the deciding voxel's vote share, fading to half at ``radius``.

Incremental: ``update_frame(f, labels)`` re-lifts frame f only, moves the votes of the points
whose label changed, re-decides the voxels within ``radius`` of the voxels whose vote changed,
and marks dirty only the frames holding points of voxels whose label changed;
``frame_labels`` renders one frame from its own points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from rewis3d.geometry.camera import depth_agrees, project_points, round_to_pixels
from rewis3d.geometry.lifting import lift_view
from rewis3d.store import IGNORE_INDEX


@dataclass(frozen=True)
class PropagationConfig:
    voxel_size: float = 0.05  # metres; the resolution of the vote
    radius: float = 0.3  # metres; how far a voted voxel's label spreads (0 = vote only)


class PropagationPreview:
    """Per-voxel class votes over one reconstruction; see the module docstring."""

    def __init__(
        self,
        points: np.ndarray,
        pixel: np.ndarray,
        frame_ptr: np.ndarray,
        image_size: tuple[int, int],
        num_classes: int,
        config: PropagationConfig = PropagationConfig(),
    ):
        self.pixel = np.asarray(pixel)
        self.frame_ptr = np.asarray(frame_ptr, dtype=np.int64)
        self.image_size = image_size
        self.num_classes = num_classes
        self.config = config
        self.point_voxel = _voxel_ids(np.asarray(points), config.voxel_size)
        num_voxels = int(self.point_voxel.max()) + 1 if len(self.point_voxel) else 0
        self.voxel_order = np.argsort(self.point_voxel, kind="stable")
        self.voxel_ptr = np.concatenate(
            [[0], np.cumsum(np.bincount(self.point_voxel, minlength=num_voxels))]
        ).astype(np.int64)
        self.votes = np.zeros((num_voxels, num_classes), dtype=np.int32)
        self.voxel_label = np.full(num_voxels, IGNORE_INDEX, dtype=np.uint8)
        self.voxel_conf = np.zeros(num_voxels, dtype=np.float32)
        self._centres = _voxel_centres(np.asarray(points), self.point_voxel, num_voxels)
        self._all_voxels = cKDTree(self._centres) if num_voxels else None
        self.lifted = np.full(len(self.point_voxel), IGNORE_INDEX, dtype=np.uint8)
        self.dirty_frames: set[int] = set()

    @classmethod
    def from_scene(cls, scene, reconstruction, num_classes: int,
                   config: PropagationConfig = PropagationConfig()) -> PropagationPreview:
        """Build over a stored reconstruction and feed it every labelled frame."""
        preview = cls(np.asarray(reconstruction.points[:]), np.asarray(reconstruction.pixel[:]),
                      reconstruction.frame_ptr, scene.image_size, num_classes, config)
        for f in scene.annotations.labelled_frames():
            preview.update_frame(f, scene.annotations.frame(f))
        return preview

    @property
    def num_frames(self) -> int:
        return len(self.frame_ptr) - 1

    def update_frame(self, frame: int, labels: np.ndarray) -> set[int]:
        """Take frame ``frame``'s current (H, W) labels; return the frames whose preview changed."""
        s = slice(int(self.frame_ptr[frame]), int(self.frame_ptr[frame + 1]))
        new = lift_view(labels, self.pixel[s])
        changed = np.flatnonzero(new != self.lifted[s]) + s.start
        if not len(changed):
            return set()
        voxels = self.point_voxel[changed]
        old_cls, new_cls = self.lifted[changed], new[changed - s.start]
        had, has = old_cls != IGNORE_INDEX, new_cls != IGNORE_INDEX
        np.subtract.at(self.votes, (voxels[had], old_cls[had]), 1)
        np.add.at(self.votes, (voxels[has], new_cls[has]), 1)
        self.lifted[changed] = new_cls
        touched = self._within_radius(np.unique(voxels))
        decided, conf = self._decide(touched)
        flipped = touched[decided != self.voxel_label[touched]]
        self.voxel_label[touched] = decided
        self.voxel_conf[touched] = conf
        frames = self._frames_of_voxels(flipped)
        self.dirty_frames.update(frames)
        return frames

    def frame_labels(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """Preview (H, W) uint8 labels (255 = none) and (H, W) float32 vote-share confidence."""
        s = slice(int(self.frame_ptr[frame]), int(self.frame_ptr[frame + 1]))
        labels = np.full(self.image_size, IGNORE_INDEX, dtype=np.uint8)
        conf = np.zeros(self.image_size, dtype=np.float32)
        voxels = self.point_voxel[s]
        v, u = self.pixel[s, 0], self.pixel[s, 1]
        labels[v, u] = self.voxel_label[voxels]
        conf[v, u] = self.voxel_conf[voxels]
        self.dirty_frames.discard(frame)
        return labels, conf

    def point_labels(self) -> np.ndarray:
        """Propagated label (N,) of every point (255 where no voxel label reached)."""
        return self.voxel_label[self.point_voxel]

    def _within_radius(self, voxels: np.ndarray) -> np.ndarray:
        """``voxels`` and every voxel whose decision they can change."""
        if self.config.radius <= 0 or not len(voxels):
            return voxels
        near = self._all_voxels.query_ball_point(self._centres[voxels], self.config.radius)
        return np.unique(np.concatenate([voxels, *map(np.asarray, near)]).astype(np.int64))

    def _decide(self, voxels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Label and confidence of ``voxels``: their own vote, else the nearest voted voxel's."""
        votes = self.votes[voxels]
        total = votes.sum(axis=1)
        label = np.where(total > 0, votes.argmax(axis=1), IGNORE_INDEX).astype(np.uint8)
        conf = np.where(total > 0, votes.max(axis=1) / np.maximum(total, 1), 0.0)
        spread = np.flatnonzero(total == 0)
        voted = np.flatnonzero(self.votes.any(axis=1)) if len(spread) else np.zeros(0, int)
        if self.config.radius > 0 and len(spread) and len(voted):
            dist, nearest = cKDTree(self._centres[voted]).query(
                self._centres[voxels[spread]], distance_upper_bound=self.config.radius
            )
            hit = np.isfinite(dist)
            source = voted[nearest[hit]]
            src_votes = self.votes[source]
            label[spread[hit]] = src_votes.argmax(axis=1)
            share = src_votes.max(axis=1) / src_votes.sum(axis=1)
            conf[spread[hit]] = share * (1 - 0.5 * dist[hit] / self.config.radius)
        return label, conf.astype(np.float32)

    def _frames_of_voxels(self, voxels: np.ndarray) -> set[int]:
        if not len(voxels):
            return set()
        starts, ends = self.voxel_ptr[voxels], self.voxel_ptr[voxels + 1]
        members = self.voxel_order[_ranges(starts, ends)]
        frames = np.searchsorted(self.frame_ptr, members, side="right") - 1
        return set(np.unique(frames).tolist())


def project_labels(
    points: np.ndarray, labels: np.ndarray, K: np.ndarray, cam_to_world: np.ndarray,
    depth: np.ndarray,
) -> np.ndarray:
    """Direct lifting's view of a frame: labelled points splatted where the depth agrees.

    The baseline the preview is measured against (and a preview for a frame with depth but no
    reconstruction points). Later points overwrite earlier ones at the same pixel.
    """
    out = np.full(depth.shape, IGNORE_INDEX, dtype=np.uint8)
    keep = labels != IGNORE_INDEX
    vu, z = project_points(points[keep], K, cam_to_world)
    pix, inside = round_to_pixels(vu, depth.shape)
    d = np.full(len(z), np.nan)
    d[inside] = depth[pix[inside, 0], pix[inside, 1]]
    visible = inside & depth_agrees(z, d)
    out[pix[visible, 0], pix[visible, 1]] = labels[keep][visible]
    return out


def _voxel_ids(points: np.ndarray, voxel_size: float) -> np.ndarray:
    """Compact voxel id (0..V-1) of every point."""
    if not len(points):
        return np.zeros(0, dtype=np.int64)
    cells = np.floor(points / voxel_size).astype(np.int64)
    cells -= cells.min(axis=0)
    span = cells.max(axis=0) + 1
    keys = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]
    _, ids = np.unique(keys, return_inverse=True)
    return ids.astype(np.int64).ravel()


def _voxel_centres(points: np.ndarray, voxel: np.ndarray, num_voxels: int) -> np.ndarray:
    """Mean position of each voxel's points (V, 3)."""
    counts = np.maximum(np.bincount(voxel, minlength=num_voxels), 1)[:, None]
    sums = np.stack([np.bincount(voxel, points[:, i], num_voxels) for i in range(3)], axis=1)
    return sums / counts


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, e) for each pair, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + offsets
