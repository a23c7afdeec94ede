"""Submanifold sparse 3D convolution in plain PyTorch (no spconv).

Voxels are hashed to int64 keys and sorted once per resolution level; a kernel map lists, per
kernel offset, the (output voxel, input voxel) pairs, as in spconv. It is built with one
vectorised `torch.searchsorted` over the (dx, dy) columns of half the kernel (the other half
is the mirror image, and within a column the dz neighbours are the next sorted keys), once per
level and kernel size, and shared by every conv of the level. The convolution is then exact:
per offset, gather the present neighbours (`index_select`), matmul with that offset's weight
slice, `index_add_` into the outputs.

Why not one neighbour table (V, K) + one gather + one GEMM: real clouds fill only 8-35 % of a
k**3 neighbourhood (15 % for k=3 and 8 % for k=5 at the finest level of our scenes), so the
dense im2col does 3-12x the multiply-adds and moves that much more memory; measured on this
CPU it was 2-6x slower than the per-offset loop at every level (docs/ptv3.md).

Several points in one voxel (the released Rewis3d feeds un-subsampled clouds): each voxel's
input is the MEAN of its points' features, the convolution runs on voxels, and every point
receives its voxel's output. With one point per voxel this is exactly spconv's SubMConv3d;
with duplicates spconv keeps whichever point wins its hash-table race, we keep the mean, which
is deterministic, order-independent and keeps feature scale independent of point density.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch import nn

# Cells added on each side of the scene box so that neighbour keys never alias across rows;
# supports kernels up to 2 * KEY_MARGIN + 1.
KEY_MARGIN = 4


@dataclass
class KernelMap:
    """For every non-centre offset o (weight order): voxels v with a neighbour u = v + o.

    The centre offset pairs every voxel with itself and is not stored.
    """

    kernel_size: int
    out_index: list[torch.Tensor]  # per offset, (M_o,) output voxels v
    in_index: list[torch.Tensor]  # per offset, (M_o,) input voxels u

    @property
    def center(self) -> int:
        return self.kernel_size**3 // 2

    def pairs(self) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
        """(offset, out_index, in_index) for every offset with at least one pair."""
        for o, (out_index, in_index) in enumerate(zip(self.out_index, self.in_index, strict=True)):
            if out_index.numel():
                yield o, out_index, in_index


@dataclass
class VoxelGrid:
    """Unique voxels of a batched cloud, their sorted keys and cached kernel maps."""

    keys: torch.Tensor  # (V,) sorted int64 voxel keys
    point_to_voxel: torch.Tensor  # (N,) voxel of each point
    counts: torch.Tensor  # (V,) points per voxel
    axis_sizes: tuple[int, int, int]  # padded box size per axis, for key arithmetic
    kernel_maps: dict[int, KernelMap] = field(default_factory=dict)

    @property
    def num_voxels(self) -> int:
        return int(self.keys.numel())

    @property
    def has_duplicates(self) -> bool:
        return self.num_voxels != int(self.point_to_voxel.numel())

    def kernel_map(self, kernel_size: int) -> KernelMap:
        """Neighbour pairs per kernel offset, built once per level and kernel size."""
        if kernel_size not in self.kernel_maps:
            self.kernel_maps[kernel_size] = _build_kernel_map(self, kernel_size)
        return self.kernel_maps[kernel_size]


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


def _build_kernel_map(grid: VoxelGrid, kernel_size: int) -> KernelMap:
    """All (output, input) pairs of the non-centre offsets, grouped by offset.

    Only the first half of the offsets is looked up: u = v + o found for offset o also says
    that v is u's neighbour at -o (offset index k**3 - 1 - o). Within a (dx, dy) column the k
    cells dz = -r..r have consecutive keys, so one searchsorted per column finds the first
    voxel at or after dz = -r and the next 2r sorted voxels are the only candidates for the
    rest: k**2 / 2 binary searches per voxel instead of k**3.
    """
    if kernel_size % 2 == 0 or kernel_size // 2 > KEY_MARGIN:
        raise ValueError(f"kernel_size must be odd and <= {2 * KEY_MARGIN + 1}")
    keys, num = grid.keys, grid.num_voxels
    volume, radius = kernel_size**3, kernel_size // 2
    center = volume // 2
    if num == 0:
        empty = [keys.new_empty(0)] * volume
        return KernelMap(kernel_size, list(empty), list(empty))
    _, size_y, size_z = grid.axis_sizes
    columns = kernel_offsets(kernel_size, keys.device)[::kernel_size]  # dz = -r of each column
    columns = columns[: (kernel_size**2 + 1) // 2]  # (dx, dy) <= (0, 0): the first half
    column_deltas = (columns[:, 0] * size_y + columns[:, 1]) * size_z - radius
    base = keys.unsqueeze(1) + column_deltas.unsqueeze(0)  # (V, columns)
    first = torch.searchsorted(keys, base)
    half = torch.full((num, center), -1, dtype=torch.long, device=keys.device)
    column_start = torch.arange(columns.shape[0], device=keys.device) * kernel_size
    for step in range(2 * radius + 1):
        candidate = (first + step).clamp_(max=num - 1)
        dz = keys[candidate] - base
        offset = column_start + dz
        hit = (dz >= 0) & (dz <= 2 * radius) & (offset < center) & (first + step < num)
        voxel, column = torch.nonzero(hit, as_tuple=True)
        half[voxel, offset[voxel, column]] = candidate[voxel, column]
    offset, out_index = torch.nonzero(half.t() >= 0, as_tuple=True)  # grouped by offset
    in_index = half[out_index, offset]
    counts = torch.bincount(offset, minlength=center).tolist()
    outs, ins = torch.split(out_index, counts), torch.split(in_index, counts)
    # offset volume-1-o pairs u -> v wherever o pairs v -> u; index order within an offset
    # does not matter (each output appears once per offset)
    return KernelMap(
        kernel_size,
        [*outs, keys.new_empty(0), *reversed(ins)],
        [*ins, keys.new_empty(0), *reversed(outs)],
    )


def _weight_slices(weight: torch.Tensor) -> torch.Tensor:
    """(C_out, k, k, k, C_in) -> (k**3, C_in, C_out), one matrix per offset."""
    return weight.permute(1, 2, 3, 4, 0).reshape(-1, weight.shape[-1], weight.shape[0])


class _SubmanifoldConvFunction(torch.autograd.Function):
    """Saves only the voxel features; neighbour rows are re-gathered in backward.

    Computes in the features' dtype (autocast does not reach custom functions), returns the
    weight gradient in the weight's dtype.
    """

    @staticmethod
    def forward(ctx, feat, weight, kernel_map):  # noqa: ANN001, ANN205 - autograd signature
        ctx.save_for_backward(feat, weight)
        ctx.kernel_map = kernel_map
        slices = _weight_slices(weight.to(feat.dtype))
        out = feat @ slices[kernel_map.center]
        for o, out_index, in_index in kernel_map.pairs():
            out.index_add_(0, out_index, feat.index_select(0, in_index) @ slices[o])
        return out

    @staticmethod
    def backward(ctx, grad_out):  # noqa: ANN001, ANN205 - autograd signature
        feat, weight = ctx.saved_tensors
        kernel_map = ctx.kernel_map
        slices = _weight_slices(weight.to(feat.dtype))
        grad_out = grad_out.to(feat.dtype)
        center = kernel_map.center
        want_feat, want_weight = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_feat = grad_out @ slices[center].t() if want_feat else None
        grad_slices = torch.zeros_like(slices) if want_weight else None
        if want_weight:
            grad_slices[center] = feat.t() @ grad_out
        for o, out_index, in_index in kernel_map.pairs():
            grad_rows = grad_out.index_select(0, out_index)
            if want_feat:
                grad_feat.index_add_(0, in_index, grad_rows @ slices[o].t())
            if want_weight:
                torch.mm(feat.index_select(0, in_index).t(), grad_rows, out=grad_slices[o])
        grad_weight = None
        if want_weight:
            k = weight.shape[1]
            grad_weight = grad_slices.view(k, k, k, *slices.shape[1:]).permute(4, 0, 1, 2, 3)
            grad_weight = grad_weight.to(weight.dtype)
        return grad_feat, grad_weight, None


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
    kernel_map = grid.kernel_map(weight.shape[1])
    out = _SubmanifoldConvFunction.apply(voxel_mean(feat, grid), weight, kernel_map)
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
