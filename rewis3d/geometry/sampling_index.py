"""The index that makes view-aware sampling cost O(sample) instead of O(scene).

Built once per reconstruction:
- per view: the centroid of its points and R = the largest distance to it, so the released
  code's sampling region (sphere of radius ``sphere_scale * R`` around the centroid) is known;
- a coarse voxel grid (about ``grid_cells`` cells along the longest side) whose cells hold
  contiguous blocks of a permutation of the points (``order``, ``cell_ptr``), with a copy of
  the points and their frame ids in that order, so that testing random candidates of a region
  reads memory nearly in sequence (random gathers from a 60M-point array cost ~100 ns each);
- per view, the grid cells that touch its sphere and their cumulative point counts, so a
  random point of the region is one ``searchsorted`` away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SamplingIndex:
    points: np.ndarray  # (N, 3) float32, the reconstruction's points (not copied)
    pixel: np.ndarray  # (N, 2) int32 (v, u)
    frame_ptr: np.ndarray  # (F+1,) int64
    centroid: np.ndarray  # (F, 3) float64; NaN for views without points
    radius: np.ndarray  # (F,) sampling-sphere radius = sphere_scale * R
    order: np.ndarray  # (N,) point indices sorted by grid cell (int32 when N < 2**31)
    sorted_points: np.ndarray  # (N, 3) float32 = points[order]
    sorted_frame: np.ndarray  # (N,) frame of points[order] (int16 when F < 32768)
    cell_ptr: np.ndarray  # (cells+1,) int64: cell c holds order[cell_ptr[c]:cell_ptr[c+1]]
    view_cells_ptr: np.ndarray  # (F+1,) int64 into view_cells / view_cum
    view_cells: np.ndarray  # grid cells touching each view's sphere
    view_cum: np.ndarray  # cumulative point counts over each view's cells (end of each cell)

    @property
    def num_points(self) -> int:
        return len(self.points)

    @property
    def num_frames(self) -> int:
        return len(self.frame_ptr) - 1

    @classmethod
    def build(
        cls,
        points: np.ndarray,
        frame_ptr: np.ndarray,
        pixel: np.ndarray,
        sphere_scale: float = 1.5,
        grid_cells: int = 64,
    ) -> SamplingIndex:
        points = np.asarray(points, dtype=np.float32)
        frame_ptr = np.asarray(frame_ptr, dtype=np.int64)
        centroid, radius = _view_spheres(points, frame_ptr, sphere_scale)
        lo = points.min(axis=0).astype(np.float64) if len(points) else np.zeros(3)
        hi = points.max(axis=0).astype(np.float64) if len(points) else np.ones(3)
        cell = max(float((hi - lo).max()) / grid_cells, 1e-6)
        dims = np.maximum(np.ceil((hi - lo) / cell).astype(np.int64), 1)
        keys = _cell_keys(points, lo, cell, dims)
        counts = np.bincount(keys, minlength=int(np.prod(dims)))
        cell_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        index_dtype = np.int32 if len(points) < 2**31 else np.int64
        order = np.argsort(keys, kind="stable").astype(index_dtype)
        del keys
        sorted_points = points[order]
        frame_dtype = np.int16 if len(frame_ptr) <= 2**15 else np.int32
        frame_of_point = np.repeat(np.arange(len(frame_ptr) - 1, dtype=frame_dtype),
                                   np.diff(frame_ptr))
        sorted_frame = frame_of_point[order]
        del frame_of_point
        occupied = np.flatnonzero(counts)
        centres = lo + (np.stack(np.unravel_index(occupied, dims), axis=1) + 0.5) * cell
        half_diag = 0.5 * np.sqrt(3.0) * cell
        cells_per_view, cum_per_view = [], []
        for f in range(len(frame_ptr) - 1):
            if not np.isfinite(radius[f]):
                cells_per_view.append(np.zeros(0, np.int64))
                cum_per_view.append(np.zeros(0, np.int64))
                continue
            d = np.linalg.norm(centres - centroid[f], axis=1)
            touching = occupied[d <= radius[f] + half_diag]
            cells_per_view.append(touching)
            cum_per_view.append(np.cumsum(counts[touching]))
        view_cells_ptr = np.concatenate([[0], np.cumsum([len(c) for c in cells_per_view])])
        return cls(
            points=points, pixel=np.asarray(pixel), frame_ptr=frame_ptr,
            centroid=centroid, radius=radius, order=order, cell_ptr=cell_ptr,
            sorted_points=sorted_points, sorted_frame=sorted_frame,
            view_cells_ptr=view_cells_ptr.astype(np.int64),
            view_cells=_concat(cells_per_view), view_cum=_concat(cum_per_view),
        )

    @classmethod
    def from_reconstruction(cls, reconstruction, sphere_scale: float = 1.5) -> SamplingIndex:
        """Read a stored reconstruction's points and pixels into memory and index them."""
        return cls.build(
            np.asarray(reconstruction.points[:]), reconstruction.frame_ptr,
            np.asarray(reconstruction.pixel[:]), sphere_scale,
        )

    def region_size(self, frame: int) -> int:
        """Points in the grid cells touching ``frame``'s sphere (a superset of the sphere)."""
        lo, hi = self.view_cells_ptr[frame], self.view_cells_ptr[frame + 1]
        return int(self.view_cum[hi - 1]) if hi > lo else 0

    def region_positions(self, frame: int, ranks: np.ndarray) -> np.ndarray:
        """Positions in ``order`` of the given ranks (0..region_size-1) of ``frame``'s cells."""
        lo, hi = self.view_cells_ptr[frame], self.view_cells_ptr[frame + 1]
        cum = self.view_cum[lo:hi]
        which = np.searchsorted(cum, ranks, side="right")
        start_of_cell = np.where(which > 0, cum[np.maximum(which - 1, 0)], 0)
        cells = self.view_cells[lo:hi][which]
        return self.cell_ptr[cells] + (ranks - start_of_cell)


def _view_spheres(points, frame_ptr, sphere_scale):
    num_frames = len(frame_ptr) - 1
    centroid = np.full((num_frames, 3), np.nan)
    radius = np.full(num_frames, np.nan)
    for f in range(num_frames):
        view = points[frame_ptr[f] : frame_ptr[f + 1]]
        if len(view):
            c = view.mean(axis=0, dtype=np.float64)
            centroid[f] = c
            radius[f] = sphere_scale * float(np.sqrt(((view - c) ** 2).sum(axis=1).max()))
    return centroid, radius


def _cell_keys(points, lo, cell, dims, block: int = 1 << 22) -> np.ndarray:
    """Flat grid cell of every point, computed in blocks to bound temporary memory."""
    keys = np.empty(len(points), dtype=np.int64)
    for s in range(0, len(points), block):
        ijk = ((points[s : s + block] - lo) / cell).astype(np.int64)
        ijk = np.minimum(np.maximum(ijk, 0), dims - 1)
        keys[s : s + block] = (ijk[:, 0] * dims[1] + ijk[:, 1]) * dims[2] + ijk[:, 2]
    return keys


def _concat(parts):
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
