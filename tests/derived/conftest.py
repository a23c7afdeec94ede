"""The geometry fixtures (box scene, real kitchen) for the derived-data tests."""

from tests.geometry.conftest import box_project, box_scene, kitchen_project  # noqa: F401
