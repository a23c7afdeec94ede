"""A small labelled scene for PTv3 tests: floor, wall, box and ball, points on surfaces."""

from __future__ import annotations

import torch


def synthetic_scene(num_points: int = 2000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Coordinates (N, 3) in metres and class labels (N,) in {0: floor, 1: wall, 2: box, 3: ball}."""
    gen = torch.Generator().manual_seed(seed)
    per_class = num_points // 4

    def uniform(n: int, low: list[float], high: list[float]) -> torch.Tensor:
        low_t, high_t = torch.tensor(low), torch.tensor(high)
        return low_t + (high_t - low_t) * torch.rand(n, 3, generator=gen)

    floor = uniform(per_class, [0.0, 0.0, 0.0], [4.0, 3.0, 0.0])
    wall = uniform(per_class, [0.0, 3.0, 0.0], [4.0, 3.0, 2.5])
    box = uniform(per_class, [0.5, 0.5, 0.0], [1.3, 1.3, 0.8])
    face = torch.randint(0, 3, (per_class,), generator=gen)
    snap = torch.where(torch.rand(per_class, generator=gen) < 0.5, 0.0, 1.0)
    box_low, box_size = torch.tensor([0.5, 0.5, 0.0]), 0.8
    box[torch.arange(per_class), face] = box_low[face] + snap * box_size
    direction = torch.randn(per_class, 3, generator=gen)
    ball = torch.tensor([2.8, 1.5, 0.6]) + 0.5 * direction / direction.norm(dim=1, keepdim=True)
    coord = torch.cat([floor, wall, box, ball])
    labels = torch.arange(4).repeat_interleave(per_class)
    return coord, labels
