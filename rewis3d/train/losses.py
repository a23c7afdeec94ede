"""The Rewis3d losses, on flat logits (M, C) so 2D pixels and 3D points share one code path.

Per branch (released code, ``weighted_consistency``):
``L = (1 - beta) * CE(labelled) + beta * w_t * KL(teacher || student)(unlabelled)``
with ``w_t`` the share of teacher predictions whose max probability is >= tau. The KL is
PyTorch's ``kl_div(log_softmax(student), softmax(teacher))`` with each branch's released
reduction: 2D ``KLDivLoss(reduction="mean")`` = sum / (elements x classes), 3D ``batchmean`` =
sum / elements. Elements outside the image (crop padding, ``valid`` False) count for nothing,
``w_t`` included.

Cross-modal consistency: a confidence-weighted CE normalised by the sum of weights, with the
other modality's teacher argmax as target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

IGNORE = 255


def flatten_2d(logits: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B*H*W, C) in row-major pixel order."""
    return logits.permute(0, 2, 3, 1).reshape(-1, logits.shape[1])


def supervised_ce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean CE over labelled elements; 0 (with a gradient path) when nothing is labelled."""
    labelled = labels != IGNORE
    if not bool(labelled.any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits[labelled], labels[labelled].long())


KLReduction = Literal["mean", "batchmean"]


def teacher_confidence_share(teacher_logits: torch.Tensor, tau: float) -> torch.Tensor:
    """``w_t``: the share of teacher predictions whose max softmax probability is >= tau."""
    if not len(teacher_logits):
        return teacher_logits.new_zeros(())
    probs = teacher_logits.float().softmax(dim=1)
    return (probs.max(dim=1).values >= tau).float().mean()


def consistency_kl(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, mask: torch.Tensor,
    reduction: KLReduction = "batchmean",
) -> torch.Tensor:
    """KL(teacher || student) over the masked elements: summed, then divided by their number
    (``batchmean``) or by their number times the number of classes (``mean``)."""
    if not bool(mask.any()):
        return student_logits.sum() * 0.0
    log_student = student_logits[mask].float().log_softmax(dim=1)
    teacher = teacher_logits[mask].float().softmax(dim=1)
    per_element = log_student.shape[1] if reduction == "mean" else 1  # written out: PyTorch
    # warns that its "mean" will become "batchmean"; the released 2D loss is today's "mean"
    return F.kl_div(log_student, teacher, reduction="sum") / (log_student.shape[0] * per_element)


@dataclass
class BranchLoss:
    total: torch.Tensor
    supervised: torch.Tensor
    consistency: torch.Tensor
    w_t: torch.Tensor


def mean_teacher_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    tau: float,
    beta: float = 0.5,
    kl_reduction: KLReduction = "batchmean",
    valid: torch.Tensor | None = None,
) -> BranchLoss:
    """Within-branch Mean Teacher loss (module docstring); teacher logits carry no gradient.
    ``valid`` (default: all) marks the elements that exist; padding has no label either."""
    teacher_logits = teacher_logits.detach()
    sup = supervised_ce(student_logits, labels)
    unlabelled = labels == IGNORE
    inside = teacher_logits
    if valid is not None:
        unlabelled, inside = unlabelled & valid, teacher_logits[valid]
    w_t = teacher_confidence_share(inside, tau)
    kl = consistency_kl(student_logits, teacher_logits, unlabelled, kl_reduction)
    return BranchLoss((1 - beta) * sup + beta * w_t * kl, sup, kl, w_t)


def weighted_ce(logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """sum(w * CE) / sum(w) over targets != IGNORE; 0 when no weight is left."""
    valid = targets != IGNORE
    w = weights.float() * valid
    total = w.sum()
    if not bool(total > 0):
        return logits.sum() * 0.0
    ce = F.cross_entropy(logits.float(), torch.where(valid, targets, 0).long(), reduction="none")
    return (ce * w).sum() / total


@dataclass
class CrossModalTargets:
    """Targets and weights for one student from the other modality's teacher."""

    targets: torch.Tensor  # (M,) long, IGNORE where there is no target
    weights: torch.Tensor  # (M,) float


def cmc_targets(
    teacher_logits: torch.Tensor,
    source_index: torch.Tensor,
    target_index: torch.Tensor,
    recon_conf: torch.Tensor,
    num_targets: int,
    use_pred_conf: bool = True,
    use_recon_conf: bool = True,
    ignore_classes: tuple[int, ...] = (),
) -> CrossModalTargets:
    """Move the teacher's argmax from its elements to the other modality's elements.

    ``source_index[k]`` (into the teacher's elements) corresponds to ``target_index[k]`` (into
    the ``num_targets`` student elements); ``recon_conf[k]`` is that correspondence's point
    confidence. Weight = teacher max-probability x reconstruction confidence (either factor can be
    switched off: the confidence ablation). Predicted ``ignore_classes`` (classes that have no
    3D points, e.g. sky, when the 2D teacher is the source) give no target.
    """
    with torch.no_grad():
        prob, pred = teacher_logits.float().softmax(dim=1).max(dim=1)
        targets = torch.full((num_targets,), IGNORE, dtype=torch.long, device=teacher_logits.device)
        weights = torch.zeros(num_targets, dtype=torch.float32, device=teacher_logits.device)
        w = torch.ones(len(source_index), device=teacher_logits.device)
        if use_pred_conf:
            w = w * prob[source_index]
        if use_recon_conf:
            w = w * recon_conf.float()
        label = pred[source_index]
        if ignore_classes:
            dropped = torch.isin(label, torch.tensor(ignore_classes, device=label.device))
            label = torch.where(dropped, torch.full_like(label, IGNORE), label)
        targets[target_index] = label
        weights[target_index] = w
    return CrossModalTargets(targets, weights)
