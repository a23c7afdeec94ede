"""EoMT (Encoder-only Mask Transformer) as a per-pixel semantic segmenter for the trainer.

EoMT classifies masks: Q queries each predict class logits (C + 1, the last is "no object") and
a mask. The trainer wants per-pixel class scores at 1/4 of the input size, like SegFormer, so
:class:`EomtSemantic` turns mask classification into semantic scores the way transformers'
``post_process_semantic_segmentation`` does,

    score[b, c, h, w] = sum_q softmax(class_logits)[b, q, c] * sigmoid(mask_logits)[b, q, h, w]

(no-object column dropped), then normalises over classes and returns the *log* of the clamped,
normalised scores. Why log-probabilities: ``softmax(log p) == p``, so the trainer's softmax,
cross-entropy, KL and confidence threshold see exactly the normalised EoMT scores and treat the
output as logits without knowing the architecture; the argmax equals transformers' semantic
post-processing. The clamp (``LOG_EPS``) keeps log finite where a class has no mass.

EoMT's ViT has position embeddings for one square input size, so an image is resized to that
size along its short side and covered with evenly spaced square windows along its long side
(EoMT's own semantic inference); window scores are averaged. Masked-attention annealing is not
scheduled: ``attn_mask_probs`` stays as built (1: masked attention on) or as loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rewis3d.registry import Registry

LOG_EPS = 1e-6  # floor of a normalised class score before the log


@dataclass(frozen=True)
class EomtPreset:
    """ViT encoder + EoMT head sizes (transformers' EomtConfig fields)."""

    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    image_size: int
    num_queries: int = 100
    num_blocks: int = 4
    num_register_tokens: int = 4
    patch_size: int = 16


EOMT_PRESETS: Registry[EomtPreset] = Registry("EoMT preset")
# For CPU tests: a 4-layer ViT on 64 px windows (grid 4x4, masks 16x16).
EOMT_PRESETS.register("eomt-mini", EomtPreset(64, 4, 4, 64, num_queries=8, num_blocks=2,
                                              num_register_tokens=1))
# DINOv2 ViT-S/B/L sizes, as in the EoMT paper; pretrained configs override these.
EOMT_PRESETS.register("eomt-small", EomtPreset(384, 12, 6, 640))
EOMT_PRESETS.register("eomt-base", EomtPreset(768, 12, 12, 640))
EOMT_PRESETS.register("eomt-large", EomtPreset(1024, 24, 16, 640))
EOMT_PRESETS.register("eomt-large-1024", EomtPreset(1024, 24, 16, 1024))  # Cityscapes size


def eomt_config(name: str, num_classes: int, class_names: list[str] | None = None):
    """transformers ``EomtConfig`` of a registered preset with ``num_classes`` classes."""
    from transformers import EomtConfig

    size = EOMT_PRESETS[name]
    names = class_names or [str(i) for i in range(num_classes)]
    return EomtConfig(
        hidden_size=size.hidden_size,
        num_hidden_layers=size.num_hidden_layers,
        num_attention_heads=size.num_attention_heads,
        image_size=size.image_size,
        patch_size=size.patch_size,
        num_queries=size.num_queries,
        num_blocks=size.num_blocks,
        num_register_tokens=size.num_register_tokens,
        num_labels=num_classes,
        id2label={i: n for i, n in enumerate(names)},
        label2id={n: i for i, n in enumerate(names)},
    )


def semantic_scores(class_logits: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
    """Class scores (B, C, h, w) normalised over C, from (B, Q, C+1) and (B, Q, h, w) logits."""
    classes = class_logits.float().softmax(-1)[..., :-1]
    scores = torch.einsum("bqc,bqhw->bchw", classes, mask_logits.float().sigmoid())
    return scores / scores.sum(1, keepdim=True).clamp_min(torch.finfo(scores.dtype).tiny)


def window_starts(length: int, window: int, unit: int) -> list[int]:
    """Evenly spaced starts of ``window``-long windows covering ``length``, on multiples of
    ``unit`` (both lengths are multiples of ``unit``, so windows land on mask pixels)."""
    count = math.ceil(length / window)
    if count == 1:
        return [0]
    step = (length - window) / (count - 1)
    return [round(i * step / unit) * unit for i in range(count)]


class EomtSemantic(nn.Module):
    """An ``EomtForUniversalSegmentation`` returning per-pixel log class probabilities at 1/4 of
    the input size (``.logits``), the contract of the trainer's 2D models."""

    def __init__(self, eomt: nn.Module):
        super().__init__()
        self.eomt = eomt
        self.config = eomt.config

    @property
    def window(self) -> int:
        """Side of the square the ViT sees (its position embeddings fix it)."""
        return int(self.config.image_size)

    @property
    def mask_unit(self) -> int:
        """Input pixels per mask pixel (patch size / 2 per upscale block: 4 for EoMT)."""
        return int(self.config.patch_size) // 2 ** int(self.config.num_upscale_blocks)

    def forward(self, pixel_values: torch.Tensor):
        from transformers.modeling_outputs import SemanticSegmenterOutput

        b, _, h, w = pixel_values.shape
        side, unit = self.window, self.mask_unit
        axis = 3 if w >= h else 2  # the long side, cut into windows
        long = max(side, round(max(h, w) * side / min(h, w) / unit) * unit)
        size = (side, long) if axis == 3 else (long, side)
        x = F.interpolate(pixel_values, size=size, mode="bilinear", align_corners=False)
        starts = window_starts(long, side, unit)
        crops = torch.cat([x.narrow(axis, s, side) for s in starts])
        out = self.eomt(pixel_values=crops)
        probs = semantic_scores(out.class_queries_logits, out.masks_queries_logits)
        m = side // unit
        total = sum(_pad_along(p, axis, s // unit, long // unit)
                    for s, p in zip(starts, probs.split(b), strict=True))
        hits = sum(_pad_along(torch.ones(1, 1, m, m, device=x.device), axis, s // unit,
                              long // unit) for s in starts)
        mean = total / hits
        mean = F.interpolate(mean, size=(math.ceil(h / 4), math.ceil(w / 4)), mode="bilinear",
                             align_corners=False)
        return SemanticSegmenterOutput(logits=mean.clamp_min(LOG_EPS).log())


def _pad_along(t: torch.Tensor, axis: int, start: int, length: int) -> torch.Tensor:
    """Zero-pad ``t`` along ``axis`` (2 or 3) so that it sits at ``start`` of ``length``."""
    before, after = start, length - start - t.shape[axis]
    return F.pad(t, (before, after) if axis == 3 else (0, 0, before, after))
