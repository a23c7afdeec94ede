"""Space-filling-curve serialization of voxelised point clouds (PTv3 section 3).

Codes follow the reference conventions so that orders match a Pointcept-trained model:
Morton interleaves bits with x highest (bit 3i+2), y (3i+1), z (3i); Hilbert is Skilling's
transpose algorithm with x as the first axis; "-trans" swaps x and y; the batch index sits
above the 3*depth curve bits, so samples never interleave.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

ORDERS = ("z", "z-trans", "hilbert", "hilbert-trans")
MAX_DEPTH = 16


def _spread_bits(value: torch.Tensor, depth: int) -> torch.Tensor:
    """Move bit i of `value` to bit 3i (two zero bits between neighbours)."""
    out = torch.zeros_like(value)
    for bit in range(depth):
        out |= ((value >> bit) & 1) << (3 * bit)
    return out


def morton_encode(grid_coord: torch.Tensor, depth: int) -> torch.Tensor:
    """Z-order code of integer cells (N, 3) in [0, 2**depth)."""
    xyz = grid_coord.long()
    return (
        (_spread_bits(xyz[:, 0], depth) << 2)
        | (_spread_bits(xyz[:, 1], depth) << 1)
        | _spread_bits(xyz[:, 2], depth)
    )


def _gray_to_binary(gray: torch.Tensor, num_bits: int) -> torch.Tensor:
    """Prefix-XOR from the most significant bit: inverts g = b ^ (b >> 1)."""
    binary = gray.clone()
    shift = 1
    while shift < num_bits:
        binary ^= binary >> shift
        shift <<= 1
    return binary


def hilbert_encode(grid_coord: torch.Tensor, depth: int) -> torch.Tensor:
    """Hilbert index of integer cells (N, 3) in [0, 2**depth), Skilling (2004).

    Skilling's "axes to transpose" undoes the excess work bit plane by bit plane, most
    significant first; the transposed axes interleaved (axis 0 highest) are then a Gray code
    of the Hilbert index.
    """
    if depth == 0:  # a single cell (the reference's Hilbert encoder fails on depth 0)
        return torch.zeros(grid_coord.shape[0], dtype=torch.long, device=grid_coord.device)
    axes = [grid_coord[:, i].long().clone() for i in range(3)]
    plane = 1 << (depth - 1)
    while plane > 1:
        lower = plane - 1
        for i in range(3):
            bit_set = (axes[i] & plane) != 0
            swap = (axes[0] ^ axes[i]) & lower
            axes[0] = torch.where(bit_set, axes[0] ^ lower, axes[0] ^ swap)
            if i > 0:
                axes[i] = torch.where(bit_set, axes[i], axes[i] ^ swap)
        plane >>= 1
    gray = morton_encode(torch.stack(axes, dim=1), depth)
    return _gray_to_binary(gray, 3 * depth)


def curve_encode(grid_coord: torch.Tensor, depth: int, order: str) -> torch.Tensor:
    """Code of one named order without batch bits."""
    if order not in ORDERS:
        raise ValueError(f"unknown serialization order {order!r}; expected one of {ORDERS}")
    if order.endswith("-trans"):
        grid_coord = grid_coord[:, [1, 0, 2]]
    encode = hilbert_encode if order.startswith("hilbert") else morton_encode
    return encode(grid_coord, depth)


def serialization_depth(grid_coord: torch.Tensor) -> int:
    """Bits per axis of the largest cell index, `int(max).bit_length()` as in the reference.

    Not of max + 1: the two differ when the largest index is 2**k - 1 (k vs k + 1 bits), and the
    Hilbert curve of a deeper cube orders the same cells differently. 0 when every cell is
    (0, 0, 0) (all codes are then 0).
    """
    depth = int(grid_coord.max().item()).bit_length()
    if depth > MAX_DEPTH:
        raise ValueError(
            f"grid coordinates need {depth} bits per axis (max {MAX_DEPTH}); "
            "use a larger grid_size or crop the scene"
        )
    return depth


def batched_code(
    grid_coord: torch.Tensor, batch: torch.Tensor, depth: int, order: str
) -> torch.Tensor:
    """`curve | batch << 3*depth`: sorting groups samples, then follows the curve."""
    num_batch_bits = int(batch.max().item()).bit_length() if batch.numel() else 0
    if 3 * depth + num_batch_bits > 63:
        raise ValueError("serialization code does not fit in int64; use fewer samples per batch")
    return curve_encode(grid_coord, depth, order) | (batch.long() << (3 * depth))


@dataclass
class Serialization:
    """Codes, orders and inverse orders of one resolution level, one row per curve."""

    code: torch.Tensor  # (k, N) int64
    order: torch.Tensor  # (k, N) sorted position -> point index
    inverse: torch.Tensor  # (k, N) point index -> sorted position
    depth: int

    def shuffled(self, generator: torch.Generator | None = None) -> Serialization:
        """The same curves in a random order (the reference's shuffle_orders augmentation)."""
        perm = torch.randperm(self.code.shape[0], generator=generator).to(self.code.device)
        return Serialization(self.code[perm], self.order[perm], self.inverse[perm], self.depth)


def orders_from_codes(code: torch.Tensor, depth: int) -> Serialization:
    """Stable argsort per curve, so equal codes (duplicate voxels) keep index order."""
    order = torch.argsort(code, dim=1, stable=True)
    inverse = torch.empty_like(order)
    positions = torch.arange(code.shape[1], device=code.device).expand_as(order)
    inverse.scatter_(1, order, positions)
    return Serialization(code, order, inverse, depth)


def serialize(
    grid_coord: torch.Tensor, batch: torch.Tensor, orders: tuple[str, ...]
) -> Serialization:
    """Serialize a batched voxel cloud along each named curve (deterministic)."""
    depth = serialization_depth(grid_coord)
    code = torch.stack([batched_code(grid_coord, batch, depth, order) for order in orders])
    return orders_from_codes(code, depth)
