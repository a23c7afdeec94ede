"""The index that makes view-aware sampling cost O(sample) instead of O(scene).

Built once per reconstruction (``SamplingIndex.build``; stored with the reconstruction by
``rewis3d.derived.sampling_index``):
- per view: the centroid of its points and R = the largest distance to it, so the released
  code's sampling region (sphere of radius ``sphere_scale * R`` around the centroid) is known;
- a voxel grid (``grid_cells`` cells along the longest side) whose cells hold contiguous blocks
  of a permutation of the points (``order``, ``cell_ptr``), with a copy of the points and their
  frame ids in that order, so that testing random candidates of a region reads memory nearly in
  sequence (random gathers from a 60M-point array cost ~100 ns each);
- per view, the grid cells that touch its sphere, their cumulative point counts (a random point
  of the region is one ``searchsorted`` away), whether each cell lies wholly inside the sphere
  (its points need no distance test), and the share of the region's points that a sample
  accepts (other views' points inside the sphere), so a sample needs no pilot draw.

The N-sized arrays may be numpy arrays or lazy row readers (``rewis3d.derived.row_chunks.RowChunks``): the
sampler only indexes them with sorted integer arrays and slices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_GRID_CELLS = 96
SHARE_PILOT = 8192


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
    view_cells_ptr: np.ndarray  # (F+1,) int64 into view_cells / view_cum / view_cell_inside
    view_cells: np.ndarray  # grid cells touching each view's sphere, ascending per view
    view_cum: np.ndarray  # cumulative point counts over each view's cells (end of each cell)
    view_cell_inside: np.ndarray  # bool: the cell lies wholly inside the view's sphere
    view_share: np.ndarray  # (F,) share of the region's points a sample accepts (estimate)

    @property
    def num_points(self) -> int:
        return len(self.order)

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
        grid_cells: int = DEFAULT_GRID_CELLS,
    ) -> SamplingIndex:
        points = np.asarray(points, dtype=np.float32)
        frame_ptr = np.asarray(frame_ptr, dtype=np.int64)
        centroid, radius = _view_spheres(points, frame_ptr, sphere_scale)
        grid = _Grid.fit(points, grid_cells)
        keys = grid.keys(points)
        counts = np.bincount(keys, minlength=grid.num_cells)
        cell_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        del keys
        order = order.astype(np.int32 if len(points) < 2**31 else np.int64)
        sorted_points = points[order]
        sorted_frame = frame_of_rows(order, frame_ptr)
        index = cls(
            points=points, pixel=np.asarray(pixel), frame_ptr=frame_ptr,
            centroid=centroid, radius=radius, order=order, cell_ptr=cell_ptr,
            sorted_points=sorted_points, sorted_frame=sorted_frame,
            **_view_regions(grid, counts, centroid, radius),
            view_share=np.ones(len(frame_ptr) - 1, np.float32),
        )
        index.view_share = estimate_shares(index)
        return index

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

    def region_positions(self, frame: int, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``order`` of sorted ranks (0..region_size-1) of ``frame``'s cells, and
        whether each lies in a cell wholly inside the sphere. Positions come out sorted."""
        lo, hi = self.view_cells_ptr[frame], self.view_cells_ptr[frame + 1]
        cum = self.view_cum[lo:hi]
        # ranks are sorted: count them per cell (O(cells log k)) instead of a search per rank
        per_cell = np.diff(np.searchsorted(ranks, cum, side="left"), prepend=0)
        start_of_cell = np.concatenate([[0], cum[:-1]])
        offset = self.cell_ptr[self.view_cells[lo:hi]] - start_of_cell
        return (ranks + np.repeat(offset, per_cell),
                np.repeat(self.view_cell_inside[lo:hi], per_cell))


def frame_of_rows(rows: np.ndarray, frame_ptr: np.ndarray) -> np.ndarray:
    """Source frame of each point index (int16 when there are fewer than 32768 frames)."""
    dtype = np.int16 if len(frame_ptr) <= 2**15 else np.int32
    return (np.searchsorted(frame_ptr, rows, side="right") - 1).astype(dtype)


def estimate_shares(index: SamplingIndex, pilot: int = SHARE_PILOT) -> np.ndarray:
    """Per view, the share of region candidates a sample accepts (fixed-seed pilot draw)."""
    rng = np.random.default_rng(0)
    shares = np.ones(index.num_frames, np.float32)
    for f in range(index.num_frames):
        total = index.region_size(f)
        if total:
            ranks = np.sort(rng.choice(total, size=min(pilot, total), replace=False))
            shares[f] = max(len(accept(index, f, ranks)), 1) / len(ranks)
    return shares


def accept(index: SamplingIndex, frame: int, ranks: np.ndarray) -> np.ndarray:
    """Sorted positions (in ``order``) of the ranked candidates that are other views' points
    inside ``frame``'s sphere; only candidates in boundary cells need the distance test."""
    pos, inside = index.region_positions(frame, ranks)
    keep = np.asarray(index.sorted_frame[pos]) != frame
    edge = np.flatnonzero(keep & ~inside)
    if len(edge):
        d = np.asarray(index.sorted_points[pos[edge]]) - index.centroid[frame].astype(np.float32)
        d2 = np.einsum("ij,ij->i", d, d)
        keep[edge[d2 > np.float32(index.radius[frame]) ** 2]] = False
    return pos[keep]


@dataclass(frozen=True)
class _Grid:
    lo: np.ndarray
    cell: float
    dims: np.ndarray

    @classmethod
    def fit(cls, points: np.ndarray, grid_cells: int) -> _Grid:
        lo = points.min(axis=0).astype(np.float64) if len(points) else np.zeros(3)
        hi = points.max(axis=0).astype(np.float64) if len(points) else np.ones(3)
        cell = max(float((hi - lo).max()) / grid_cells, 1e-6)
        return cls(lo, cell, np.maximum(np.ceil((hi - lo) / cell).astype(np.int64), 1))

    @property
    def num_cells(self) -> int:
        return int(np.prod(self.dims))

    def keys(self, points: np.ndarray, block: int = 1 << 22) -> np.ndarray:
        """Flat grid cell of every point, computed in blocks to bound temporary memory."""
        keys = np.empty(len(points), dtype=np.int32 if self.num_cells < 2**31 else np.int64)
        for s in range(0, len(points), block):
            ijk = ((points[s : s + block] - self.lo) / self.cell).astype(np.int64)
            ijk = np.minimum(np.maximum(ijk, 0), self.dims - 1)
            keys[s : s + block] = (ijk[:, 0] * self.dims[1] + ijk[:, 1]) * self.dims[2] + ijk[:, 2]
        return keys

    def centers(self, cells: np.ndarray) -> np.ndarray:
        return self.lo + (np.stack(np.unravel_index(cells, self.dims), axis=1) + 0.5) * self.cell


def _view_regions(grid: _Grid, counts, centroid, radius) -> dict[str, np.ndarray]:
    """Per view: the occupied cells touching its sphere, their cumulative counts and which lie
    wholly inside it."""
    occupied = np.flatnonzero(counts)
    centers = grid.centers(occupied)
    half_diag = 0.5 * np.sqrt(3.0) * grid.cell
    cells, cums, inside = [], [], []
    for f in range(len(radius)):
        d = np.linalg.norm(centers - centroid[f], axis=1) if np.isfinite(radius[f]) else None
        touching = d <= radius[f] + half_diag if d is not None else np.zeros(len(occupied), bool)
        cells.append(occupied[touching])
        cums.append(np.cumsum(counts[cells[-1]]))
        inside.append(d[touching] + half_diag <= radius[f] if d is not None else touching[:0])
    sizes = [len(c) for c in cells]
    return {
        "view_cells_ptr": np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        "view_cells": _concat(cells, np.int64),
        "view_cum": _concat(cums, np.int64),
        "view_cell_inside": _concat(inside, bool),
    }


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


def _concat(parts, dtype):
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
