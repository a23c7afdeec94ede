"""Readers of outside formats into a project scene, and exporters.

``READERS`` maps the CLI name of each format to its reader; every reader returns a
:class:`FrameSource` whose frames ``import_frames`` writes atomically.
"""

from rewis3d.io.images import read_image_folder
from rewis3d.io.scannet import read_scannet
from rewis3d.io.sevenscenes import read_7scenes
from rewis3d.io.source import FrameSource, import_frames
from rewis3d.io.tum import read_tum
from rewis3d.io.video import read_video
from rewis3d.registry import Registry

READERS: Registry = Registry("import format")
READERS.register("images", read_image_folder)
READERS.register("video", read_video)
READERS.register("scannet", read_scannet)
READERS.register("7scenes", read_7scenes)
READERS.register("tum", read_tum)

__all__ = ["READERS", "FrameSource", "import_frames"]
