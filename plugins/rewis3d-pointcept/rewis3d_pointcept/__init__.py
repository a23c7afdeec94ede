"""Pointcept's PTv3 as a rewis3d 3D backbone (entry point group `rewis3d.backbones`)."""

from rewis3d_pointcept.backbone import PointceptPTv3, build_pointcept_ptv3

__all__ = ["PointceptPTv3", "build_pointcept_ptv3"]
