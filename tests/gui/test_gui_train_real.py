"""End to end with the real trainer: a tiny cpu-quick job started from the panel ends with its
prediction layer in the viewer, without any click after Start."""

import numpy as np
import pytest

from rewis3d.jobs import JobManager
from rewis3d.store import Project

pytestmark = [pytest.mark.gui, pytest.mark.slow]  # ~90 s: two subprocesses import torch


def test_tiny_cpu_quick_run_ends_in_a_prediction_layer(dock, street_project, qtbot):
    scene = Project.open(street_project).scene("street")
    for frame in (0, 2):  # sparse labels: every 7th pixel of the ground truth
        gt = np.asarray(scene.gt[frame])
        for class_id in np.unique(gt):
            mask = (gt == class_id) & (np.arange(gt.size).reshape(gt.shape) % 7 == 0)
            scene.annotations.add_stroke(frame, int(class_id), mask)
    dock.project_panel.open_project(street_project)
    panel = dock.training_panel
    panel.steps.setValue(3)
    panel.run_name.setText("tiny")
    try:
        assert panel.start()
        viewer = dock.session.viewer
        qtbot.waitUntil(lambda: "tiny prediction" in viewer.layers
                        or "failed" in panel.status.text(), timeout=540_000)  # loaded CI
        assert "tiny prediction" in viewer.layers, panel.log_tail.toPlainText()[-2000:]
        assert panel.loss_plot.point_count() > 0 and panel.miou_plot.point_count() > 0
    finally:
        panel.timer.stop()
        manager = JobManager(street_project)
        for status in manager.list():
            if not status.done:
                manager.cancel(status.run, grace_s=2.0)
