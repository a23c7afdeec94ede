"""Serialized pooling (2x2x2 cells share a code prefix) and its unpooling (skip connection)."""

from __future__ import annotations

import torch
from torch import nn

from rewis3d.models.ptv3.point_level import PointLevel
from rewis3d.models.ptv3.serialization import orders_from_codes

BATCH_NORM = {"eps": 1e-3, "momentum": 0.01}


def pooling_depth(stride: int, serialization_depth: int) -> int:
    """Bits per axis dropped by a stride; 0 once the level is a single cell (as the reference)."""
    if stride < 2 or stride & (stride - 1):
        raise ValueError(f"pooling stride must be a power of two >= 2, got {stride}")
    depth = stride.bit_length() - 1
    return depth if depth <= serialization_depth else 0


def pool_topology(level: PointLevel, stride: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Cluster id of every point, each cluster's head (its lowest point index), bits dropped.

    Clusters are the parent cells `code >> 3*depth` of the first curve; any curve gives the
    same cells, only their numbering differs.
    """
    depth = pooling_depth(stride, level.serialization.depth)
    parent_code = level.serialization.code[0] >> (3 * depth)
    _, cluster = torch.unique(parent_code, sorted=True, return_inverse=True)
    num_points = cluster.numel()
    num_clusters = int(cluster.max().item()) + 1 if num_points else 0
    head = torch.full((num_clusters,), num_points, dtype=torch.long, device=cluster.device)
    head = head.scatter_reduce(0, cluster, torch.arange(num_points, device=cluster.device), "amin")
    return cluster, head, depth


def segment_reduce(
    values: torch.Tensor, segment: torch.Tensor, num_segments: int, reduce: str
) -> torch.Tensor:
    """Reduce rows of `values` sharing a segment id ("amax", "mean", ...)."""
    index = segment.unsqueeze(1).expand_as(values)
    out = values.new_zeros(num_segments, values.shape[1])
    return out.scatter_reduce(0, index, values, reduce, include_self=False)


class SerializedPooling(nn.Module):
    """Linear, max over each 2x2x2 (stride) cell, BatchNorm, GELU; coords are cell means."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2):
        super().__init__()
        self.stride = stride
        self.proj = nn.Linear(in_channels, out_channels)
        self.norm = nn.Sequential(nn.BatchNorm1d(out_channels, **BATCH_NORM))
        self.act = nn.GELU()

    def forward(self, level: PointLevel, shuffle_orders: bool = False) -> PointLevel:
        cluster, head, depth = pool_topology(level, self.stride)
        num_clusters = head.numel()
        serialization = orders_from_codes(
            level.serialization.code[:, head] >> (3 * depth), level.serialization.depth - depth
        )
        if shuffle_orders:
            serialization = serialization.shuffled()
        feat = segment_reduce(self.proj(level.feat), cluster, num_clusters, "amax")
        return PointLevel(
            feat=self.act(self.norm(feat)),
            coord=segment_reduce(level.coord, cluster, num_clusters, "mean"),
            grid_coord=level.grid_coord[head] >> depth,
            batch=level.batch[head],
            num_samples=level.num_samples,
            serialization=serialization,
            parent=level,
            cluster=cluster,
        )


def _linear_bn_gelu(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_channels, out_channels),
        nn.BatchNorm1d(out_channels, **BATCH_NORM),
        nn.GELU(),
    )


class SerializedUnpooling(nn.Module):
    """Back to the parent level: proj_skip(parent) + proj(coarse) broadcast to cell members.

    With `cpe_sees_skip_only` (Pointcept's behaviour, which its checkpoints were trained with)
    the next block's xCPE conv reads proj_skip(parent) alone: the reference replaces `feat` but
    not the sparse tensor its convolution reads, which still holds the projected skip.
    """

    def __init__(
        self,
        in_channels: int,
        skip_channels: int,
        out_channels: int,
        cpe_sees_skip_only: bool = True,
    ):
        super().__init__()
        self.cpe_sees_skip_only = cpe_sees_skip_only
        self.proj = _linear_bn_gelu(in_channels, out_channels)
        self.proj_skip = _linear_bn_gelu(skip_channels, out_channels)

    def forward(self, level: PointLevel) -> PointLevel:
        if level.parent is None or level.cluster is None:
            raise ValueError("unpooling needs a level produced by SerializedPooling")
        parent = level.parent
        skip = self.proj_skip(parent.feat)
        parent.feat = skip + self.proj(level.feat)[level.cluster]
        parent.cpe_feat = skip if self.cpe_sees_skip_only else None
        return parent
