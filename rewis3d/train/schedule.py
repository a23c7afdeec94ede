"""Learning-rate schedules and the cross-modal loss ramp, all on the global step."""

from __future__ import annotations

import torch


def cmc_weight(step: int, start: int, ramp: int, max_weight: float) -> float:
    """0 before ``start``; then rises linearly to ``max_weight`` over ``ramp`` steps.

    As in the released code the first active step already has ``max_weight / ramp``
    (``progress = (step + 1 - start) / ramp``), so the weight reaches the maximum at
    ``start + ramp - 1``.
    """
    if step < start:
        return 0.0
    if ramp <= 0:
        return max_weight
    return max_weight * min(1.0, (step + 1 - start) / ramp)


def poly_scheduler(optimizer: torch.optim.Optimizer, total_steps: int, power: float):
    """``lr = base * (1 - step/total) ** power`` (the released 2D PolyLR)."""

    def factor(step: int) -> float:
        return max(0.0, 1.0 - step / max(total_steps, 1)) ** power

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def one_cycle_scheduler(
    optimizer: torch.optim.Optimizer,
    max_lr: float,
    total_steps: int,
    pct_start: float,
    div_factor: float,
    final_div_factor: float,
):
    """The released 3D schedule: cosine OneCycle."""
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=max(total_steps, 2), pct_start=pct_start,
        anneal_strategy="cos", div_factor=div_factor, final_div_factor=final_div_factor,
    )
