"""Training: two Mean Teachers (2D, 3D) with cross-modal consistency; evaluation, prediction
and export. Heavy imports (torch, transformers) happen inside the submodules' functions' callers,
so importing this package is cheap. See docs/training.md."""

from rewis3d.train.config import PRESETS, TrainConfig, preset
from rewis3d.train.run import RunResult, run_training

__all__ = ["PRESETS", "RunResult", "TrainConfig", "preset", "run_training"]
