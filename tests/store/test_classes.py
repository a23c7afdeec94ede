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


def test_new_class_names_are_one_short_line_unique_ignoring_case(tmp_path):
    from rewis3d.errors import StoreValidationError
    from rewis3d.store import Project

    project = Project.create(tmp_path / "p", ["road", "car"])
    for bad, why in (("Road", "differs from 'road' only by case"),
                     ("a\nb", "holds a line break"),
                     (" car2", "leading/trailing spaces"),
                     ("x" * 5000, "is 5000 characters long; use at most 64")):
        with pytest.raises(StoreValidationError, match=why):
            project.add_class(bad)
    with pytest.raises(StoreValidationError, match="only by case"):
        Project.create(tmp_path / "q", ["Sky", "sky"])
    assert [c.name for c in Project.open(tmp_path / "p").classes] == ["road", "car"]
    project.add_class("sidewalk")
    project.rename_class("car", "vehicle")


def test_names_stored_by_an_older_version_do_not_block_other_edits(tmp_path):
    from rewis3d.store import Project
    from rewis3d.store.classes import ClassInfo

    project = Project.create(tmp_path / "p", ["road"])
    legacy = [*project.classes, ClassInfo(1, "ROAD", (1, 2, 3))]
    project._root.attrs["classes"] = [c.to_json() for c in legacy]  # as an older release wrote
    project = Project.open(tmp_path / "p")
    assert project.add_class("fence").id == 2  # only new names are held to the new rules
