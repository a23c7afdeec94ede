"""Mean Teacher: the teacher is an exponential moving average of the student.

``a = min(1 - 1/(step+1), alpha)`` on the *global* step (the released code restarts the step
each epoch, which resets the teacher every epoch; we keep one counter for the whole run).
Buffers (BatchNorm statistics) are copied, not averaged.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_decay(step: int, alpha: float) -> float:
    return min(1.0 - 1.0 / (step + 1), alpha)


def make_teacher(student: nn.Module) -> nn.Module:
    """A copy of ``student`` that is never optimised."""
    teacher = copy.deepcopy(student)
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


@torch.no_grad()
def ema_update(teacher: nn.Module, student: nn.Module, step: int, alpha: float) -> float:
    """``teacher = a*teacher + (1-a)*student``; returns ``a``."""
    a = ema_decay(step, alpha)
    for t, s in zip(teacher.parameters(), student.parameters(), strict=True):
        t.mul_(a).add_(s.detach(), alpha=1.0 - a)
    for t, s in zip(teacher.buffers(), student.buffers(), strict=True):
        t.copy_(s)
    return a
