"""2D segmentation models: a registry of SegFormer sizes and EoMT presets built through
transformers (EoMT through the :mod:`rewis3d.models.eomt` adapter).

A model is built from its config (random weights) unless the user names pretrained weights: a
local directory, or a hub id. Hub ids resolve from the local cache only unless downloads are
allowed explicitly, so an offline machine fails at once with a clear message instead of hanging.
Every model returns logits at 1/4 of the input size (see :func:`segment_logits`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewis3d.errors import InputError
from rewis3d.models.eomt import EOMT_PRESETS, EomtSemantic, eomt_config
from rewis3d.registry import Registry


@dataclass(frozen=True)
class SegformerSize:
    """Mix-Transformer encoder sizes (transformers' SegformerConfig fields)."""

    hidden_sizes: tuple[int, ...]
    depths: tuple[int, ...]
    decoder_hidden_size: int
    num_attention_heads: tuple[int, ...] = (1, 2, 5, 8)


SEGFORMER_SIZES: Registry[SegformerSize] = Registry("SegFormer size")
# Smaller than b0: for CPU tests and the demo (same architecture, fewer channels).
SEGFORMER_SIZES.register("segformer-mini",
                         SegformerSize((16, 32, 80, 128), (1, 1, 1, 1), 128, (1, 2, 5, 8)))
SEGFORMER_SIZES.register("segformer-b0", SegformerSize((32, 64, 160, 256), (2, 2, 2, 2), 256))
SEGFORMER_SIZES.register("segformer-b1", SegformerSize((64, 128, 320, 512), (2, 2, 2, 2), 256))
SEGFORMER_SIZES.register("segformer-b2", SegformerSize((64, 128, 320, 512), (3, 4, 6, 3), 768))
SEGFORMER_SIZES.register("segformer-b3", SegformerSize((64, 128, 320, 512), (3, 4, 18, 3), 768))
SEGFORMER_SIZES.register("segformer-b4", SegformerSize((64, 128, 320, 512), (3, 8, 27, 3), 768))
SEGFORMER_SIZES.register("segformer-b5", SegformerSize((64, 128, 320, 512), (3, 6, 40, 3), 768))

MODELS_2D = (*SEGFORMER_SIZES, *EOMT_PRESETS)


def segformer_config(name: str, num_classes: int, class_names: list[str] | None = None):
    """transformers ``SegformerConfig`` of a registered size with ``num_classes`` outputs."""
    from transformers import SegformerConfig

    size = _size(name)
    names = class_names or [str(i) for i in range(num_classes)]
    return SegformerConfig(
        hidden_sizes=list(size.hidden_sizes),
        depths=list(size.depths),
        num_attention_heads=list(size.num_attention_heads),
        decoder_hidden_size=size.decoder_hidden_size,
        num_labels=num_classes,
        id2label={i: n for i, n in enumerate(names)},
        label2id={n: i for i, n in enumerate(names)},
        semantic_loss_ignore_index=255,
    )


def build_model_2d(
    name: str,
    num_classes: int,
    class_names: list[str] | None = None,
    pretrained: str | None = None,
    allow_download: bool = False,
):
    """A ``SegformerForSemanticSegmentation`` of size ``name``, or an EoMT preset wrapped in
    :class:`EomtSemantic`.

    ``pretrained``: a local directory or a hub id whose encoder (and head, if the class count
    matches) initialise the model; the head is re-initialised when the class count differs.
    """
    from transformers import EomtForUniversalSegmentation, SegformerForSemanticSegmentation

    if name in EOMT_PRESETS:
        config = eomt_config(name, num_classes, class_names)
        if pretrained is None:
            return EomtSemantic(EomtForUniversalSegmentation(config))
        model = _from_pretrained(EomtForUniversalSegmentation, pretrained, config, allow_download)
        _check_architecture(name, pretrained, config, model.config, EOMT_FIELDS)
        return EomtSemantic(model)
    config = segformer_config(name, num_classes, class_names)
    if pretrained is None:
        return SegformerForSemanticSegmentation(config)
    model = _from_pretrained(SegformerForSemanticSegmentation, pretrained, config, allow_download)
    _check_architecture(name, pretrained, config, model.config, SEGFORMER_FIELDS)
    return model


# What must agree between model_2d and pretrained weights (the encoder; a decode head is
# re-initialised anyway when the class count differs).
SEGFORMER_FIELDS = ("hidden_sizes", "depths", "num_attention_heads")
EOMT_FIELDS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "patch_size")


def _check_architecture(name: str, source: str, wanted, loaded, fields: tuple[str, ...]) -> None:
    """Weights of another size would silently replace the model the config names."""
    differ = [f for f in fields if list(_as_list(getattr(wanted, f, None)))
              != list(_as_list(getattr(loaded, f, None)))]
    if not differ:
        return
    same = [n for n in MODELS_2D if n != name and n in SEGFORMER_SIZES
            and fields is SEGFORMER_FIELDS and all(
                list(getattr(SEGFORMER_SIZES[n], f)) == list(_as_list(getattr(loaded, f)))
                for f in fields)]
    hint = f"set model_2d to {same[0]!r}" if same else "set model_2d to the weights' size"
    found = ", ".join(f"{f} {list(_as_list(getattr(loaded, f)))}" for f in differ)
    raise InputError(f"pretrained 2D weights {source!r} are not a {name!r} model ({found}); "
                     f"{hint}, or drop pretrained_2d")


def _as_list(value):
    return value if isinstance(value, list | tuple) else [value]


def segment_logits(model, pixel_values):
    """Logits (B, C, H/4, W/4) of a 2D model for normalised images (B, 3, H, W)."""
    return model(pixel_values=pixel_values).logits


def transformers_parts(model, image_mean: list[float], image_std: list[float]):
    """The plain transformers model inside a 2D model and the image processor that feeds it
    images normalised with ``image_mean``/``image_std`` (what ``rewis3d export`` saves)."""
    from transformers import EomtImageProcessor, SegformerImageProcessor

    if isinstance(model, EomtSemantic):
        side = model.window
        # Short side to the ViT's square, square windows along the long side: the inference
        # EomtSemantic runs, and what post_process_semantic_segmentation merges back.
        processor = EomtImageProcessor(do_resize=True, size={"shortest_edge": side},
                                       do_split_image=True, image_mean=image_mean,
                                       image_std=image_std)
        return model.eomt, processor
    return model, SegformerImageProcessor(do_resize=False, image_mean=image_mean,
                                          image_std=image_std, do_reduce_labels=False)


def _size(name: str) -> SegformerSize:
    if name not in SEGFORMER_SIZES:
        raise InputError(f"unknown 2D model {name!r}; available: {', '.join(MODELS_2D)}")
    return SEGFORMER_SIZES[name]


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _from_pretrained(cls: Any, source: str, config, allow_download: bool):
    local = Path(source).expanduser()
    kwargs = {
        "num_labels": config.num_labels,
        "id2label": config.id2label,
        "label2id": config.label2id,
        "ignore_mismatched_sizes": True,
    }
    if hasattr(config, "semantic_loss_ignore_index"):
        kwargs["semantic_loss_ignore_index"] = config.semantic_loss_ignore_index
    if local.is_dir():
        if not (local / "config.json").is_file():
            raise InputError(f"pretrained 2D weights {local} has no config.json; point at a "
                             "directory written by save_pretrained (or `rewis3d export`)")
        return cls.from_pretrained(str(local), **kwargs)
    if local.exists() or source.startswith((".", "/", "~")):
        raise InputError(f"pretrained 2D weights {source!r}: no such directory")
    local_only = _offline() or not allow_download
    try:
        return cls.from_pretrained(source, local_files_only=local_only, **kwargs)
    except OSError as exc:
        if not local_only:
            raise InputError(f"could not download 2D weights {source!r}: {exc}") from None
        why = "HF_HUB_OFFLINE is set" if _offline() else "downloads are off by default"
        raise InputError(
            f"2D weights {source!r} are not in the local Hugging Face cache and {why}. "
            "Download them once (`huggingface-cli download " + source + "`) or pass "
            "allow_download=True (CLI: --allow-download) on a machine with internet, "
            "or give a local directory"
        ) from None
