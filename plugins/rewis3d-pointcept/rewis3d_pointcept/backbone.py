"""Wrap an installed Pointcept PointTransformerV3 behind the rewis3d backbone interface."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import torch
from torch import nn

POINTCEPT_MODELS = "pointcept.models"  # importing it registers every Pointcept model
POINTCEPT_BUILDER = "pointcept.models.builder"
# By registry name, never by class name: point_transformer_v3/__init__.py star-imports the m1,
# m2 and m3 modules, which all define `PointTransformerV3`, so that name is the last one
# imported (PT-v3m3 at Pointcept v1.7, PT-v3m2 at v1.6), not the m1 every checkpoint is for.
MODEL_TYPE = "PT-v3m1"

# The PT-v3m1 semseg configuration (Pointcept's class defaults are a smaller variant).
M1_SEMSEG = {
    "in_channels": 6,
    "order": ("z", "z-trans", "hilbert", "hilbert-trans"),
    "stride": (2, 2, 2, 2),
    "enc_depths": (2, 2, 2, 6, 2),
    "enc_channels": (32, 64, 128, 256, 512),
    "enc_num_head": (2, 4, 8, 16, 32),
    "enc_patch_size": (1024, 1024, 1024, 1024, 1024),
    "dec_depths": (2, 2, 2, 2),
    "dec_channels": (64, 64, 128, 256),
    "dec_num_head": (4, 4, 8, 16),
    "dec_patch_size": (1024, 1024, 1024, 1024),
    "mlp_ratio": 4,
    "qkv_bias": True,
    "drop_path": 0.3,
    "shuffle_orders": True,
    "pre_norm": True,
    "enable_rpe": False,
    "upcast_attention": False,
    "upcast_softmax": False,
}


def build_pointcept_model(**kwargs: Any) -> nn.Module:
    """Pointcept's PT-v3m1 from its model registry, or an ImportError that says how to get it."""
    try:
        importlib.import_module(POINTCEPT_MODELS)
        builder = importlib.import_module(POINTCEPT_BUILDER)
    except ImportError as error:
        raise ImportError(
            f"the 'pointcept-ptv3' backbone needs Pointcept ({POINTCEPT_MODELS} failed to import: "
            f"{error}). Pointcept is not on PyPI: clone https://github.com/Pointcept/Pointcept, "
            "add it to PYTHONPATH and install what `import pointcept.models` needs: spconv, "
            "torch-scatter, torch-cluster, peft, addict, timm and Pointcept's compiled pointops "
            "(libs/pointops); flash-attn optional. Without a GPU use the built-in 'ptv3-base' "
            "instead, which loads the same checkpoints."
        ) from error
    return builder.build_model({"type": MODEL_TYPE, **kwargs})


class PointceptPTv3(nn.Module):
    """Pointcept's model under `backbone`, so Pointcept segmentor checkpoints load directly."""

    def __init__(self, grid_size: float = 0.05, **pointcept_kwargs: Any):
        super().__init__()
        self.grid_size = grid_size
        self.backbone = build_pointcept_model(**pointcept_kwargs)
        self.out_channels = tuple(pointcept_kwargs.get("dec_channels", (64,)))[0]

    def forward(
        self,
        feat: torch.Tensor,
        coord: torch.Tensor,
        grid_size: float | None = None,
        grid_coord: torch.Tensor | None = None,
        offset: torch.Tensor | None = None,
        batch: torch.Tensor | None = None,
    ) -> torch.Tensor:
        data = {"feat": feat, "coord": coord, "grid_size": grid_size or self.grid_size}
        if grid_coord is not None:
            data["grid_coord"] = grid_coord.int()
        if batch is not None:
            data["batch"] = batch.long()
        elif offset is not None:
            data["offset"] = offset.long()
        else:
            data["offset"] = torch.tensor([coord.shape[0]], device=coord.device)
        return self.backbone(data).feat


def build_pointcept_ptv3(**kwargs: Any) -> PointceptPTv3:
    """Entry point: PT-v3m1 semseg defaults, any Pointcept keyword overridden by `kwargs`.

    Flash attention is enabled only when flash_attn is importable.
    """
    options = {**M1_SEMSEG, "enable_flash": importlib.util.find_spec("flash_attn") is not None}
    options.update(kwargs)
    return PointceptPTv3(**options)
