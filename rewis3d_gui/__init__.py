"""napari plugin for Rewis3d: a thin client over the ``rewis3d`` library."""
