"""Confusion-matrix mIoU for 2D frames and 3D points, and sliding-window 2D inference."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

IGNORE = 255


class ConfusionMatrix:
    """Accumulates (gt, pred) counts; classes absent from gt and predictions are skipped."""

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self.counts = np.zeros((num_classes, num_classes), dtype=np.int64)

    def update(self, pred: np.ndarray, gt: np.ndarray) -> None:
        pred, gt = np.asarray(pred).ravel(), np.asarray(gt).ravel()
        keep = (gt != IGNORE) & (gt < self.num_classes)
        idx = gt[keep].astype(np.int64) * self.num_classes + pred[keep].astype(np.int64)
        self.counts += np.bincount(idx, minlength=self.num_classes**2).reshape(self.counts.shape)

    def iou(self) -> np.ndarray:
        """Per-class IoU; NaN for classes that appear in neither gt nor predictions."""
        tp = np.diag(self.counts).astype(np.float64)
        union = self.counts.sum(0) + self.counts.sum(1) - tp
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(union > 0, tp / union, np.nan)

    def miou(self, classes: list[int] | None = None) -> float:
        """Mean over classes present in the gt (optionally only ``classes``)."""
        iou = self.iou()
        present = self.counts.sum(1) > 0
        if classes is not None:
            mask = np.zeros(self.num_classes, bool)
            mask[list(classes)] = True
            present &= mask
        return float(np.nanmean(iou[present])) if present.any() else float("nan")


def window_starts(length: int, window: int, overlap: float = 1 / 3) -> list[int]:
    """Start offsets of windows covering ``length`` with about ``overlap`` shared."""
    if length <= window:
        return [0]
    stride = max(1, int(window * (1 - overlap)))
    starts = list(range(0, length - window, stride))
    return [*starts, length - window]


@torch.no_grad()
def sliding_window_probs(
    logits_fn: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    num_classes: int,
    window: int,
) -> torch.Tensor:
    """Softmax (C, H, W) of a normalised image (3, H, W), averaged over overlapping width stripes.

    Images no wider than ``window`` are one forward pass (full frame), as the released code
    evaluates wide KITTI-360 frames in stripes and others whole.
    """
    _, h, w = image.shape
    probs = torch.zeros(num_classes, h, w, device=image.device)
    hits = torch.zeros(1, h, w, device=image.device)
    for u0 in window_starts(w, window):
        stripe = image[None, :, :, u0 : u0 + window]
        logits = logits_fn(stripe)
        logits = torch.nn.functional.interpolate(
            logits.float(), size=stripe.shape[-2:], mode="bilinear", align_corners=False
        )
        probs[:, :, u0 : u0 + window] += logits[0].softmax(0)
        hits[:, :, u0 : u0 + window] += 1
    return probs / hits
