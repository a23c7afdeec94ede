"""The two students of a run, built from the config (adapters over rewis3d.models)."""

from __future__ import annotations

import torch

from rewis3d.models.models2d import build_model_2d, segment_logits
from rewis3d.store.errors import InputError
from rewis3d.train.config import ModelConfig

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def normalise(images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) in [0, 1] -> ImageNet-normalised, what SegFormer checkpoints expect."""
    mean = torch.tensor(IMAGENET_MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=images.device).view(1, 3, 1, 1)
    return (images - mean) / std


def logits_2d(model, images: torch.Tensor) -> torch.Tensor:
    """Logits (B, C, H, W) at the input size, for images in [0, 1]."""
    out = segment_logits(model, normalise(images))
    return torch.nn.functional.interpolate(out, size=images.shape[-2:], mode="bilinear",
                                           align_corners=False)


def student_2d(config: ModelConfig, class_names: list[str]):
    return build_model_2d(config.model_2d, len(class_names), class_names,
                          config.pretrained_2d, config.allow_download)


def student_3d(config: ModelConfig, num_classes: int):
    """PTv3 + Linear head (``rewis3d.models.ptv3``); xyz + rgb input (6 channels)."""
    from rewis3d.models.ptv3 import PRESETS, PTv3Segmentor, preset

    if config.model_3d not in PRESETS:
        raise InputError(f"unknown 3D model {config.model_3d!r}; available: {', '.join(PRESETS)}")
    return PTv3Segmentor(num_classes, preset(config.model_3d, in_channels=6,
                                             grid_size=config.grid_size))
