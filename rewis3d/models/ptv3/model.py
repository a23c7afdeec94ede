"""Point Transformer V3 encoder-decoder and a segmentor, parameter names as in Pointcept."""

from __future__ import annotations

import torch
from torch import nn

from rewis3d.models.ptv3.blocks import Block
from rewis3d.models.ptv3.config import PTv3Config
from rewis3d.models.ptv3.point_level import PointLevel
from rewis3d.models.ptv3.pooling import BATCH_NORM, SerializedPooling, SerializedUnpooling
from rewis3d.models.ptv3.serialization import serialize
from rewis3d.models.ptv3.sparse_conv import SubMConv3d


class Embedding(nn.Module):
    """Stem: submanifold conv k=5 without bias, BatchNorm, GELU (keys embedding.stem.*)."""

    def __init__(self, in_channels: int, channels: int):
        super().__init__()
        self.stem = nn.ModuleDict(
            {
                "conv": SubMConv3d(in_channels, channels, 5, bias=False),
                "norm": nn.BatchNorm1d(channels, **BATCH_NORM),
                "act": nn.GELU(),
            }
        )

    def forward(self, level: PointLevel) -> torch.Tensor:
        feat = self.stem["conv"](level.feat, level.voxel_grid())
        return self.stem["act"](self.stem["norm"](feat))


class Stage(nn.Module):
    """Optional `down` (encoder) or `up` (decoder) transition followed by `block{i}`."""

    def __init__(self, transition_name: str | None, transition: nn.Module | None, blocks: list):
        super().__init__()
        self.transition_name = transition_name
        if transition_name is not None:
            self.add_module(transition_name, transition)
        self.num_blocks = len(blocks)
        for i, block in enumerate(blocks):
            self.add_module(f"block{i}", block)

    def forward(self, level: PointLevel, shuffle_orders: bool) -> PointLevel:
        if self.transition_name == "down":
            level = self.get_submodule("down")(level, shuffle_orders)
        elif self.transition_name == "up":
            level = self.get_submodule("up")(level)
        num_orders = level.serialization.code.shape[0]
        for i in range(self.num_blocks):
            level = self.get_submodule(f"block{i}")(level, i % num_orders)
        return level


def _drop_path_rates(max_rate: float, depths: tuple[int, ...]) -> list[list[float]]:
    rates = torch.linspace(0, max_rate, sum(depths)).tolist()
    bounds = [sum(depths[:s]) for s in range(len(depths) + 1)]
    return [rates[bounds[s] : bounds[s + 1]] for s in range(len(depths))]


def batch_from_offset(offset: torch.Tensor, num_points: int) -> torch.Tensor:
    """Sample index per point from cumulative counts (B,), e.g. [n0, n0+n1, ...]."""
    counts = torch.diff(offset.long(), prepend=offset.new_zeros(1).long())
    if int(offset[-1]) != num_points or bool((counts < 0).any()):
        raise ValueError("offset must be non-decreasing cumulative counts ending at N")
    return torch.repeat_interleave(torch.arange(counts.numel(), device=offset.device), counts)


def grid_coordinates(coord: torch.Tensor, grid_size: float) -> torch.Tensor:
    """trunc((coord - min over the whole batch) / grid_size), as the reference."""
    return torch.div(coord - coord.min(dim=0).values, grid_size, rounding_mode="trunc").long()


class PointTransformerV3(nn.Module):
    """PTv3 backbone: per-point features (N, C) -> per-point features (N, out_channels)."""

    def __init__(self, config: PTv3Config | None = None):
        super().__init__()
        self.config = config = config or PTv3Config()
        self.out_channels = config.out_channels
        self.embedding = Embedding(config.in_channels, config.enc_channels[0])
        self.enc = nn.ModuleDict()
        enc_rates = _drop_path_rates(config.drop_path, config.enc_depths)
        for s, depth in enumerate(config.enc_depths):
            channels = config.enc_channels[s]
            down = None
            if s > 0:
                down = SerializedPooling(
                    config.enc_channels[s - 1], channels, config.strides[s - 1]
                )
            blocks = [
                self._block(channels, config.enc_num_heads[s], config.enc_patch_sizes[s], rate)
                for rate in enc_rates[s][:depth]
            ]
            self.enc[f"enc{s}"] = Stage("down" if down is not None else None, down, blocks)
        self.dec = nn.ModuleDict()
        dec_rates = _drop_path_rates(config.drop_path, config.dec_depths)
        dec_channels = (*config.dec_channels, config.enc_channels[-1])
        for s in reversed(range(len(config.dec_depths))):
            up = SerializedUnpooling(
                dec_channels[s + 1],
                config.enc_channels[s],
                dec_channels[s],
                cpe_sees_skip_only=config.decoder_cpe_sees_skip_only,
            )
            blocks = [
                self._block(dec_channels[s], config.dec_num_heads[s], config.dec_patch_sizes[s], r)
                for r in reversed(dec_rates[s])
            ]
            self.dec[f"dec{s}"] = Stage("up", up, blocks)

    def _block(self, channels: int, heads: int, patch_size: int, drop_path: float) -> Block:
        c = self.config
        return Block(
            channels,
            heads,
            patch_size,
            c.mlp_ratio,
            c.qkv_bias,
            c.attn_drop,
            c.proj_drop,
            drop_path,
            c.pre_norm,
        )

    def forward(
        self,
        feat: torch.Tensor,
        coord: torch.Tensor,
        grid_size: float | None = None,
        grid_coord: torch.Tensor | None = None,
        offset: torch.Tensor | None = None,
        batch: torch.Tensor | None = None,
        shuffle_orders: bool | None = None,
    ) -> torch.Tensor:
        """Features in input order. Give `offset` (B,) cumulative or `batch` (N,), or neither
        for a single sample; `grid_coord` overrides `grid_size` (default config.grid_size).
        Curve orders are shuffled only in training mode (config.shuffle_orders) unless
        `shuffle_orders` says otherwise."""
        level = self.prepare(feat, coord, grid_size, grid_coord, offset, batch, shuffle_orders)
        level.feat = self.embedding(level)
        for stage in self.enc.values():
            level = stage(level, self._shuffle(shuffle_orders))
        for stage in self.dec.values():
            level = stage(level, self._shuffle(shuffle_orders))
        return level.feat

    def _shuffle(self, requested: bool | None) -> bool:
        if requested is not None:
            return requested
        return self.training and self.config.shuffle_orders

    def prepare(
        self,
        feat: torch.Tensor,
        coord: torch.Tensor,
        grid_size: float | None = None,
        grid_coord: torch.Tensor | None = None,
        offset: torch.Tensor | None = None,
        batch: torch.Tensor | None = None,
        shuffle_orders: bool | None = None,
    ) -> PointLevel:
        """Finest level: batch indices, grid coordinates and serialization of the input."""
        if feat.shape[0] != coord.shape[0]:
            raise ValueError(f"feat has {feat.shape[0]} points but coord has {coord.shape[0]}")
        if batch is None:
            if offset is None:
                batch = torch.zeros(coord.shape[0], dtype=torch.long, device=coord.device)
            else:
                batch = batch_from_offset(offset, coord.shape[0])
        batch = batch.long()
        if grid_coord is None:
            grid_coord = grid_coordinates(coord, grid_size or self.config.grid_size)
        grid_coord = grid_coord.long()
        if grid_coord.numel() and int(grid_coord.min()) < 0:
            raise ValueError("grid_coord must be non-negative (subtract the minimum first)")
        serialization = serialize(grid_coord, batch, self.config.orders)
        if self._shuffle(shuffle_orders):
            serialization = serialization.shuffled()
        return PointLevel(
            feat=feat,
            coord=coord,
            grid_coord=grid_coord,
            batch=batch,
            num_samples=int(batch.max().item()) + 1 if batch.numel() else 1,
            serialization=serialization,
        )


class PTv3Segmentor(nn.Module):
    """Backbone + Linear head -> logits (N, num_classes); names `backbone.*`, `seg_head.*`."""

    def __init__(self, num_classes: int, config: PTv3Config | None = None):
        super().__init__()
        self.backbone = PointTransformerV3(config)
        self.seg_head = nn.Linear(self.backbone.out_channels, num_classes)

    def forward(self, feat: torch.Tensor, coord: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.seg_head(self.backbone(feat, coord, **kwargs))
