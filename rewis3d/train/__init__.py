"""Training: two Mean Teachers (2D, 3D) with cross-modal consistency; evaluation, prediction
and export. See docs/training.md.

``predict`` and ``evaluate`` are imported from their modules (``rewis3d.train.predict.predict``):
a lazy attribute of the same name as a submodule would be shadowed once the submodule loads.

Importing this package is cheap (torch and transformers load on first use of a training
function), so the GUI can read presets at start-up.
"""

from __future__ import annotations

import importlib

from rewis3d.train.config import PRESETS, TrainConfig, preset

_LAZY = {
    "RunResult": "rewis3d.train.run",
    "run_training": "rewis3d.train.run",
    "export_run": "rewis3d.train.export",
}

__all__ = ["PRESETS", "TrainConfig", "preset", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rewis3d.train' has no attribute {name!r}")
