"""A reconstruction as a napari Points layer: level of detail, colour modes, confidence filter.

Large clouds are shown through a fixed random subset (``display_budget`` points, the same
subset for every colour mode), which keeps the 3D view interactive and the cost of a colour
change bounded whatever the cloud's size. The subset is stored with the reconstruction
(``rewis3d.geometry.display_lod``), so opening the view reads only the shown points; lifted
labels are kept for the shown points only, read from their stored pixels.
"""

from __future__ import annotations

import numpy as np

from rewis3d.derived.display_subset import load_display_subset
from rewis3d.geometry import lift_view
from rewis3d.geometry.display_lod import display_subset
from rewis3d.store import IGNORE_INDEX, Reconstruction

COLOR_MODES = ("rgb", "label", "confidence")
CONF_COLORMAP = "viridis"
DEFAULT_DISPLAY_BUDGET = 250_000  # ~2 s to first frame under software OpenGL (llvmpipe)
__all__ = ["COLOR_MODES", "CONF_COLORMAP", "CloudView", "display_subset", "point_size"]


def point_size(spacing: float) -> float:
    """A disc size that closes most gaps between neighbours, from the 90th percentile of the
    nearest-neighbour distance of the shown points (far points are the sparse ones)."""
    return float(max(1.5 * spacing, 1e-3))


def to_napari_axes(points: np.ndarray) -> np.ndarray:
    """World (x, y, z) -> napari axes (z, y, x): the default 3D camera then looks like a
    camera with identity pose (OpenCV axes: x right, y down, z forward)."""
    return np.ascontiguousarray(points[:, ::-1])


class CloudView:
    """The shown subset of one reconstruction and the Points layer drawing it."""

    def __init__(self, reconstruction: Reconstruction, class_rgba: np.ndarray,
                 budget: int = DEFAULT_DISPLAY_BUDGET):
        from napari.layers import Points

        self.reconstruction = reconstruction
        lod = load_display_subset(reconstruction, budget)
        self.subset = lod.index
        self.subset_pixel = lod.pixel
        self.frame_ptr = reconstruction.frame_ptr
        self.lifted = np.full(len(self.subset), IGNORE_INDEX, dtype=np.uint8)  # shown points
        self.propagated: np.ndarray | None = None  # labels of the shown points
        self.class_rgba = class_rgba
        points = lod.points
        self.rgb = lod.colors
        self.conf = lod.conf.astype(np.float32)
        low, high = np.percentile(self.conf, [1, 99]) if len(self.conf) else (0.0, 1.0)
        self.conf_limits = (float(low), float(max(high, low + 1e-6)))
        self.mode = "rgb"
        self.threshold = float(self.conf.min()) if len(self.conf) else 0.0
        self.base_size = point_size(lod.spacing)
        self.size_scale = 1.0
        self.layer = Points(
            to_napari_axes(points), name=f"{reconstruction.name} cloud", ndim=3,
            size=self.base_size, border_width=0, border_width_is_relative=False,
            border_color="transparent", shading="none",
            features={"confidence": self.conf}, face_color=self._rgba_of_rgb(),
            metadata={"reconstruction": reconstruction.name},
        )

    # -- labels ----------------------------------------------------------------------------
    def lift_frame(self, frame: int, store_labels: np.ndarray) -> None:
        """Re-lift one frame's annotations onto its shown points (from their stored pixels)."""
        a, b = np.searchsorted(self.subset, self.frame_ptr[frame : frame + 2])
        self.lifted[a:b] = lift_view(store_labels, self.subset_pixel[a:b])
        if self.mode == "label" and self.propagated is None:  # else the preview's labels show
            self.set_mode("label")

    def set_propagated(self, preview) -> None:
        """Show the labels ``preview`` propagates to the shown points (None: the lifted ones)."""
        self.propagated = None if preview is None else preview.point_labels(self.subset)
        if self.mode == "label":
            self.set_mode("label")

    def shown_labels(self) -> np.ndarray:
        """Labels of the shown points: propagated where the preview is on, else lifted."""
        return self.lifted if self.propagated is None else self.propagated

    # -- colour and filter -----------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in COLOR_MODES:
            raise ValueError(f"colour mode {mode!r}; use one of {COLOR_MODES}")
        self.mode = mode
        if mode == "confidence":
            self.layer.face_colormap = CONF_COLORMAP
            self.layer.face_contrast_limits = self.conf_limits
            self.layer.face_color = "confidence"
        elif mode == "label":
            self.layer.face_color = self.class_rgba[self.shown_labels()]
        else:
            self.layer.face_color = self._rgba_of_rgb()
        self.layer.refresh()

    def set_class_colors(self, class_rgba: np.ndarray) -> None:
        self.class_rgba = class_rgba
        if self.mode == "label":
            self.set_mode("label")

    def set_threshold(self, threshold: float) -> None:
        """Hide points whose confidence is below ``threshold``."""
        self.threshold = threshold
        self._draw_sizes()

    def set_size_scale(self, scale: float) -> None:
        """Draw every point ``scale`` times its automatic size (napari's own size slider
        changes only selected points)."""
        self.size_scale = float(scale)
        self._draw_sizes()

    def _draw_sizes(self) -> None:
        """Hidden points get size 0: napari ignores ``shown`` when every axis is displayed
        (the 3D view), so the filter must change what is drawn, not just the mask."""
        shown = self.conf >= self.threshold
        self.layer.shown = shown
        self.layer.size = np.where(shown, self.base_size * self.size_scale, 0.0)
        self.layer.refresh()

    def _rgba_of_rgb(self) -> np.ndarray:
        rgba = np.ones((len(self.rgb), 4), dtype=np.float32)
        rgba[:, :3] = self.rgb / 255.0
        return rgba
