"""EMA formula, CMC ramp, learning-rate schedules."""

import pytest
import torch

from rewis3d.train.ema import ema_decay, ema_update, make_teacher
from rewis3d.train.schedule import cmc_weight, poly_scheduler


def test_ema_decay_formula():
    assert ema_decay(0, 0.999) == 0.0
    assert ema_decay(1, 0.999) == 0.5
    assert ema_decay(9, 0.999) == pytest.approx(0.9)
    assert ema_decay(10**6, 0.999) == 0.999


def test_ema_update_params_and_buffers():
    student = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.BatchNorm1d(1))
    teacher = make_teacher(student)
    with torch.no_grad():
        for p in teacher.parameters():
            p.fill_(1.0)
        for p in student.parameters():
            p.fill_(3.0)
        student[1].running_mean.fill_(7.0)
    a = ema_update(teacher, student, step=3, alpha=0.999)  # a = 0.75
    assert a == 0.75
    for p in teacher.parameters():
        assert torch.allclose(p, torch.full_like(p, 0.75 * 1 + 0.25 * 3))
        assert not p.requires_grad
    assert float(teacher[1].running_mean) == 7.0


def test_cmc_ramp():
    assert cmc_weight(9, start=10, ramp=4, max_weight=0.2) == 0.0
    assert cmc_weight(10, 10, 4, 0.2) == pytest.approx(0.05)
    assert cmc_weight(12, 10, 4, 0.2) == pytest.approx(0.15)
    assert cmc_weight(13, 10, 4, 0.2) == pytest.approx(0.2)
    assert cmc_weight(100, 10, 4, 0.2) == pytest.approx(0.2)
    assert cmc_weight(10, 10, 0, 0.2) == 0.2


def test_poly_schedule():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = poly_scheduler(opt, total_steps=4, power=1.0)
    lrs = []
    for _ in range(4):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([1.0, 0.75, 0.5, 0.25])
