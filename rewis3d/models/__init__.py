"""2D and 3D segmentation models; submodules import torch lazily, so importing this is cheap."""
