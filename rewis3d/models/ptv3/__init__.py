"""Point Transformer V3 in pure PyTorch, loadable from Pointcept PT-v3m1 checkpoints."""

from rewis3d.models.ptv3.checkpoint import LoadReport, load_pointcept_state_dict
from rewis3d.models.ptv3.config import PRESETS, PTv3Config, preset
from rewis3d.models.ptv3.model import PointTransformerV3, PTv3Segmentor

__all__ = [
    "PRESETS",
    "LoadReport",
    "PTv3Config",
    "PTv3Segmentor",
    "PointTransformerV3",
    "build_ptv3",
    "load_pointcept_state_dict",
    "preset",
]


def build_ptv3(name: str = "ptv3-base", **overrides) -> PointTransformerV3:
    """Backbone from a preset name with config fields overridden."""
    return PointTransformerV3(preset(name, **overrides))
