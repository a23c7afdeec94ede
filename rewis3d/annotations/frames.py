"""Which frames of a scene receive simulated labels: every k-th, an explicit list, or a share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rewis3d.errors import InputError


@dataclass(frozen=True)
class FrameSelection:
    """Give at most one of ``every``, ``frames``, ``share``; none means every frame."""

    every: int | None = None
    frames: tuple[int, ...] | None = None
    share: float | None = None
    seed: int = 0

    def resolve(self, num_frames: int) -> list[int]:
        given = [name for name in ("every", "frames", "share") if getattr(self, name) is not None]
        if len(given) > 1:
            raise InputError(f"choose frames by one of every/frames/share, not {given}")
        if self.every is not None:
            if self.every < 1:
                raise InputError(f"every must be >= 1 (label every k-th frame), got {self.every}")
            return list(range(0, num_frames, self.every))
        if self.frames is not None:
            chosen = sorted({int(f) for f in self.frames})
            bad = [f for f in chosen if not 0 <= f < num_frames]
            if bad or not chosen:
                raise InputError(f"frames {bad or 'list is empty'}: the scene has frames "
                                 f"0..{num_frames - 1}; pick frames inside that range")
            return chosen
        if self.share is not None:
            if not 0 < self.share <= 1:
                raise InputError(f"share must be in (0, 1], got {self.share}")
            count = max(1, round(self.share * num_frames))
            rng = np.random.default_rng([self.seed, 31])
            return sorted(int(f) for f in rng.choice(num_frames, count, replace=False))
        return list(range(num_frames))
