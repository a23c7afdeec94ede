"""Each loss against values computed by hand on tiny tensors."""

import math

import pytest
import torch

from rewis3d.train.losses import (
    IGNORE,
    cmc_targets,
    consistency_kl,
    mean_teacher_loss,
    supervised_ce,
    teacher_confidence_share,
    weighted_ce,
)


def ce(logits, target):
    return -math.log(math.exp(logits[target]) / sum(math.exp(x) for x in logits))


def test_supervised_ce_averages_labelled_only():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [5.0, -5.0]])
    labels = torch.tensor([0, 1, IGNORE])
    expected = (ce([2.0, 0.0], 0) + ce([0.0, 1.0], 1)) / 2
    assert math.isclose(float(supervised_ce(logits, labels)), expected, rel_tol=1e-6)


def test_supervised_ce_without_labels_is_zero_with_gradient():
    logits = torch.zeros(3, 2, requires_grad=True)
    loss = supervised_ce(logits, torch.full((3,), IGNORE))
    loss.backward()
    assert float(loss.detach()) == 0.0 and logits.grad is not None


def test_teacher_confidence_share():
    # softmax max probs: [e^3/(e^3+1)=0.953, 0.5, 0.731]
    teacher = torch.tensor([[3.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    assert float(teacher_confidence_share(teacher, 0.95)) == pytest.approx(1 / 3)
    assert float(teacher_confidence_share(teacher, 0.7)) == pytest.approx(2 / 3)


def test_consistency_kl_is_kl_teacher_student_on_mask():
    student = torch.tensor([[0.0, 0.0], [9.0, 0.0]])
    teacher = torch.tensor([[math.log(3.0), 0.0], [0.0, 0.0]])  # p_t = [.75, .25]
    mask = torch.tensor([True, False])
    expected = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert math.isclose(float(consistency_kl(student, teacher, mask)), expected, rel_tol=1e-6)


def test_mean_teacher_loss_combines_terms():
    student = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    teacher = torch.tensor([[0.0, 0.0], [5.0, 0.0]])  # max probs .5 and .993
    labels = torch.tensor([0, IGNORE])
    out = mean_teacher_loss(student, teacher, labels, tau=0.95, beta=0.5)
    p = math.exp(5) / (math.exp(5) + 1)
    kl = p * math.log(p / 0.5) + (1 - p) * math.log((1 - p) / 0.5)
    expected = 0.5 * ce([1.0, 0.0], 0) + 0.5 * 0.5 * kl
    assert math.isclose(float(out.total), expected, rel_tol=1e-5)
    assert float(out.w_t) == 0.5


def test_weighted_ce_normalises_by_weight_sum():
    logits = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    targets = torch.tensor([0, 0, IGNORE])
    weights = torch.tensor([2.0, 1.0, 100.0])
    expected = (2 * ce([1.0, 0.0], 0) + 1 * ce([0.0, 2.0], 0)) / 3
    assert math.isclose(float(weighted_ce(logits, targets, weights)), expected, rel_tol=1e-6)


def test_cmc_targets_weights_and_sky():
    teacher = torch.tensor([[math.log(3.0), 0.0, -50.0], [-50.0, -50.0, 0.0]])  # .75 cls0; sky
    source = torch.tensor([0, 1])
    target = torch.tensor([3, 1])
    conf = torch.tensor([2.0, 4.0])
    t = cmc_targets(teacher, source, target, conf, 5, ignore_classes=(2,))
    assert t.targets.tolist() == [IGNORE, IGNORE, IGNORE, 0, IGNORE]
    assert math.isclose(float(t.weights[3]), 0.75 * 2.0, rel_tol=1e-5)
    none = cmc_targets(teacher, source, target, conf, 5, False, False)
    assert none.targets.tolist() == [IGNORE, 2, IGNORE, 0, IGNORE]
    assert none.weights.tolist() == [0, 1, 0, 1, 0]
    recon = cmc_targets(teacher, source, target, conf, 5, False, True)
    assert recon.weights.tolist() == [0, 4, 0, 2, 0]


def test_kl_reductions_match_the_released_branches():
    """Released 2D: KLDivLoss(reduction="mean") = sum / (M * C); 3D: "batchmean" = sum / M."""
    student = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    teacher = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    mask = torch.tensor([True, True, False])
    log_s = student[mask].log_softmax(1)
    p_t = teacher[mask].softmax(1)
    total = float((p_t * (p_t.log() - log_s)).sum())
    assert float(consistency_kl(student, teacher, mask, "batchmean")) == pytest.approx(total / 2)
    assert float(consistency_kl(student, teacher, mask, "mean")) == pytest.approx(total / 6)
    labels = torch.tensor([IGNORE, IGNORE, 0])
    out_2d = mean_teacher_loss(student, teacher, labels, tau=0.5, kl_reduction="mean")
    out_3d = mean_teacher_loss(student, teacher, labels, tau=0.5, kl_reduction="batchmean")
    assert float(out_3d.consistency) == pytest.approx(3 * float(out_2d.consistency))


def test_padding_counts_neither_for_w_t_nor_for_the_kl():
    """Pixels outside the image (crop padding) are excluded from every term, w_t included."""
    student = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    teacher = torch.tensor([[9.0, 0.0], [9.0, 0.0], [0.0, 0.0], [0.0, 0.0]])  # 2 confident
    labels = torch.full((4,), IGNORE)
    valid = torch.tensor([True, True, False, False])
    out = mean_teacher_loss(student, teacher, labels, tau=0.95, valid=valid)
    inside = mean_teacher_loss(student[:2], teacher[:2], labels[:2], tau=0.95)
    assert float(out.w_t) == 1.0  # 2 of 2 valid pixels, not 2 of 4
    assert float(out.consistency) == pytest.approx(float(inside.consistency))
    assert float(out.total) == pytest.approx(float(inside.total))
