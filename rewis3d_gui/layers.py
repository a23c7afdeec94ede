"""The one place where store labels and napari Labels layer values are converted.

The store keeps class ids 0..C-1 and 255 = unlabelled (the segmentation-dataset convention);
napari's Labels layers treat 0 as "no label". Layer value = class id + 1, 0 = unlabelled.
"""

from __future__ import annotations

import numpy as np

from rewis3d.store import IGNORE_INDEX, ClassInfo


def labels_to_layer(store_labels: np.ndarray) -> np.ndarray:
    store_labels = np.asarray(store_labels)
    out = store_labels.astype(np.uint16) + 1
    out[store_labels == IGNORE_INDEX] = 0
    return out


def labels_from_layer(layer_values: np.ndarray) -> np.ndarray:
    layer_values = np.asarray(layer_values)
    if layer_values.size and layer_values.max() > IGNORE_INDEX:
        raise ValueError(f"layer value {int(layer_values.max())} has no class (max 255 classes)")
    out = (layer_values.astype(np.int32) - 1).astype(np.uint8)
    out[layer_values == 0] = IGNORE_INDEX
    return out


def class_color_dict(classes: list[ClassInfo]) -> dict:
    """Colours for napari's DirectLabelColormap: layer value -> RGBA in 0..1."""
    colors: dict = {None: (0.0, 0.0, 0.0, 0.0), 0: (0.0, 0.0, 0.0, 0.0)}
    for c in classes:
        colors[c.id + 1] = (*(v / 255 for v in c.color), 1.0)
    return colors
