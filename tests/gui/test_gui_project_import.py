"""The project panel's New and Import actions (the dialogs only pick paths; these do the work)."""

import pytest

from rewis3d.store import Project
from tests.conftest import tree_snapshot
from tests.io.datasets import make_7scenes

pytestmark = pytest.mark.gui


def test_new_project_then_import_in_the_background(dock, tmp_path, qtbot):
    session = dock.session
    assert session.create_project(tmp_path / "new", ["wall", "floor"])
    assert [c.name for c in session.project.classes] == ["wall", "floor"]
    ticks = []
    from qtpy.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    worker = dock.project_panel.import_frames("7scenes", make_7scenes(tmp_path / "seq", n=3), "k")
    qtbot.waitUntil(lambda: session.scene is not None and session.scene.name == "k", timeout=60000)
    timer.stop()
    assert worker is not None and ticks  # the event loop kept running during the import
    assert Project.open(tmp_path / "new").scene("k").num_frames == 3
    assert any(layer.name == "k rgb" for layer in session.viewer.layers)


def test_import_of_a_broken_source_changes_nothing(dock, tmp_path, qtbot):
    from napari.utils.notifications import notification_manager

    dock.session.create_project(tmp_path / "new", ["a"])
    source = make_7scenes(tmp_path / "seq", n=3)
    (source / "frame-000001.pose.txt").write_text("1 0 0\n")
    before = tree_snapshot(tmp_path / "new")
    start = len(notification_manager.records)
    dock.project_panel.import_frames("7scenes", source, "k")
    qtbot.waitUntil(lambda: len(notification_manager.records) > start, timeout=60000)
    text = " ".join(str(n.message) for n in notification_manager.records[start:])
    assert "frame-000001.pose.txt" in text and "Traceback" not in text
    assert tree_snapshot(tmp_path / "new") == before


def test_import_without_a_project_is_refused(dock, tmp_path):
    assert dock.project_panel.import_frames("7scenes", tmp_path, "k") is None


def test_import_picks_a_file_for_video_and_a_folder_otherwise(dock, tmp_path, monkeypatch):
    from qtpy.QtWidgets import QFileDialog

    panel = dock.project_panel
    assert panel.import_format.currentText() == "images"  # the most common source first
    asked, imported = [], []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (asked.append("file") or str(tmp_path / "clip.mp4"), ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *a, **k: asked.append("folder") or str(tmp_path / "frames"))
    monkeypatch.setattr(panel, "import_frames", lambda *args: imported.append(args))
    panel.import_format.setCurrentText("video")
    panel._choose_import_source()
    panel.import_format.setCurrentText("images")
    panel._choose_import_source()
    assert asked == ["file", "folder"]
    assert imported == [("video", str(tmp_path / "clip.mp4"), "clip"),
                        ("images", str(tmp_path / "frames"), "frames")]


def test_the_camera_is_centred_on_each_newly_shown_scene(dock, street_project, tmp_path):
    from rewis3d.synthetic import SceneConfig, sample_into_project

    big = tmp_path / "big"
    sample_into_project(big, SceneConfig(kind="street", frames=2, width=320, height=240, seed=1))
    camera = dock.session.viewer.scene.camera
    assert dock.project_panel.open_project(street_project)  # 64x48
    dock.session.viewer.add_points([[0, 5, 5]], name="a layer of the user's")  # not emptied
    assert dock.project_panel.open_project(big)
    y, x = camera.center[-2:]
    assert abs(y - 119.5) <= 1 and abs(x - 159.5) <= 1
