"""End to end with the real trainer: a cpu-quick job started from the panel is cancelled after
its first step (it checkpoints that step), resumed from the panel, and ends with its prediction
layer in the viewer, without any other click."""

import numpy as np
import pytest

from rewis3d.jobs import JobManager
from rewis3d.store import Project
from rewis3d.train.events import read_events

pytestmark = [pytest.mark.gui, pytest.mark.slow]  # ~2 min: three subprocesses import torch

STEPS = 12


def test_cancel_keeps_a_checkpoint_and_resume_ends_in_a_prediction_layer(dock, street_project,
                                                                        qtbot):
    scene = Project.open(street_project).scene("street")
    for frame in (0, 2):  # sparse labels: every 7th pixel of the ground truth
        gt = np.asarray(scene.gt[frame])
        for class_id in np.unique(gt):
            mask = (gt == class_id) & (np.arange(gt.size).reshape(gt.shape) % 7 == 0)
            scene.annotations.add_stroke(frame, int(class_id), mask)
    dock.project_panel.open_project(street_project)
    panel = dock.training_panel
    panel.settings.steps.setValue(STEPS)
    panel.run_name.setText("tiny")
    run_dir = street_project / "runs" / "tiny"
    try:
        assert panel.start()
        assert not panel.resume_button.isEnabled()  # no checkpoint yet
        qtbot.waitUntil(lambda: bool(read_events(run_dir, "step"))
                        or "failed" in panel.status.text(), timeout=540_000)  # loaded CI
        panel.cancel()
        qtbot.waitUntil(lambda: "cancelled" in panel.status.text()
                        or "failed" in panel.status.text(), timeout=180_000)
        stopped = read_events(run_dir, "stopped")
        assert stopped, panel.status.text() + panel.log_tail.toPlainText()[-2000:]
        step = stopped[-1]["step"]
        assert 1 <= step < STEPS
        assert panel.status.text() == ("tiny: cancelled. Resume continues from its checkpoint "
                                       f"at step {step}.")
        assert panel.resume_button.isEnabled()
        assert panel.resume_button.text() == f"Resume from step {step}"
        assert panel.predict_button.isEnabled()

        assert panel.resume()
        viewer = dock.session.viewer
        qtbot.waitUntil(lambda: "finished" in panel.status.text()
                        or "failed" in panel.status.text(), timeout=540_000)
        assert "tiny prediction" in viewer.layers, panel.log_tail.toPlainText()[-2000:]
        assert panel.status.text() == ("tiny: finished; its predictions are in the viewer "
                                       "(Review tab).")
        assert [e["step"] for e in read_events(run_dir, "step")][-1] == STEPS
        assert panel.loss_plot.point_count() > 0 and panel.miou_plot.point_count() > 0
        assert not panel.resume_button.isEnabled()  # trained to the end: nothing to resume
        assert panel.resume_button.text() == "Resume" and panel.predict_button.isEnabled()
    finally:
        panel.timer.stop()
        manager = JobManager(street_project)
        for status in manager.list():
            if not status.done:
                manager.cancel(status.run, grace_s=2.0)
