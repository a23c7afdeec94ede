"""The PTv3 transformer block: xCPE, serialized attention and MLP, pre-norm residuals."""

from __future__ import annotations

import torch
from torch import nn

from rewis3d.models.ptv3.attention import SerializedAttention
from rewis3d.models.ptv3.point_level import PointLevel
from rewis3d.models.ptv3.sparse_conv import SubMConv3d


class DropPath(nn.Module):
    """Stochastic depth on the rows of (N, C) features, i.e. per point as in the reference."""

    def __init__(self, drop_prob: float):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_prob == 0.0:
            return x
        keep = 1.0 - self.drop_prob
        mask = x.new_empty(x.shape[0], *([1] * (x.dim() - 1))).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}"


class MLP(nn.Module):
    def __init__(self, channels: int, hidden_channels: int, drop: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden_channels)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_channels, channels)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class ConditionalPositionEncoding(nn.ModuleList):
    """xCPE: submanifold conv k=3, Linear, LayerNorm (indices 0, 1, 2 as in checkpoints)."""

    def __init__(self, channels: int):
        super().__init__(
            [
                SubMConv3d(channels, channels, 3, bias=True),
                nn.Linear(channels, channels),
                nn.LayerNorm(channels),
            ]
        )

    def forward(self, level: PointLevel) -> torch.Tensor:
        """Of `level.cpe_feat` when unpooling left one (consumed here), else of `level.feat`."""
        conv, linear, norm = self
        feat = level.feat if level.cpe_feat is None else level.cpe_feat
        level.cpe_feat = None
        return norm(linear(conv(feat, level.voxel_grid())))


class Block(nn.Module):
    """x += CPE(x); x += DropPath(Attn(LN(x))); x += DropPath(MLP(LN(x))) (pre-norm)."""

    def __init__(
        self,
        channels: int,
        num_heads: int,
        patch_size: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        drop_path: float = 0.0,
        pre_norm: bool = True,
    ):
        super().__init__()
        self.pre_norm = pre_norm
        self.cpe = ConditionalPositionEncoding(channels)
        self.norm1 = nn.Sequential(nn.LayerNorm(channels))
        self.attn = SerializedAttention(
            channels, num_heads, patch_size, qkv_bias, attn_drop, proj_drop
        )
        self.norm2 = nn.Sequential(nn.LayerNorm(channels))
        self.mlp = nn.Sequential(MLP(channels, int(channels * mlp_ratio), proj_drop))
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()

    def forward(self, level: PointLevel, order_index: int) -> PointLevel:
        serialization = level.serialization
        order = serialization.order[order_index]
        inverse = serialization.inverse[order_index]
        layout = level.patch_layout(self.attn.patch_size)

        feat = level.feat + self.cpe(level)
        attn_in = self.norm1(feat) if self.pre_norm else feat
        feat = feat + self.drop_path(self.attn(attn_in, order, inverse, layout))
        if not self.pre_norm:
            feat = self.norm1(feat)
        mlp_in = self.norm2(feat) if self.pre_norm else feat
        feat = feat + self.drop_path(self.mlp(mlp_in))
        if not self.pre_norm:
            feat = self.norm2(feat)
        level.feat = feat
        return level
