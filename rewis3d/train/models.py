"""The two students of a run, built from the config (adapters over rewis3d.models)."""

from __future__ import annotations

import torch

from rewis3d.errors import InputError
from rewis3d.models.models2d import build_model_2d, segment_logits
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


class Segmentor3D(torch.nn.Module):
    """A registered 3D backbone + Linear head -> logits (N, C); parameters ``backbone.*`` and
    ``seg_head.*``, the names of Pointcept's segmentors and of every run checkpoint."""

    def __init__(self, backbone: torch.nn.Module, num_classes: int):
        super().__init__()
        self.backbone = backbone
        self.seg_head = torch.nn.Linear(backbone.out_channels, num_classes)

    def forward(self, feat: torch.Tensor, coord: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.seg_head(self.backbone(feat, coord, **kwargs))


def student_3d(config: ModelConfig, num_classes: int, pretrained: bool = True) -> Segmentor3D:
    """``model_3d`` (any registered 3D backbone: the PTv3 presets or a plugin such as
    ``pointcept-ptv3``) on xyz + rgb (6 channels) + Linear head; with ``pretrained`` and
    ``model.pretrained_3d``, a Pointcept checkpoint initialises the backbone."""
    from rewis3d.models.backbones3d import available_backbones, build_backbone

    if config.model_3d not in available_backbones():
        raise InputError(f"unknown 3D model {config.model_3d!r}; available: "
                         f"{', '.join(available_backbones())} (`rewis3d train --list-backbones`)")
    backbone = build_backbone(config.model_3d, in_channels=6, grid_size=config.grid_size)
    model = Segmentor3D(backbone, num_classes)
    if pretrained and config.pretrained_3d:
        load_pretrained_3d(model.backbone, config.pretrained_3d, config.model_3d)
    return model


def load_pretrained_3d(backbone: torch.nn.Module, path: str, name: str) -> None:
    """A Pointcept checkpoint (``.pth``: read with ``weights_only=True``) or a safetensors
    state dict into ``backbone``, strictly: every backbone weight must be there with its shape
    (a segmentation head in the file is skipped, the run's own head stays)."""
    from pathlib import Path

    from rewis3d.models.ptv3.checkpoint import load_pointcept_state_dict

    file = Path(path).expanduser()
    if not file.is_file():
        raise InputError(f"model.pretrained_3d {path}: no such file")
    try:
        if file.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(file))
        else:
            state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's input
        raise InputError(f"model.pretrained_3d {path}: cannot read it as a checkpoint "
                         f"({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict):
        raise InputError(f"model.pretrained_3d {path}: not a state dict")
    try:
        load_pointcept_state_dict(backbone, state, strict=True)
    except ValueError as exc:
        raise InputError(f"model.pretrained_3d {path} does not fit model_3d {name!r}: "
                         f"{exc}") from None
