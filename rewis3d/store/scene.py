"""One scene of a project: its frames, annotations, reconstructions and predictions."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import zarr

from rewis3d.errors import StoreError, StoreValidationError
from rewis3d.store.annotations import Annotations
from rewis3d.store.atomic import remove_directory, write_aside
from rewis3d.store.predictions import Predictions, PredictionWriter
from rewis3d.store.reconstruction import (
    Reconstruction,
    ReconstructionData,
    write_reconstruction_arrays,
)
from rewis3d.store.schema import FRAME_ARRAYS, StoredArray, open_checked

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


def check_name(name: str, what: str) -> str:
    if not _NAME.match(name or ""):
        raise StoreValidationError(
            f"{what} name {name!r} is not allowed: use letters, digits, '_', '-', '.', "
            "starting with a letter or digit"
        )
    return name


def list_children(path: Path) -> list[str]:
    """Names of the zarr nodes directly under ``path`` (staging leftovers are never here)."""
    if not path.is_dir():
        return []
    return sorted(p.name for p in path.iterdir() if (p / "zarr.json").is_file())


class Scene:
    """Frames are fixed at import; everything else is added by later steps."""

    def __init__(self, path: Path, staging: Path, num_classes: Callable[[], int]):
        self.path = path
        self.name = path.name
        self._staging = staging
        self._num_classes = num_classes
        attrs = dict(zarr.open_group(str(path), mode="r").attrs)
        self.attrs = attrs
        sizes: dict[str, int] = {}
        frames = path / "frames"
        self.rgb: StoredArray = open_checked(frames, "rgb", FRAME_ARRAYS["rgb"], sizes,
                                             every_chunk_written=True)
        self.intrinsics = np.asarray(
            open_checked(frames, "intrinsics", FRAME_ARRAYS["intrinsics"], sizes)[:]
        )
        self.poses = np.asarray(open_checked(frames, "poses", FRAME_ARRAYS["poses"], sizes)[:])
        self.depth: StoredArray | None = open_checked(frames, "depth", FRAME_ARRAYS["depth"],
                                                      sizes, every_chunk_written=True)
        self.gt: StoredArray | None = open_checked(frames, "gt", FRAME_ARRAYS["gt"], sizes)
        self.num_frames = sizes["F"]
        self.image_size = (sizes["H"], sizes["W"])
        self.frame_names: list[str] = list(attrs.get("frame_names", []))
        self._annotations: Annotations | None = None

    @property
    def has_depth(self) -> bool:
        return self.depth is not None

    @property
    def poses_known(self) -> bool:
        """False for image and video imports, whose cameras are stored as the identity until a
        reconstruction backend estimates them."""
        return not np.allclose(self.poses, np.eye(4)[None])

    def set_poses(self, poses: np.ndarray) -> None:
        """Store estimated camera-to-world poses (F, 4, 4) for every frame (one chunk write)."""
        poses = np.asarray(poses, dtype=np.float64)
        if poses.shape != (self.num_frames, 4, 4) or not np.isfinite(poses).all():
            raise StoreValidationError(
                f"scene {self.name!r}: poses must be finite ({self.num_frames}, 4, 4), got "
                f"{poses.shape}")
        zarr.open_array(str(self.path / "frames" / "poses"), mode="r+")[:] = poses
        self.poses = poses

    @property
    def has_gt(self) -> bool:
        return self.gt is not None

    # -- annotations -----------------------------------------------------------------------
    @property
    def annotations(self) -> Annotations:
        if self._annotations is None:
            self._annotations = Annotations(
                self.path / "annotations", self.num_frames, self.image_size, self._num_classes
            )
        return self._annotations

    # -- reconstructions -------------------------------------------------------------------
    def reconstruction_names(self) -> list[str]:
        return list_children(self.path / "reconstructions")

    def reconstruction(self, name: str) -> Reconstruction:
        path = self.path / "reconstructions" / name
        if not (path / "zarr.json").is_file():
            have = ", ".join(self.reconstruction_names())
            fix = (f"use one of those (training: --reconstruction NAME) or make it with "
                   f"`rewis3d reconstruct PROJECT --scene {self.name} --backend BACKEND "
                   f"--name {name}`" if have else
                   f"run `rewis3d reconstruct PROJECT --scene {self.name}` first")
            raise StoreError(f"scene {self.name!r} has no reconstruction {name!r} "
                             f"(have: {have or 'none'}); {fix}")
        return Reconstruction(path, self.num_frames)

    def write_reconstruction(
        self, name: str, data: ReconstructionData, attrs: dict, overwrite: bool = True
    ) -> Reconstruction:
        check_name(name, "reconstruction")
        where = f"reconstruction {self.name}/{name}"
        data.validate(self.num_frames, self.image_size, where)
        final = self.path / "reconstructions" / name
        self._refuse_existing(final, overwrite, where)
        with write_aside(final, directory=True, staging_root=self._staging,
                         overwrite=overwrite) as stage:
            write_reconstruction_arrays(stage, data, attrs)
        return Reconstruction(final, self.num_frames)

    # -- predictions -----------------------------------------------------------------------
    def prediction_names(self) -> list[str]:
        return list_children(self.path / "predictions")

    def predictions(self, run: str) -> Predictions:
        path = self.path / "predictions" / run
        if not (path / "zarr.json").is_file():
            have = ", ".join(self.prediction_names()) or "none"
            raise StoreError(f"scene {self.name!r} has no predictions of run {run!r} (have: {have})")
        return Predictions(path, self.num_frames, self.image_size)

    @contextlib.contextmanager
    def prediction_writer(self, run: str) -> Iterator[PredictionWriter]:
        """Write predictions frame by frame; they replace the run's old ones only on success."""
        check_name(run, "run")
        final = self.path / "predictions" / run
        with write_aside(final, directory=True, staging_root=self._staging,
                         overwrite=True) as stage:
            yield PredictionWriter(stage, self.num_frames, self.image_size, self._num_classes())

    def delete(self, kind: str, name: str) -> None:
        """Delete a reconstruction or predictions group by moving it out, then removing it."""
        if kind not in ("reconstructions", "predictions"):
            raise ValueError(kind)
        path = self.path / kind / name
        if not path.is_dir():
            raise StoreError(f"scene {self.name!r} has no {kind[:-1]} {name!r}")
        remove_directory(path, self._staging)

    @staticmethod
    def _refuse_existing(final: Path, overwrite: bool, where: str) -> None:
        if final.exists() and not overwrite:
            raise StoreError(f"{where} exists; pass overwrite=True (CLI: --overwrite) to replace it")
