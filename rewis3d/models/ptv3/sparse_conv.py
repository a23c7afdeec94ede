"""Submanifold sparse 3D convolution in plain PyTorch (no spconv).

Voxels are hashed to int64 keys, sorted once per resolution level, and every kernel offset is
resolved with `torch.searchsorted`, giving a neighbour table (V, k**3). The convolution is then
an exact gather + matmul (im2col over present neighbours), computed in bounded row chunks.

Several points in one voxel (the released Rewis3d feeds un-subsampled clouds): each voxel's
input is the MEAN of its points' features, the convolution runs on voxels, and every point
receives its voxel's output. With one point per voxel this is exactly spconv's SubMConv3d;
with duplicates spconv keeps whichever point wins its hash-table race, we keep the mean, which
is deterministic, order-independent and keeps feature scale independent of point density.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

# Cells added on each side of the scene box so that neighbour keys never alias across rows;
# supports kernels up to 2 * KEY_MARGIN + 1.
KEY_MARGIN = 4
# Upper bound on the temporary (rows, k**3 * channels) im2col block, in elements.
GATHER_BLOCK_ELEMENTS = 1 << 24


@dataclass
class VoxelGrid:
    """Unique voxels of a batched cloud, their sorted keys and cached neighbour tables."""

    keys: torch.Tensor  # (V,) sorted int64 voxel keys
    point_to_voxel: torch.Tensor  # (N,) voxel of each point
    counts: torch.Tensor  # (V,) points per voxel
    axis_sizes: tuple[int, int, int]  # padded box size per axis, for key arithmetic
    neighbour_tables: dict[int, torch.Tensor] = field(default_factory=dict)

    @property
    def num_voxels(self) -> int:
        return int(self.keys.numel())

    @property
    def has_duplicates(self) -> bool:
        return self.num_voxels != int(self.point_to_voxel.numel())

    def neighbours(self, kernel_size: int) -> torch.Tensor:
        """(V, k**3) voxel index per kernel offset (x outermost), V where the cell is empty."""
        if kernel_size not in self.neighbour_tables:
            self.neighbour_tables[kernel_size] = _neighbour_table(self, kernel_size)
        return self.neighbour_tables[kernel_size]


def build_voxel_grid(grid_coord: torch.Tensor, batch: torch.Tensor) -> VoxelGrid:
    """Hash (batch, x, y, z) into one int64 per point and deduplicate."""
    coord = grid_coord.long() + KEY_MARGIN
    sizes = (coord.max(dim=0).values + KEY_MARGIN + 1).tolist()
    num_samples = int(batch.max().item()) + 1 if batch.numel() else 1
    if math.prod(sizes) * num_samples >= 2**62:
        raise ValueError("voxel grid too large for int64 keys; use a larger grid_size")
    size_x, size_y, size_z = sizes
    keys = ((batch.long() * size_x + coord[:, 0]) * size_y + coord[:, 1]) * size_z + coord[:, 2]
    unique_keys, point_to_voxel, counts = torch.unique(
        keys, sorted=True, return_inverse=True, return_counts=True
    )
    return VoxelGrid(unique_keys, point_to_voxel, counts, (size_x, size_y, size_z))


def kernel_offsets(kernel_size: int, device: torch.device | None = None) -> torch.Tensor:
    """(k**3, 3) offsets in weight order: x outermost, z innermost, like conv3d."""
    radius = kernel_size // 2
    steps = torch.arange(-radius, radius + 1, device=device)
    return torch.cartesian_prod(steps, steps, steps)


def _neighbour_table(grid: VoxelGrid, kernel_size: int) -> torch.Tensor:
    if kernel_size % 2 == 0 or kernel_size // 2 > KEY_MARGIN:
        raise ValueError(f"kernel_size must be odd and <= {2 * KEY_MARGIN + 1}")
    _, size_y, size_z = grid.axis_sizes
    offsets = kernel_offsets(kernel_size, grid.keys.device)
    deltas = (offsets[:, 0] * size_y + offsets[:, 1]) * size_z + offsets[:, 2]
    num_voxels = grid.num_voxels
    table = torch.empty(num_voxels, deltas.numel(), dtype=torch.long, device=grid.keys.device)
    rows_per_block = max(1, GATHER_BLOCK_ELEMENTS // (4 * deltas.numel()))
    for start in range(0, num_voxels, rows_per_block):
        wanted = grid.keys[start : start + rows_per_block, None] + deltas
        index = torch.searchsorted(grid.keys, wanted).clamp_(max=num_voxels - 1)
        found = grid.keys[index] == wanted
        table[start : start + rows_per_block] = torch.where(found, index, num_voxels)
    return table


def _gather_matmul(feat: torch.Tensor, table: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """out[v] = concat_o feat[table[v, o]] @ matrix, zero rows for empty cells."""
    padded = torch.cat([feat, feat.new_zeros(1, feat.shape[1])])
    out = feat.new_empty(table.shape[0], matrix.shape[1])
    rows_per_block = max(1, GATHER_BLOCK_ELEMENTS // matrix.shape[0])
    for start in range(0, table.shape[0], rows_per_block):
        rows = table[start : start + rows_per_block]
        columns = padded.index_select(0, rows.reshape(-1)).view(rows.shape[0], -1)
        torch.mm(columns, matrix, out=out[start : start + rows_per_block])
    return out


def _gather_weight_grad(
    feat: torch.Tensor, table: torch.Tensor, grad_out: torch.Tensor
) -> torch.Tensor:
    """sum_v concat_o feat[table[v, o]]^T grad_out[v], shape (k**3 * C_in, C_out)."""
    padded = torch.cat([feat, feat.new_zeros(1, feat.shape[1])])
    grad = feat.new_zeros(table.shape[1] * feat.shape[1], grad_out.shape[1])
    rows_per_block = max(1, GATHER_BLOCK_ELEMENTS // grad.shape[0])
    for start in range(0, table.shape[0], rows_per_block):
        rows = table[start : start + rows_per_block]
        columns = padded.index_select(0, rows.reshape(-1)).view(rows.shape[0], -1)
        grad.addmm_(columns.t(), grad_out[start : start + rows_per_block])
    return grad


class _SubmanifoldConvFunction(torch.autograd.Function):
    """Saves only the voxel features and the table; im2col blocks are rebuilt in backward.

    The input gradient is itself a submanifold convolution with the spatially flipped,
    transposed kernel on the same table (the neighbour relation is symmetric), so it needs
    no scatter-add and is deterministic.
    """

    @staticmethod
    def forward(ctx, feat, table, weight):  # noqa: ANN001, ANN205 - autograd signature
        ctx.save_for_backward(feat, table, weight)
        c_out, c_in = weight.shape[0], weight.shape[-1]
        matrix = weight.permute(1, 2, 3, 4, 0).reshape(-1, c_out)
        assert matrix.shape[0] == table.shape[1] * c_in
        return _gather_matmul(feat, table, matrix)

    @staticmethod
    def backward(ctx, grad_out):  # noqa: ANN001, ANN205 - autograd signature
        feat, table, weight = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        grad_feat = grad_weight = None
        if ctx.needs_input_grad[0]:
            c_in = weight.shape[-1]
            flipped = weight.flip(1, 2, 3).permute(1, 2, 3, 0, 4).reshape(-1, c_in)
            grad_feat = _gather_matmul(grad_out, table, flipped)
        if ctx.needs_input_grad[2]:
            kernel = weight.shape[1]
            grad = _gather_weight_grad(feat, table, grad_out)
            grad_weight = grad.view(kernel, kernel, kernel, weight.shape[-1], -1)
            grad_weight = grad_weight.permute(4, 0, 1, 2, 3)
        return grad_feat, None, grad_weight


def voxel_mean(feat: torch.Tensor, grid: VoxelGrid) -> torch.Tensor:
    """Per-voxel mean of point features (a permutation when voxels are unique)."""
    if not grid.has_duplicates:
        voxel_to_point = torch.empty_like(grid.point_to_voxel)
        voxel_to_point[grid.point_to_voxel] = torch.arange(
            grid.point_to_voxel.numel(), device=feat.device
        )
        return feat[voxel_to_point]
    summed = feat.new_zeros(grid.num_voxels, feat.shape[1])
    summed = summed.index_add(0, grid.point_to_voxel, feat)
    return summed / grid.counts.unsqueeze(1).to(feat.dtype)


def submanifold_conv3d(
    feat: torch.Tensor, grid: VoxelGrid, weight: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """Submanifold convolution of per-point features (N, C_in) -> (N, C_out).

    weight is (C_out, k, k, k, C_in), the spconv/Pointcept layout; out[p] = sum over offsets
    o of W[:, o] @ x[p + o - k//2], i.e. cross-correlation like torch conv3d.
    """
    table = grid.neighbours(weight.shape[1])
    out = _SubmanifoldConvFunction.apply(voxel_mean(feat, grid), table, weight)
    if bias is not None:
        out = out + bias
    return out[grid.point_to_voxel]


class SubMConv3d(nn.Module):
    """Submanifold conv layer whose parameters match spconv.SubMConv3d's state-dict layout."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        shape = (out_channels, kernel_size, kernel_size, kernel_size, in_channels)
        self.weight = nn.Parameter(torch.empty(shape))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Same fan-in scaling as nn.Conv3d's default initialisation."""
        bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size**3)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, feat: torch.Tensor, grid: VoxelGrid) -> torch.Tensor:
        return submanifold_conv3d(feat, grid, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
