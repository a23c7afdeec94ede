"""The state of one resolution level flowing through PTv3 (Pointcept's `Point`, typed)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from rewis3d.models.ptv3.attention import PatchLayout, build_patch_layout
from rewis3d.models.ptv3.serialization import Serialization
from rewis3d.models.ptv3.sparse_conv import VoxelGrid, build_voxel_grid


@dataclass
class PointLevel:
    """Features plus the topology shared by every block of a level.

    Topology (voxel hash, neighbour tables, patch layouts) is built once on first use and
    reused by all blocks of the level; `parent`/`cluster` link a pooled level to the finer one.
    """

    feat: torch.Tensor  # (N, C)
    coord: torch.Tensor  # (N, 3) float, metric
    grid_coord: torch.Tensor  # (N, 3) integer cells
    batch: torch.Tensor  # (N,) sample index
    num_samples: int
    serialization: Serialization
    parent: PointLevel | None = None
    cluster: torch.Tensor | None = None  # (N_parent,) index of this level's point per parent point
    # What the next xCPE conv reads instead of `feat`, once (set by unpooling; see
    # PTv3Config.decoder_cpe_sees_skip_only).
    cpe_feat: torch.Tensor | None = None
    _voxel_grid: VoxelGrid | None = field(default=None, repr=False)
    _patch_layouts: dict[int, PatchLayout] = field(default_factory=dict, repr=False)

    def voxel_grid(self) -> VoxelGrid:
        if self._voxel_grid is None:
            self._voxel_grid = build_voxel_grid(self.grid_coord, self.batch)
        return self._voxel_grid

    def patch_layout(self, patch_size: int) -> PatchLayout:
        """Padding layout; independent of the curve because every code sorts by batch first."""
        if patch_size not in self._patch_layouts:
            counts = torch.bincount(self.batch, minlength=self.num_samples)
            self._patch_layouts[patch_size] = build_patch_layout(counts, patch_size)
        return self._patch_layouts[patch_size]
