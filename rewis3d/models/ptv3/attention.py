"""Serialized patch attention: attention inside consecutive windows of K points along a curve.

Padding rule of the reference (flash path): a sample with n > K points and r = n % K != 0 is
padded to a multiple of K by repeating the K - r points just before its tail, so its last patch
is exactly its last K points; outputs of the repeated copies are discarded. A sample with
n <= K points is one patch of n points (masked keys here, variable length in flash-attn).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class PatchLayout:
    """Where each patch slot reads from and where each point's output lands.

    Positions are indices into the serialized (sorted) sequence, so one layout serves every
    curve of a level.
    """

    patch_size: int
    full_slots: torch.Tensor  # (P * K,) sorted position read by each slot of full patches
    short_slots: torch.Tensor  # (S * K,) same for samples shorter than K (padded, masked)
    short_valid: torch.Tensor  # (S, K) bool, real slots of the short patches
    output_row: torch.Tensor  # (N,) row of [full; short] slot outputs owned by sorted position


def build_patch_layout(counts: torch.Tensor, patch_size: int) -> PatchLayout:
    """Layout for samples of `counts` points each, contiguous in sorted order."""
    device = counts.device
    counts = counts.long()
    starts = torch.cumsum(counts, 0) - counts
    total = int(counts.sum())
    output_row = torch.empty(total, dtype=torch.long, device=device)

    is_full = counts >= patch_size
    padded = torch.where(is_full, (counts + patch_size - 1) // patch_size * patch_size, 0)
    sample = torch.repeat_interleave(torch.arange(counts.numel(), device=device), padded)
    local = torch.arange(sample.numel(), device=device) - (torch.cumsum(padded, 0) - padded)[sample]
    real = local < counts[sample]
    full_slots = starts[sample] + torch.where(real, local, local - patch_size)
    output_row[full_slots[real]] = torch.arange(sample.numel(), device=device)[real]

    short = torch.nonzero((counts > 0) & ~is_full).flatten()
    slot = torch.arange(patch_size, device=device)
    short_valid = slot < counts[short, None]
    short_slots = starts[short, None] + torch.where(short_valid, slot, 0)
    short_rows = sample.numel() + torch.arange(short_slots.numel(), device=device)
    output_row[short_slots[short_valid]] = short_rows.view_as(short_slots)[short_valid]
    return PatchLayout(patch_size, full_slots, short_slots.flatten(), short_valid, output_row)


def _attend(
    qkv: torch.Tensor,
    patch_size: int,
    num_heads: int,
    key_valid: torch.Tensor | None,
    dropout_p: float,
) -> torch.Tensor:
    """qkv (P*K, 3C) in slot order -> (P*K, C), attention within each patch of K slots."""
    channels = qkv.shape[1] // 3
    head_dim = channels // num_heads
    q, k, v = qkv.view(-1, patch_size, 3, num_heads, head_dim).permute(2, 0, 3, 1, 4)
    mask = key_valid[:, None, None, :] if key_valid is not None else None
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
    return out.transpose(1, 2).reshape(-1, channels)


def serialized_attention(
    qkv: torch.Tensor,
    order: torch.Tensor,
    inverse: torch.Tensor,
    layout: PatchLayout,
    num_heads: int,
    dropout_p: float = 0.0,
) -> torch.Tensor:
    """Multi-head attention of per-point qkv (N, 3C) within patches along `order`; (N, C)."""
    k = layout.patch_size
    outputs = []
    if layout.full_slots.numel():
        full = qkv[order[layout.full_slots]]
        outputs.append(_attend(full, k, num_heads, None, dropout_p))
    if layout.short_slots.numel():
        short = qkv[order[layout.short_slots]]
        outputs.append(_attend(short, k, num_heads, layout.short_valid, dropout_p))
    slot_out = torch.cat(outputs) if len(outputs) > 1 else outputs[0]
    return slot_out[layout.output_row[inverse]]


class SerializedAttention(nn.Module):
    """qkv projection, serialized patch attention, output projection (reference names)."""

    def __init__(
        self,
        channels: int,
        num_heads: int,
        patch_size: int,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ):
        super().__init__()
        if channels % num_heads:
            raise ValueError(f"channels {channels} not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.patch_size = patch_size
        self.attn_drop = attn_drop
        self.qkv = nn.Linear(channels, 3 * channels, bias=qkv_bias)
        self.proj = nn.Linear(channels, channels)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(
        self, feat: torch.Tensor, order: torch.Tensor, inverse: torch.Tensor, layout: PatchLayout
    ) -> torch.Tensor:
        dropout_p = self.attn_drop if self.training else 0.0
        out = serialized_attention(
            self.qkv(feat), order, inverse, layout, self.num_heads, dropout_p
        )
        return self.proj_drop(self.proj(out))
