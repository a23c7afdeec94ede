"""Default class colours stay visible on typical images: saturated, no greys, all distinct."""

from __future__ import annotations

import colorsys

import pytest

from rewis3d.store.classes import default_color
from rewis3d.synthetic import room, street


def saturation(rgb) -> float:
    return colorsys.rgb_to_hsv(*(c / 255 for c in rgb))[1]


@pytest.mark.parametrize("colors", [
    [default_color(i) for i in range(24)],
    [color for _, color in street.CLASSES],
    [color for _, color in room.CLASSES],
], ids=["default palette", "street classes", "room classes"])
def test_no_grey_and_no_two_alike(colors):
    assert min(saturation(c) for c in colors) >= 0.25  # a grey label vanishes on grey surfaces
    for i, a in enumerate(colors):
        for b in colors[i + 1:]:
            assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) >= 60, (a, b)
