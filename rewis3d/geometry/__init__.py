"""Cameras, 2D<->3D correspondences, label lifting, propagation and view-aware sampling."""

from rewis3d.geometry.camera import backproject_depth, project_points, round_to_pixels
from rewis3d.geometry.correspondence import NO_POINT, check_pixels, view_lookup
from rewis3d.geometry.lifting import LiftedLabels, lift_labels, lift_view
from rewis3d.geometry.propagation import PropagationConfig, PropagationPreview, project_labels
from rewis3d.geometry.sampling import (
    PAPER_IMAGE_RATIO,
    RELEASED_IMAGE_RATIO,
    SamplingConfig,
    ViewSample,
    view_aware_sample,
)
from rewis3d.geometry.sampling_index import SamplingIndex

__all__ = [
    "NO_POINT",
    "PAPER_IMAGE_RATIO",
    "RELEASED_IMAGE_RATIO",
    "LiftedLabels",
    "PropagationConfig",
    "PropagationPreview",
    "SamplingConfig",
    "SamplingIndex",
    "ViewSample",
    "backproject_depth",
    "check_pixels",
    "view_lookup",
    "lift_labels",
    "lift_view",
    "project_labels",
    "project_points",
    "round_to_pixels",
    "view_aware_sample",
]
