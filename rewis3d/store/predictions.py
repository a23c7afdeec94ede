"""Predictions of a trained 2D model, one group per run, written aside and swapped in whole.

A crash or a full disk while predicting leaves the previous predictions of that run intact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import zarr

from rewis3d.store.errors import StoreValidationError
from rewis3d.store.schema import PREDICTION_ARRAYS, StoredArray, open_checked


class Predictions:
    def __init__(self, path: Path, num_frames: int, image_size: tuple[int, int]):
        self.path = path
        self.run = path.name
        sizes = {"F": num_frames, "H": image_size[0], "W": image_size[1]}
        self.labels: StoredArray = open_checked(path, "labels", PREDICTION_ARRAYS["labels"], sizes)
        self.confidence: StoredArray = open_checked(
            path, "confidence", PREDICTION_ARRAYS["confidence"], sizes
        )
        self.attrs = dict(zarr.open_group(str(path), mode="r").attrs)


class PredictionWriter:
    """Frame-by-frame writer into a staging group (see ``Scene.prediction_writer``)."""

    def __init__(self, path: Path, num_frames: int, image_size: tuple[int, int], num_classes: int):
        self._group = zarr.open_group(str(path), mode="w")
        self._image_size = image_size
        self._num_classes = num_classes
        shape = (num_frames, *image_size)
        chunks = (1, *image_size)
        self._labels = self._group.create_array(
            "labels", shape=shape, dtype="uint8", chunks=chunks, fill_value=255
        )
        self._conf = self._group.create_array(
            "confidence", shape=shape, dtype="float32", chunks=chunks, fill_value=0.0
        )

    def write(self, frame: int, labels: np.ndarray, confidence: np.ndarray) -> None:
        if labels.shape != self._image_size or confidence.shape != self._image_size:
            raise StoreValidationError(
                f"prediction for frame {frame}: shapes {labels.shape}/{confidence.shape}, "
                f"expected {self._image_size}"
            )
        if labels.size and labels.max() >= self._num_classes and labels.max() != 255:
            raise StoreValidationError(f"prediction for frame {frame} has an unknown class id")
        self._labels[frame] = labels.astype(np.uint8)
        self._conf[frame] = confidence.astype(np.float32)

    def set_attrs(self, **attrs) -> None:
        self._group.attrs.update(attrs)
