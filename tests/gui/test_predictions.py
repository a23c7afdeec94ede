"""Prediction layers read the store lazily: the values of the eager conversion, one frame at a time."""

import numpy as np

from rewis3d.store import IGNORE_INDEX
from rewis3d_gui.layers import labels_to_layer
from rewis3d_gui.predictions import lazy_layer_data


class Recording:
    """An array stand-in that records which frames were read."""

    def __init__(self, array):
        self.array, self.read = array, []
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim

    def __getitem__(self, key):
        out = np.asarray(self.array[key])
        if out.size:  # dask reads an empty slice once, for its metadata
            first = key[0] if isinstance(key, tuple) else key
            self.read.extend(range(*first.indices(self.shape[0])) if isinstance(first, slice)
                             else [first])
        return out


def test_lazy_layers_equal_the_stored_values_and_read_only_shown_frames(tiny_project):
    scene = tiny_project.scene("s")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (scene.num_frames, *scene.image_size)).astype(np.uint8)
    labels[:, :2] = IGNORE_INDEX  # not predicted
    conf = rng.random((scene.num_frames, *scene.image_size), dtype=np.float32)
    with scene.prediction_writer("r") as writer:
        for f in range(scene.num_frames):
            writer.write(f, labels[f], conf[f])
    prediction = scene.predictions("r")

    lazy_labels, lazy_conf = lazy_layer_data(prediction)
    assert lazy_labels.shape == labels.shape and lazy_labels.dtype == np.uint16
    np.testing.assert_array_equal(np.asarray(lazy_labels), labels_to_layer(labels))
    np.testing.assert_array_equal(np.asarray(lazy_conf), conf)

    class Prediction:
        pass

    recorded = Prediction()
    recorded.labels, recorded.confidence = Recording(prediction.labels), Recording(prediction.confidence)
    lazy_labels, _ = lazy_layer_data(recorded)
    assert recorded.labels.read == []  # nothing read until a frame is shown
    np.testing.assert_array_equal(np.asarray(lazy_labels[2]), labels_to_layer(labels[2]))
    assert recorded.labels.read == [2]
