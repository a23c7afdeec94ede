"""Writing a scene's frames: one frame at a time, into a staging folder, validated as it goes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import zarr

from rewis3d.errors import InputError
from rewis3d.store.schema import EVERY_CHUNK_WRITTEN
from rewis3d.store.validate import check_depth, check_intrinsics, check_labels, check_pose

_GROW = 64


class FrameWriter:
    """Appends frames to growing zarr arrays; ``finish`` trims them and writes the attrs."""

    def __init__(self, scene_path: Path, num_classes: int):
        self.scene_path = scene_path
        self.num_classes = num_classes
        self.count = 0
        self.names: list[str] = []
        self._arrays: dict[str, zarr.Array] = {}
        self._capacity = 0
        self._size: tuple[int, int] | None = None
        self._has_depth: bool | None = None
        self._has_gt: bool | None = None
        self._K: list[np.ndarray] = []
        self._T: list[np.ndarray] = []

    def append(
        self,
        rgb: np.ndarray,
        intrinsics: np.ndarray,
        pose: np.ndarray,
        depth: np.ndarray | None = None,
        gt: np.ndarray | None = None,
        name: str | None = None,
        sources: dict[str, str] | None = None,
    ) -> None:
        """Add one frame. Errors name ``sources[field]`` (the file it came from), else ``name``."""
        where = name or f"frame {self.count}"
        sources = sources or {}
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise InputError(f"{where}: colour must be an (H, W, 3) uint8 image, got "
                             f"{rgb.shape} {rgb.dtype}")
        size = rgb.shape[:2]
        if self._size is None:
            self._size, self._has_depth, self._has_gt = size, depth is not None, gt is not None
            self._create(size)
        elif size != self._size:
            raise InputError(
                f"{where}: image is {size[1]}x{size[0]} but earlier frames are "
                f"{self._size[1]}x{self._size[0]}; one scene needs one image size (resize the "
                "images, or import them as separate scenes)"
            )
        if (depth is not None) != self._has_depth or (gt is not None) != self._has_gt:
            raise InputError(f"{where}: some frames have depth/ground truth and others not")
        self._K.append(check_intrinsics(intrinsics, sources.get("intrinsics", where)))
        self._T.append(check_pose(pose, sources.get("pose", where)))
        if self.count == self._capacity:
            self._capacity += _GROW
            for arr in self._arrays.values():
                arr.resize((self._capacity, *arr.shape[1:]))
        self._arrays["rgb"][self.count] = rgb
        if depth is not None:
            self._arrays["depth"][self.count] = check_depth(depth, size,
                                                            sources.get("depth", where))
        if gt is not None:
            self._arrays["gt"][self.count] = check_labels(gt, size, self.num_classes, where)
        self.names.append(name or f"{self.count:06d}")
        self.count += 1

    def _create(self, size: tuple[int, int]) -> None:
        group = zarr.open_group(str(self.scene_path / "frames"), mode="w")
        h, w = size
        specs = {"rgb": ((0, h, w, 3), "uint8", 0)}
        if self._has_depth:
            specs["depth"] = ((0, h, w), "float32", float("nan"))
        if self._has_gt:
            specs["gt"] = ((0, h, w), "uint8", 255)
        for key, (shape, dtype, fill) in specs.items():
            # Every frame's chunk is written, even a black or depth-less one, so a missing
            # chunk file can only mean damage, and reads say so (``every_chunk_written``).
            self._arrays[key] = group.create_array(
                key, shape=shape, dtype=dtype, chunks=(1, *shape[1:]), fill_value=fill,
                config={"write_empty_chunks": True},
                attributes={EVERY_CHUNK_WRITTEN: True},
            )

    def finish(self) -> tuple[int, tuple[int, int]]:
        if self.count == 0:
            raise InputError("no frames were found to import; check the source folder")
        for arr in self._arrays.values():
            arr.resize((self.count, *arr.shape[1:]))
        group = zarr.open_group(str(self.scene_path / "frames"), mode="r+")
        for key, data in (("intrinsics", self._K), ("poses", self._T)):
            stacked = np.stack(data).astype(np.float64)
            group.create_array(key, shape=stacked.shape, dtype="float64")[...] = stacked
        return self.count, self._size
