"""Propagation preview: labels painted in one frame show up in the others, and agree with gt."""

import numpy as np
import pytest

from rewis3d.store import IGNORE_INDEX
from rewis3d_gui.layers import labels_to_layer

pytestmark = pytest.mark.gui


def pure_centre(gt: np.ndarray, class_id: int, half: int = 3) -> tuple[int, int]:
    """A pixel whose (2*half+1)^2 window is all ``class_id`` (a safe place to click)."""
    h, w = gt.shape
    for v in range(half, h - half):
        for u in range(half, w - half):
            if np.all(gt[v - half:v + half + 1, u - half:u + half + 1] == class_id):
                return v, u
    raise AssertionError(f"no pure window of class {class_id}")


def turn_on(dock, qtbot):
    """Toggle the preview on and wait for its background build."""
    dock.preview_panel.toggle.setChecked(True)
    qtbot.waitUntil(lambda: dock.preview_panel.layer is not None, timeout=60_000)
    assert not dock.preview_panel.building and not dock.preview_panel.bar.isVisible()


def test_preview_fills_other_frames_in_agreement_with_gt(dock, street_project, qtbot):
    session = dock.session
    dock.project_panel.open_project(street_project)
    scene, layer = session.scene, session.labels_layer
    gt0 = np.asarray(scene.gt[0])
    dock.annotate_panel.set_tool("scribble")
    for class_id in (0, 2):  # road, building
        v, u = pure_centre(gt0, class_id)
        session.select_class(class_id)
        layer.paint((0, v, u), layer.selected_label)

    turn_on(dock, qtbot)
    preview = dock.preview_panel.layer
    assert preview is not None and preview.opacity < 1 and not preview.editable
    layers = list(session.viewer.layers)
    assert layers.index(preview) == layers.index(session.labels_layer) - 1  # under the labels
    for frame in (1, 2):
        shown = preview.data[frame].astype(int) - 1  # layer value -> class id
        filled = shown >= 0
        assert filled.sum() > 20, f"nothing propagated into frame {frame}"
        agree = (shown[filled] == np.asarray(scene.gt[frame])[filled]).mean()
        assert agree > 0.9, f"frame {frame}: {agree:.2f} of preview pixels agree with gt"

    # One more stroke (vehicle): the preview follows without being toggled again.
    v, u = pure_centre(gt0, 3, half=1)
    session.select_class(3)
    before = preview.data.copy()
    layer.paint((0, v, u), layer.selected_label)
    assert dock.preview_panel.last_update_ms is not None
    assert "updated in" in dock.preview_panel.status.text()
    assert (preview.data[0] != before[0]).any()  # the shown frame is redrawn at once
    qtbot.waitUntil(lambda: not dock.preview_panel.stale_frames, timeout=10_000)  # the rest when idle
    expected = np.stack([dock.preview_panel.preview.frame_labels(f)[0]
                         for f in range(scene.num_frames)])
    np.testing.assert_array_equal(preview.data, labels_to_layer(expected))

    dock.preview_panel.toggle.setChecked(False)
    assert preview not in session.viewer.layers


def test_preview_colours_the_cloud_in_3d(dock, street_project, qtbot):
    session = dock.session
    dock.project_panel.open_project(street_project)
    gt0 = np.asarray(session.scene.gt[0])
    v, u = pure_centre(gt0, 0)
    session.select_class(0)
    session.labels_layer.paint((0, v, u), 1)
    panel = dock.reconstruction_panel
    panel.view_button.setChecked(True)
    panel.set_color_mode("label")
    lifted_only = np.count_nonzero(panel.cloud.shown_labels() != IGNORE_INDEX)
    turn_on(dock, qtbot)
    propagated = np.count_nonzero(panel.cloud.shown_labels() != IGNORE_INDEX)
    assert propagated > 2 * lifted_only > 0
    dock.preview_panel.toggle.setChecked(False)
    assert np.count_nonzero(panel.cloud.shown_labels() != IGNORE_INDEX) == lifted_only


def test_preview_without_reconstruction_warns(dock, tiny_project):
    dock.project_panel.open_project(tiny_project.path)
    dock.preview_panel.toggle.setChecked(True)
    assert not dock.preview_panel.toggle.isChecked() and dock.preview_panel.layer is None


def test_stale_frames_render_when_shown_and_strokes_during_the_build_count(dock, street_project,
                                                                          qtbot):
    session = dock.session
    dock.project_panel.open_project(street_project)
    scene, layer, panel = session.scene, session.labels_layer, dock.preview_panel
    gt0 = np.asarray(scene.gt[0])
    panel.toggle.setChecked(True)
    assert panel.building and panel.layer is None
    v, u = pure_centre(gt0, 2)  # painted while the preview builds in its thread
    session.select_class(2)
    layer.paint((0, v, u), layer.selected_label)
    qtbot.waitUntil(lambda: panel.layer is not None, timeout=60_000)
    built = np.stack([panel.preview.frame_labels(f)[0] for f in range(scene.num_frames)])
    assert (built[1] == 2).sum() > 20, "the stroke painted during the build was not fed in"
    np.testing.assert_array_equal(panel.layer.data, labels_to_layer(built))

    panel._idle.stop()  # hold the idle renderer: frames stay stale until shown
    panel._idle.start = lambda *a: None
    v, u = pure_centre(gt0, 0)
    session.select_class(0)
    layer.paint((0, v, u), layer.selected_label)
    assert 1 in panel.stale_frames
    before = panel.layer.data[1].copy()
    session.viewer.dims.set_current_step(0, 1)
    assert 1 not in panel.stale_frames
    assert (panel.layer.data[1] != before).any()
    np.testing.assert_array_equal(panel.layer.data[1],
                                  labels_to_layer(panel.preview.frame_labels(1)[0]))
    del panel._idle.start  # the idle renderer again: the other stale frames follow
    panel._idle.start()
    qtbot.waitUntil(lambda: not panel.stale_frames, timeout=10_000)
    for f in range(scene.num_frames):
        np.testing.assert_array_equal(panel.layer.data[f],
                                      labels_to_layer(panel.preview.frame_labels(f)[0]))


def test_toggling_off_during_the_build_discards_it(dock, street_project, qtbot):
    dock.project_panel.open_project(street_project)
    panel = dock.preview_panel
    panel.toggle.setChecked(True)
    worker = panel._worker
    panel.toggle.setChecked(False)
    qtbot.waitUntil(lambda: not worker.is_running, timeout=60_000)
    qtbot.wait(50)
    assert panel.layer is None and panel.preview is None
    assert not any(lay.metadata.get("rewis3d_preview") for lay in dock.session.viewer.layers)


def test_closing_napari_during_the_build_is_quiet(dock, street_project, qtbot):
    """The build thread outlives the window: its progress and result land nowhere, no error."""
    dock.project_panel.open_project(street_project)
    panel = dock.preview_panel
    panel.toggle.setChecked(True)
    worker = panel._worker
    dock.session.viewer.close()
    qtbot.waitUntil(lambda: not worker.is_running, timeout=60_000)
    qtbot.wait(100)  # let queued progress and result signals arrive


def test_the_build_shows_a_percentage_and_the_toggle_survives_a_restart(
        make_napari_viewer, dock, street_project, qtbot):
    from rewis3d_gui.dock import Rewis3dDock

    dock.project_panel.open_project(street_project)
    bar = dock.preview_panel.bar
    seen = []
    bar.valueChanged.connect(lambda v: seen.append((v, bar.maximum())))
    turn_on(dock, qtbot)
    assert bar.format() == "%p%" and {m for _, m in seen} == {1000}
    assert any(0 < v < 900 for v, _ in seen)  # while the index builds, before drawing frames
    assert seen[-1][0] == 1000

    again = Rewis3dDock(make_napari_viewer())  # napari closed and opened again
    assert not again.preview_panel.toggle.isChecked()  # nothing to build over yet
    again.project_panel.open_project(street_project)
    qtbot.waitUntil(lambda: again.preview_panel.layer is not None, timeout=60_000)
    assert again.preview_panel.toggle.isChecked()
    again.preview_panel.toggle.setChecked(False)
    third = Rewis3dDock(make_napari_viewer())
    third.project_panel.open_project(street_project)
    assert not third.preview_panel.toggle.isChecked() and third.preview_panel.layer is None
