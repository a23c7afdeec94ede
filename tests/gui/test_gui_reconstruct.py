"""Reconstruction panel: a backend runs in the background; the cloud in 3D and its colours."""

import time

import numpy as np
import pytest

pytestmark = pytest.mark.gui


class _SlowSensorDepth:
    """sensor-depth that takes ~1 s, so the test can see the event loop run meanwhile."""

    name = "slow-depth"
    drop_low_conf_by_default = False

    def __init__(self, **options):
        from rewis3d.reconstruct.sensor_depth import SensorDepthReconstructor

        self.inner = SensorDepthReconstructor(**options)

    def reconstruct(self, scene, progress=None):
        def slow_progress(done, total):
            time.sleep(0.25)  # like a real backend's per-frame work (releases the GIL)
            if progress:
                progress(done, total)

        return self.inner.reconstruct(scene, progress=slow_progress)


@pytest.fixture
def slow_backend(monkeypatch):
    from rewis3d.reconstruct import registry

    monkeypatch.setitem(registry.RECONSTRUCTORS._built_in, "slow-depth", _SlowSensorDepth)


def test_reconstruct_without_blocking_the_event_loop(slow_backend, make_napari_viewer,
                                                     street_project, qtbot):
    from qtpy.QtCore import QTimer

    from rewis3d_gui.dock import Rewis3dDock

    dock = Rewis3dDock(make_napari_viewer())
    dock.project_panel.open_project(street_project)
    panel = dock.reconstruction_panel
    panel.backend.setCurrentText("slow-depth")
    ticks, progress_seen = [], []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    panel.progress.valueChanged.connect(progress_seen.append)
    worker = panel.run()
    assert not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: dock.session.reconstruction_name == "slow-depth", timeout=20_000)
    timer.stop()
    assert len(ticks) >= 20, "the GUI thread stalled while the backend ran"
    assert max(np.diff(ticks)) < 0.5
    assert progress_seen[-1] == 4  # the bar reached 4 of 4 frames
    # `returned` (which names the reconstruction) comes before `finished` (which frees the button)
    qtbot.waitUntil(lambda: not worker.is_running and panel.run_button.isEnabled(), timeout=5_000)
    assert "slow-depth" in dock.session.scene.reconstruction_names()


def test_sensor_depth_then_3d_view_colour_modes_and_threshold(dock, street_project, qtbot):
    session = dock.session
    dock.project_panel.open_project(street_project)
    session.select_class(0)
    session.labels_layer.paint((0, 44, 32), 1)  # some road, to be lifted onto the cloud
    panel = dock.reconstruction_panel
    panel.backend.setCurrentText("sensor-depth")
    panel.run()
    qtbot.waitUntil(lambda: session.reconstruction_name == "sensor-depth", timeout=20_000)

    viewer = session.viewer
    prediction = viewer.add_labels(np.zeros((4, 48, 64), np.uint8), name="a run's prediction")
    frames_zoom, frames_center = viewer.scene.camera.zoom, viewer.scene.camera.center
    hidden_by_user = viewer.add_image(np.zeros((4, 48, 64)), name="hidden", visible=False)
    panel.view_button.setChecked(True)
    cloud = panel.cloud
    assert viewer.dims.ndisplay == 3 and cloud.layer in viewer.layers
    assert [ly.name for ly in viewer.layers if ly.visible] == [cloud.layer.name]  # pixels hidden
    assert len(cloud.layer.data) == cloud.reconstruction.num_points  # under the display budget

    rgb = cloud.layer.face_color.copy()
    panel.set_color_mode("label")
    road = cloud.shown_labels() == 0
    assert road.sum() > 0
    np.testing.assert_allclose(cloud.layer.face_color[road, :3],
                               np.broadcast_to(np.array([128, 64, 128]) / 255, (road.sum(), 3)),
                               atol=1e-6)
    panel.set_color_mode("confidence")
    assert cloud.layer.face_color_mode == "colormap" and not panel.colorbar.isHidden()
    assert not np.allclose(cloud.layer.face_color, rgb)
    panel.set_color_mode("rgb")
    np.testing.assert_allclose(cloud.layer.face_color, rgb)

    panel.choose("simulated")  # noisy confidence: the threshold hides the least confident
    cloud = panel.cloud
    panel.threshold.setValue(50)
    hidden = ~cloud.layer.shown
    assert 0 < hidden.sum() < len(hidden)
    # what is drawn: napari's 3D slice ignores `shown`, so hidden points must be drawn at size 0
    drawn = np.zeros(len(hidden))
    drawn[cloud.layer._view_indices] = cloud.layer._view_size
    assert np.all(drawn[hidden] == 0) and np.all(drawn[~hidden] > 0)
    assert f"{int((~hidden).sum()):,} points shown" in panel.threshold_label.text()

    base = drawn[~hidden][0]
    panel.point_size.setValue(2.5)  # the panel's own size control: every shown point
    drawn[cloud.layer._view_indices] = cloud.layer._view_size
    np.testing.assert_allclose(drawn[~hidden], 2.5 * base)
    assert np.all(drawn[hidden] == 0)

    panel.set_color_mode("label")
    assert not panel.legend.isHidden() and panel.colorbar.isHidden()
    for c in session.project.classes:
        assert c.name in panel.legend.text()
    panel.set_color_mode("confidence")
    assert panel.legend.isHidden() and "(unsure)" in panel.colorbar_range.text()

    panel.view_button.setChecked(False)
    assert viewer.dims.ndisplay == 2 and cloud.layer not in viewer.layers
    assert session.labels_layer.visible and viewer.dims.range[0].stop == 3
    assert prediction.visible and not hidden_by_user.visible  # back as they were
    assert viewer.scene.camera.zoom == pytest.approx(frames_zoom)  # not the 3D fit's metre zoom
    assert viewer.scene.camera.center[-2:] == pytest.approx(frames_center[-2:])


def test_display_budget_subsamples_large_clouds():
    from rewis3d_gui.cloud_layer import display_subset

    idx = display_subset(2_000_000, 100_000)
    assert len(idx) == 100_000 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(display_subset(10, 100), np.arange(10))


def test_entering_and_leaving_3d_five_times_in_a_drawn_window(street_project):
    """Show 3D view / Back to frames five times with the window drawn by software GL; leaving
    3D used to crash vispy in glDrawArrays (frames hidden, cloud removed, then ndisplay = 2)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).with_name("toggle_3d_view.py")
    result = subprocess.run([sys.executable, str(script), str(street_project), "5"],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONFAULTHANDLER": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "round 5 ok" in result.stdout


def _no_depth_project(tmp_path):
    from rewis3d.store import Project
    from tests.conftest import tiny_frames

    project = Project.create(tmp_path / "video", ["a", "b"])
    with project.scene_writer("clip") as writer:
        for frame in tiny_frames(depth=False):
            writer.append(**frame)
    return project.path


def test_a_scene_without_depth_is_offered_mapanything_or_told_how_to_install_it(
        make_napari_viewer, tmp_path, monkeypatch, street_project):
    from rewis3d.reconstruct import registry
    from rewis3d_gui.dock import Rewis3dDock

    dock = Rewis3dDock(make_napari_viewer())  # the MapAnything package is not installed here
    panel = dock.reconstruction_panel
    dock.project_panel.open_project(_no_depth_project(tmp_path))
    assert not panel.backend_hint.isHidden()
    assert "pip install -e plugins/rewis3d-mapanything" in panel.backend_hint.text()
    dock.project_panel.open_project(street_project)  # has depth: no hint
    assert panel.backend_hint.isHidden()

    import importlib.util

    monkeypatch.setitem(registry.RECONSTRUCTORS._built_in, "mapanything", _SlowSensorDepth)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "mapanything" else find_spec(name, *a))
    dock = Rewis3dDock(make_napari_viewer())
    dock.project_panel.open_project(_no_depth_project(tmp_path / "again"))
    panel = dock.reconstruction_panel
    assert panel.backend.currentText() == "mapanything"
    assert "MapAnything infers the geometry" in panel.backend_hint.text()
