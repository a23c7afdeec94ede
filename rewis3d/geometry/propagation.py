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
from rewis3d.geometry.preview_index import CHUNK_ROWS, PreviewIndex, build_in_memory
from rewis3d.store import IGNORE_INDEX
from rewis3d.store.annotations import check_label_ids


@dataclass(frozen=True)
class PropagationConfig:
    voxel_size: float = 0.05  # metres; the resolution of the vote
    radius: float = 0.3  # metres; how far a voted voxel's label spreads (0 = vote only)


class PropagationPreview:
    """Per-voxel class votes over one reconstruction; see the module docstring.

    Per-point state lives in a ``PreviewIndex`` (memory-mapped when stored with the
    reconstruction) plus the lifted labels of the labelled frames only. In RAM per voxel:
    votes (4 B x classes), label (1 B), confidence (4 B), centre (24 B), frame pointer (8 B)
    and the KD-tree over the centres (~24-40 B): ~70 B + 4 B/class per voxel.
    """

    def __init__(
        self,
        index: PreviewIndex,
        frame_ptr: np.ndarray,
        image_size: tuple[int, int],
        num_classes: int,
        config: PropagationConfig = PropagationConfig(),
    ):
        self.index = index
        self.point_voxel = index.point_voxel
        self.pixel = index.pixel
        self.frame_ptr = np.asarray(frame_ptr, dtype=np.int64)
        self.image_size = image_size
        self.num_classes = num_classes
        self.config = config
        num_voxels = index.num_voxels
        self.votes = np.zeros((num_voxels, num_classes), dtype=np.int32)
        self.voxel_label = np.full(num_voxels, IGNORE_INDEX, dtype=np.uint8)
        self.voxel_conf = np.zeros(num_voxels, dtype=np.float32)
        self._centers = index.centers
        self._all_voxels = cKDTree(self._centers) if num_voxels else None
        self._lifted: dict[int, np.ndarray] = {}  # frame -> its points' lifted labels
        self.dirty_frames: set[int] = set()

    @classmethod
    def from_arrays(cls, points, pixel, frame_ptr, image_size: tuple[int, int],
                    num_classes: int, config: PropagationConfig = PropagationConfig(),
                    ) -> PropagationPreview:
        """Build over in-memory (or any sliceable) arrays, keeping the index in RAM."""
        index = build_in_memory(points, pixel, frame_ptr, config.voxel_size, image_size)
        return cls(index, frame_ptr, image_size, num_classes, config)

    @property
    def num_frames(self) -> int:
        return len(self.frame_ptr) - 1

    @property
    def num_points(self) -> int:
        return len(self.point_voxel)

    def update_frame(self, frame: int, labels: np.ndarray) -> set[int]:
        """Take frame ``frame``'s current (H, W) labels; return the frames whose preview changed."""
        s = self._points_of(frame)
        check_label_ids(labels, self.votes.shape[1], f"frame {frame}")
        new = lift_view(labels, self.pixel[s])
        old = self._lifted.get(frame, np.full(len(new), IGNORE_INDEX, dtype=np.uint8))
        changed = np.flatnonzero(new != old)
        if not len(changed):
            return set()
        voxels = self.point_voxel[s][changed].astype(np.int64)
        old_cls, new_cls = old[changed], new[changed]
        had, has = old_cls != IGNORE_INDEX, new_cls != IGNORE_INDEX
        np.subtract.at(self.votes, (voxels[had], old_cls[had]), 1)
        np.add.at(self.votes, (voxels[has], new_cls[has]), 1)
        self._lifted[frame] = new
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
        s = self._points_of(frame)
        labels = np.full(self.image_size, IGNORE_INDEX, dtype=np.uint8)
        conf = np.zeros(self.image_size, dtype=np.float32)
        voxels = self.point_voxel[s]
        pixel = self.pixel[s]
        v, u = pixel[:, 0], pixel[:, 1]
        labels[v, u] = self.voxel_label[voxels]
        conf[v, u] = self.voxel_conf[voxels]
        self.dirty_frames.discard(frame)
        return labels, conf

    def point_labels(self, points: np.ndarray | None = None) -> np.ndarray:
        """Propagated label of every point, or of the point indices ``points`` (255 where no
        voxel label reached). A viewer showing a subset asks for that subset only: at 60M
        points the full array is a 60M-row gather per stroke."""
        if points is not None:
            return self.voxel_label[self.point_voxel[np.asarray(points, dtype=np.int64)]]
        out = np.empty(len(self.point_voxel), dtype=np.uint8)
        for a in range(0, len(out), CHUNK_ROWS):
            out[a : a + CHUNK_ROWS] = self.voxel_label[self.point_voxel[a : a + CHUNK_ROWS]]
        return out

    def _points_of(self, frame: int) -> slice:
        return slice(int(self.frame_ptr[frame]), int(self.frame_ptr[frame + 1]))

    def _within_radius(self, voxels: np.ndarray) -> np.ndarray:
        """``voxels`` and every voxel whose decision they can change."""
        if self.config.radius <= 0 or not len(voxels):
            return voxels
        near = self._all_voxels.query_ball_point(self._centers[voxels], self.config.radius)
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
            dist, nearest = cKDTree(self._centers[voted]).query(
                self._centers[voxels[spread]], distance_upper_bound=self.config.radius
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
        ptr = self.index.voxel_frame_ptr
        frames = self.index.voxel_frames[_ranges(ptr[voxels], ptr[voxels + 1])]
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


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, e) for each pair, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + offsets
