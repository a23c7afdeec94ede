"""Rewis3d: weakly-supervised semantic segmentation improved by 3D reconstruction.

The library never imports Qt or napari; the GUI lives in ``rewis3d_gui``.
"""

__version__ = "0.1.0"
