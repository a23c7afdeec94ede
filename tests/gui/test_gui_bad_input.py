"""Bad input ends as a clear notification in the viewer and leaves the store unchanged."""

import json

import numpy as np
import pytest

from tests.conftest import tree_snapshot

pytestmark = pytest.mark.gui


@pytest.fixture
def messages(monkeypatch):
    """Error/warning notifications shown by the plugin, as text."""
    from napari.utils.notifications import notification_manager

    start = len(notification_manager.records)
    return lambda: [str(n.message) for n in notification_manager.records[start:]]


def test_folder_that_is_not_a_project(dock, tmp_path, messages):
    (tmp_path / "photos").mkdir()
    assert not dock.project_panel.open_project(tmp_path / "photos")
    assert dock.session.project is None and len(dock.session.viewer.layers) == 0
    message = next(m for m in messages() if "is not a Rewis3d project" in m)
    assert "New… in the Project tab" in message and "Import frames…" in message
    assert "rewis3d sample" not in message  # the panel's own actions, not CLI commands


def test_the_last_error_stays_above_the_tabs_until_an_action_succeeds(dock, tmp_path,
                                                                     street_project):
    (tmp_path / "photos").mkdir()
    dock.project_panel.open_project(tmp_path / "photos")
    assert not dock.error_box.isHidden()
    assert dock.error_label.text().startswith(f"Could not open {tmp_path / 'photos'}: ")
    dock.tabs.setCurrentIndex(dock.tabs.count() - 1)  # still there on another tab
    assert not dock.error_box.isHidden()
    assert dock.project_panel.open_project(street_project)
    assert dock.error_box.isHidden() and dock.session.last_error == ""


def test_project_from_a_newer_schema(dock, street_project, messages):
    meta = street_project / "rewis3d.zarr" / "zarr.json"
    doc = json.loads(meta.read_text())
    doc["attributes"]["rewis3d"]["schema_version"] = 999
    meta.write_text(json.dumps(doc))
    before = tree_snapshot(street_project)
    assert not dock.project_panel.open_project(street_project)
    assert any("newer Rewis3d" in m for m in messages())
    assert tree_snapshot(street_project) == before


def test_scene_without_frames(dock, tmp_path, messages):
    import zarr

    from rewis3d.store import Project

    project = Project.create(tmp_path / "proj", ["a", "b"])
    zarr.open_group(str(project.store_path / "scenes" / "empty"), mode="w")
    before = tree_snapshot(project.path)
    assert dock.project_panel.open_project(project.path)  # the project itself is fine
    assert dock.session.scene is None and len(dock.session.viewer.layers) == 0
    assert any("show scene 'empty'" in m and "missing" in m for m in messages())
    assert tree_snapshot(project.path) == before


def test_reconstruct_a_scene_without_depth(dock, tmp_path, messages, qtbot):
    from rewis3d.store import Project
    from tests.conftest import tiny_frames

    project = Project.create(tmp_path / "proj", ["a", "b"])
    with project.scene_writer("nodepth") as writer:
        for frame in tiny_frames(depth=False):
            writer.append(**frame)
    dock.project_panel.open_project(project.path)
    before = tree_snapshot(project.path)
    panel = dock.reconstruction_panel
    panel.backend.setCurrentText("sensor-depth")
    worker = panel.run()
    qtbot.waitUntil(lambda: not worker.is_running, timeout=10_000)
    qtbot.waitUntil(lambda: any("has no depth" in m for m in messages()), timeout=5_000)
    assert tree_snapshot(project.path) == before
    qtbot.waitUntil(panel.run_button.isEnabled, timeout=5_000)  # on the queued `finished`
    assert not np.any([ly.metadata.get("reconstruction") for ly in dock.session.viewer.layers])
