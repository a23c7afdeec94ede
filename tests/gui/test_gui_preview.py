"""Propagation preview: labels painted in one frame show up in the others, and agree with gt."""

import numpy as np
import pytest

from rewis3d.store import IGNORE_INDEX

pytestmark = pytest.mark.gui


def pure_centre(gt: np.ndarray, class_id: int, half: int = 3) -> tuple[int, int]:
    """A pixel whose (2*half+1)^2 window is all ``class_id`` (a safe place to click)."""
    h, w = gt.shape
    for v in range(half, h - half):
        for u in range(half, w - half):
            if np.all(gt[v - half:v + half + 1, u - half:u + half + 1] == class_id):
                return v, u
    raise AssertionError(f"no pure window of class {class_id}")


def test_preview_fills_other_frames_in_agreement_with_gt(dock, street_project):
    session = dock.session
    dock.project_panel.open_project(street_project)
    scene, layer = session.scene, session.labels_layer
    gt0 = np.asarray(scene.gt[0])
    dock.annotate_panel.set_tool("scribble")
    for class_id in (0, 2):  # road, building
        v, u = pure_centre(gt0, class_id)
        session.select_class(class_id)
        layer.paint((0, v, u), layer.selected_label)

    dock.preview_panel.toggle.setChecked(True)
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
    assert (preview.data != before).any()
    assert "updated in" in dock.preview_panel.status.text()

    dock.preview_panel.toggle.setChecked(False)
    assert preview not in session.viewer.layers


def test_preview_colours_the_cloud_in_3d(dock, street_project):
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
    dock.preview_panel.toggle.setChecked(True)
    propagated = np.count_nonzero(panel.cloud.shown_labels() != IGNORE_INDEX)
    assert propagated > 2 * lifted_only > 0
    dock.preview_panel.toggle.setChecked(False)
    assert np.count_nonzero(panel.cloud.shown_labels() != IGNORE_INDEX) == lifted_only


def test_preview_without_reconstruction_warns(dock, tiny_project):
    dock.project_panel.open_project(tiny_project.path)
    dock.preview_panel.toggle.setChecked(True)
    assert not dock.preview_panel.toggle.isChecked() and dock.preview_panel.layer is None
