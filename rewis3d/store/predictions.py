"""Predictions of a trained 2D model, one group per run, written aside and swapped in whole.

A crash or a full disk while predicting leaves the previous predictions of that run intact.
Besides labels and max probability a run may store two optional uncertainty maps (see
``PREDICTION_ARRAYS``): ``entropy`` and ``disagreement_3d``. Groups without them still open;
their attributes are then None.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import zarr

from rewis3d.errors import StoreValidationError
from rewis3d.store.schema import PREDICTION_ARRAYS, StoredArray, open_checked

NO_POINT = 255  # disagreement_3d where the pixel has no reconstruction point
OPTIONAL_FILL = {"entropy": 0.0, "disagreement_3d": NO_POINT}


class Predictions:
    def __init__(self, path: Path, num_frames: int, image_size: tuple[int, int]):
        self.path = path
        self.run = path.name
        sizes = {"F": num_frames, "H": image_size[0], "W": image_size[1]}

        def open_array(name: str) -> StoredArray | None:
            return open_checked(path, name, PREDICTION_ARRAYS[name], sizes)

        self.labels: StoredArray = open_array("labels")
        self.confidence: StoredArray = open_array("confidence")
        self.entropy: StoredArray | None = open_array("entropy")
        self.disagreement_3d: StoredArray | None = open_array("disagreement_3d")
        self.attrs = dict(zarr.open_group(str(path), mode="r").attrs)


class PredictionWriter:
    """Frame-by-frame writer into a staging group (see ``Scene.prediction_writer``).

    The optional arrays are created by the first ``write`` that passes them; every later write
    must pass the same ones, so a group never holds a map for only some of its frames.
    """

    def __init__(self, path: Path, num_frames: int, image_size: tuple[int, int], num_classes: int):
        self._group = zarr.open_group(str(path), mode="w")
        self._shape = (num_frames, *image_size)
        self._num_classes = num_classes
        self._labels = self._create("labels", fill_value=255)
        self._conf = self._create("confidence", fill_value=0.0)
        self._optional: dict[str, zarr.Array] | None = None  # decided by the first write

    def _create(self, name: str, fill_value) -> zarr.Array:
        return self._group.create_array(
            name, shape=self._shape, dtype=PREDICTION_ARRAYS[name].dtype,
            chunks=(1, *self._shape[1:]), fill_value=fill_value,
        )

    def write(self, frame: int, labels: np.ndarray, confidence: np.ndarray,
              entropy: np.ndarray | None = None,
              disagreement_3d: np.ndarray | None = None) -> None:
        """One frame: labels (H, W) class ids (255 = none), max probability (H, W), and
        optionally normalised entropy (H, W) in [0, 1] and 3D disagreement (H, W) in {0, 1, 255}."""
        optional = {name: np.asarray(value) for name, value in
                    (("entropy", entropy), ("disagreement_3d", disagreement_3d))
                    if value is not None}
        arrays = {"labels": np.asarray(labels), "confidence": np.asarray(confidence), **optional}
        for name, value in arrays.items():
            if value.shape != self._shape[1:]:
                raise StoreValidationError(
                    f"prediction for frame {frame}: {name} has shape {value.shape}, expected "
                    f"{self._shape[1:]} (the frame size)"
                )
        _check_values(frame, arrays, self._num_classes)
        targets = self._optional_arrays(frame, sorted(optional))
        self._labels[frame] = arrays["labels"].astype(np.uint8)
        self._conf[frame] = arrays["confidence"].astype(np.float32)
        for name, value in optional.items():
            targets[name][frame] = value.astype(PREDICTION_ARRAYS[name].dtype)

    def _optional_arrays(self, frame: int, names: list[str]) -> dict[str, zarr.Array]:
        if self._optional is None:
            self._optional = {name: self._create(name, OPTIONAL_FILL[name]) for name in names}
        if sorted(self._optional) != names:
            raise StoreValidationError(
                f"prediction for frame {frame} gives {names or 'no optional arrays'}, earlier "
                f"frames gave {sorted(self._optional) or 'none'}; write the same arrays for "
                "every frame of a run"
            )
        return self._optional

    def set_attrs(self, **attrs) -> None:
        self._group.attrs.update(attrs)


def _check_values(frame: int, arrays: dict[str, np.ndarray], num_classes: int) -> None:
    labels = arrays["labels"]
    if labels.size and labels.max() >= num_classes and labels.max() != 255:
        raise StoreValidationError(f"prediction for frame {frame} has an unknown class id")
    entropy = arrays.get("entropy")
    if entropy is not None and entropy.size and not (
            np.all(entropy >= 0.0) and np.all(entropy <= 1.0)):
        raise StoreValidationError(
            f"prediction for frame {frame}: entropy must be normalised to [0, 1] (divide by "
            f"log C); it ranges {float(np.min(entropy)):.3g}..{float(np.max(entropy)):.3g}"
        )
    disagreement = arrays.get("disagreement_3d")
    if disagreement is not None:
        bad = np.setdiff1d(np.unique(disagreement), [0, 1, NO_POINT])
        if bad.size:
            raise StoreValidationError(
                f"prediction for frame {frame}: disagreement_3d holds {bad[:5].tolist()}; "
                f"only 0 (agree), 1 (differ) and {NO_POINT} (no point) are allowed"
            )
