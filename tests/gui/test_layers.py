import numpy as np
import pytest

from rewis3d.store import ClassInfo
from rewis3d_gui.layers import class_color_dict, labels_from_layer, labels_to_layer


def test_store_layer_round_trip():
    store = np.array([[255, 0, 1], [2, 254, 255]], np.uint8)
    layer = labels_to_layer(store)
    np.testing.assert_array_equal(layer, [[0, 1, 2], [3, 255, 0]])
    np.testing.assert_array_equal(labels_from_layer(layer), store)


def test_layer_value_without_class():
    with pytest.raises(ValueError, match="no class"):
        labels_from_layer(np.array([256]))


def test_colours_follow_classes():
    colors = class_color_dict([ClassInfo(0, "road", (255, 0, 0))])
    assert colors[1] == (1.0, 0.0, 0.0, 1.0) and colors[0][3] == 0.0
