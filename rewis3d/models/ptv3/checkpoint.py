"""Load Pointcept PT-v3m1 weights into our PTv3 (same names; sparse-conv layout checked)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

# Keys a Pointcept segmentor checkpoint carries beside the backbone; skipped for a bare backbone.
HEAD_PREFIXES = ("seg_head.", "criteria.")


@dataclass
class LoadReport:
    """What did not line up between a checkpoint and the model."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    skipped_head: list[str] = field(default_factory=list)
    converted_layout: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        lines = []
        for title, keys in (
            ("missing in checkpoint", self.missing),
            ("unexpected in checkpoint", self.unexpected),
            ("skipped head keys", self.skipped_head),
            ("sparse-conv weights converted from (k,k,k,C_in,C_out)", self.converted_layout),
        ):
            if keys:
                lines.append(f"{title} ({len(keys)}): " + ", ".join(keys[:20]))
        for name, got, want in self.mismatched[:20]:
            lines.append(f"shape mismatch {name}: checkpoint {got}, model {want}")
        if len(self.mismatched) > 20:
            lines.append(f"... and {len(self.mismatched) - 20} more shape mismatches")
        return "\n".join(lines) or "all keys matched"


def _unwrap(checkpoint: Mapping[str, object]) -> Mapping[str, torch.Tensor]:
    """Accept a raw state dict or a Pointcept checkpoint {"state_dict": ..., "epoch": ...}."""
    inner = checkpoint.get("state_dict")
    return inner if isinstance(inner, Mapping) else checkpoint  # type: ignore[return-value]


def _strip(key: str, prefix: str) -> str:
    return key[len(prefix) :] if key.startswith(prefix) else key


def _target_key(key: str, model_is_backbone: bool) -> str | None:
    """Checkpoint key -> model key; None for a head key when loading a bare backbone."""
    key = _strip(key, "module.")
    if model_is_backbone:
        if key.startswith(HEAD_PREFIXES):
            return None
        return _strip(key, "backbone.")
    return key if key.startswith(HEAD_PREFIXES + ("backbone.",)) else f"backbone.{key}"


def _fit_layout(value: torch.Tensor, expected: torch.Size) -> torch.Tensor | None:
    """Convert an older (k,k,k,C_in,C_out) sparse-conv weight to (C_out,k,k,k,C_in)."""
    if value.dim() == 5 and value.permute(4, 0, 1, 2, 3).shape == expected:
        return value.permute(4, 0, 1, 2, 3).contiguous()
    return None


def load_pointcept_state_dict(
    model: nn.Module, state_dict: Mapping[str, object], strict: bool = True
) -> LoadReport:
    """Copy a Pointcept PTv3 state dict into `model` (a PointTransformerV3 or PTv3Segmentor).

    Handles DDP's "module." and the segmentor's "backbone." prefixes. With strict=True a
    missing, unexpected or mis-shaped key raises a ValueError listing them all; otherwise the
    matching keys are loaded and the report says what was left out.
    """
    from rewis3d.models.ptv3.model import PointTransformerV3

    model_is_backbone = isinstance(model, PointTransformerV3)
    own = model.state_dict()
    report = LoadReport()
    to_load: dict[str, torch.Tensor] = {}
    for key, value in _unwrap(state_dict).items():
        target = _target_key(key, model_is_backbone)
        if target is None:
            report.skipped_head.append(key)
        elif target not in own:
            report.unexpected.append(key)
        elif value.shape != own[target].shape:
            converted = _fit_layout(value, own[target].shape)
            if converted is None:
                report.mismatched.append((key, tuple(value.shape), tuple(own[target].shape)))
            else:
                report.converted_layout.append(key)
                to_load[target] = converted
        else:
            to_load[target] = value
    loaded_or_bad = set(to_load) | {
        _target_key(k, model_is_backbone) for k, *_ in report.mismatched
    }
    report.missing = [k for k in own if k not in loaded_or_bad]
    if strict and not report.ok:
        raise ValueError(f"Pointcept checkpoint does not fit the model:\n{report}")
    model.load_state_dict(to_load, strict=False)
    return report
