"""Reconstructions: a point cloud grouped by source frame, with pixel correspondences.

Points of frame f are rows ``frame_ptr[f]:frame_ptr[f+1]``, so one view's points are one slice
and the pixel -> point lookup of a view needs no search over the scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from rewis3d.errors import StoreValidationError
from rewis3d.store.schema import RECONSTRUCTION_ARRAYS, StoredArray, chunks_for, open_checked


@dataclass
class ReconstructionData:
    """In-memory reconstruction, checked before it is written."""

    points: np.ndarray  # (N,3) f32 world coordinates
    colors: np.ndarray  # (N,3) u8
    conf: np.ndarray  # (N,) f32, >= 0; 1 = "real 3D"; MapAnything's raw conf is >= 1
    frame: np.ndarray  # (N,) i32 source frame, non-decreasing
    pixel: np.ndarray  # (N,2) i32 (v, u) in the source frame's own resolution
    frame_ptr: np.ndarray  # (F+1,) i64

    @classmethod
    def from_views(
        cls,
        num_frames: int,
        views: dict[int, dict[str, np.ndarray]],
    ) -> ReconstructionData:
        """Concatenate per-frame parts ``{f: {points, colors, conf, pixel}}`` in frame order."""
        parts = {k: [] for k in ("points", "colors", "conf", "pixel", "frame")}
        counts = np.zeros(num_frames, dtype=np.int64)
        for f in sorted(views):
            if not 0 <= f < num_frames:
                raise StoreValidationError(f"reconstruction view {f} is outside 0..{num_frames - 1}")
            view = views[f]
            n = len(view["points"])
            counts[f] = n
            for key in ("points", "colors", "conf", "pixel"):
                parts[key].append(np.asarray(view[key]))
            parts["frame"].append(np.full(n, f, dtype=np.int32))
        frame_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

        def cat(key, dtype, width):
            if not parts[key]:
                return np.zeros((0, *width), dtype=dtype)
            return np.concatenate(parts[key]).astype(dtype, copy=False).reshape(-1, *width)

        return cls(
            points=cat("points", np.float32, (3,)),
            colors=cat("colors", np.uint8, (3,)),
            conf=cat("conf", np.float32, ()),
            frame=cat("frame", np.int32, ()),
            pixel=cat("pixel", np.int32, (2,)),
            frame_ptr=frame_ptr,
        )

    def validate(self, num_frames: int, image_size: tuple[int, int], where: str) -> None:
        n = len(self.points)
        for name, arr, shape in (
            ("points", self.points, (n, 3)),
            ("colors", self.colors, (n, 3)),
            ("conf", self.conf, (n,)),
            ("frame", self.frame, (n,)),
            ("pixel", self.pixel, (n, 2)),
            ("frame_ptr", self.frame_ptr, (num_frames + 1,)),
        ):
            if arr.shape != shape:
                raise StoreValidationError(f"{where}: {name} has shape {arr.shape}, expected {shape}")
        if not np.all(np.isfinite(self.points)):
            raise StoreValidationError(f"{where}: points contain NaN/Inf; drop invalid pixels first")
        if not np.all(np.isfinite(self.conf)) or (self.conf < 0).any():
            raise StoreValidationError(f"{where}: conf must be finite and >= 0")
        expected_ptr = np.searchsorted(self.frame, np.arange(num_frames + 1), side="left")
        if n and (np.diff(self.frame) < 0).any():
            raise StoreValidationError(f"{where}: points must be grouped by frame in frame order")
        if not np.array_equal(expected_ptr, self.frame_ptr):
            raise StoreValidationError(f"{where}: frame_ptr does not match the frame column")
        h, w = image_size
        v, u = self.pixel[:, 0], self.pixel[:, 1]
        if n and ((v < 0) | (v >= h) | (u < 0) | (u >= w)).any():
            raise StoreValidationError(
                f"{where}: pixel coordinates (v,u) fall outside the {w}x{h} frames; "
                "map them back to the original frame resolution first"
            )


class Reconstruction:
    """A stored reconstruction; arrays are read lazily from zarr."""

    def __init__(self, path: Path, num_frames: int):
        self.path = path
        self.name = path.name
        sizes = {"F": num_frames}
        arrays = {k: open_checked(path, k, spec, sizes) for k, spec in RECONSTRUCTION_ARRAYS.items()}
        self.points: StoredArray = arrays["points"]
        self.colors: StoredArray = arrays["colors"]
        self.conf: StoredArray = arrays["conf"]
        self.frame: StoredArray = arrays["frame"]
        self.pixel: StoredArray = arrays["pixel"]
        self.frame_ptr = np.asarray(arrays["frame_ptr"][:])
        self.attrs = dict(zarr.open_group(str(path), mode="r").attrs)

    @property
    def num_points(self) -> int:
        return int(self.points.shape[0])

    def view_slice(self, frame: int) -> slice:
        return slice(int(self.frame_ptr[frame]), int(self.frame_ptr[frame + 1]))

    def view(self, frame: int) -> dict[str, np.ndarray]:
        """All arrays of one source frame's points."""
        s = self.view_slice(frame)
        return {
            "points": self.points[s],
            "colors": self.colors[s],
            "conf": self.conf[s],
            "pixel": self.pixel[s],
            "index": np.arange(s.start, s.stop, dtype=np.int64),
        }

    def load(self) -> ReconstructionData:
        return ReconstructionData(
            points=self.points[:], colors=self.colors[:], conf=self.conf[:],
            frame=self.frame[:], pixel=self.pixel[:], frame_ptr=self.frame_ptr.copy(),
        )


def write_reconstruction_arrays(path: Path, data: ReconstructionData, attrs: dict) -> None:
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update(attrs)
    for name in RECONSTRUCTION_ARRAYS:
        arr = np.ascontiguousarray(getattr(data, name), dtype=RECONSTRUCTION_ARRAYS[name].dtype)
        z = group.create_array(
            name, shape=arr.shape, dtype=arr.dtype, chunks=chunks_for(arr.shape, per_frame=False)
        )
        if arr.size:
            z[...] = arr
