"""Train panel: jobs start, report progress, end in predictions, cancel, crash and re-attach.

The jobs run tests/jobs/fake_worker.py through a small adapter (it drops the training flags the
fake does not know, and answers `predict` by writing predictions into the store).
"""

import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from qtpy.QtCore import QTimer

from rewis3d.jobs import JobManager
from rewis3d.store import Project
from rewis3d_gui.training_settings import train_args
from tests.conftest import REPO
from tests.jobs.jobs_helpers import gone

pytestmark = pytest.mark.gui

ADAPTER = f"""
import os, sys
from pathlib import Path
sys.path.insert(0, {str(REPO)!r})
from tests.jobs import fake_worker
words = sys.argv[1:]
sub, project = words[0], Path(words[1])
if sub == "export":  # stands in for the exported transformers folder
    out = Path(words[2])
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text("{{}}")
    sys.exit(0)
opts = dict(zip(words[2::2], words[3::2]))
if "--config" in opts:  # a retrain: the run it starts from must have been exported first
    import yaml
    start = yaml.safe_load(Path(opts["--config"]).read_text())["model"]["pretrained_2d"]
    if not (Path(start) / "config.json").is_file():
        print("error: the 2D weights were not exported first", flush=True)
        sys.exit(3)
run = opts.get("--run") or opts.get("--resume")
if sub == "predict":
    from rewis3d.store import Project
    for scene in Project.open(project).scene_names():
        fake_worker.write_prediction(project, scene, run, 0.0)
    sys.exit(0)
args = ["train", str(project), "--interval", os.environ.get("FAKE_INTERVAL", "0.05")]
for flag in ("--run", "--resume", "--steps"):
    if flag in opts:
        args += [flag, opts[flag]]
if os.environ.get("FAKE_CRASH_AT"):
    args += ["--crash-at", os.environ["FAKE_CRASH_AT"]]
if os.environ.get("FAKE_SPAWN_CHILD"):
    args.append("--spawn-child")
sys.argv = ["fake_worker", *args]
sys.exit(fake_worker.main())
"""
FAKE_TRAIN = [sys.executable, "-c", ADAPTER]


@pytest.fixture
def messages():
    from napari.utils.notifications import notification_manager

    start = len(notification_manager.records)
    return lambda: [str(n.message) for n in notification_manager.records[start:]]


@pytest.fixture
def train(dock, street_project):
    """The dock on the street project (frame 0 labelled), its jobs faked; jobs end at teardown."""
    Project.open(street_project).scene("street").annotations.add_stroke(
        0, 0, np.array([[40, 10], [40, 11]]))
    panel = dock.training_panel
    panel.job_command = FAKE_TRAIN
    panel.cancel_grace_s = 2.0
    dock.project_panel.open_project(street_project)
    panel.settings.steps.setValue(20)
    yield panel
    panel.timer.stop()
    manager = JobManager(street_project, command=FAKE_TRAIN)
    for status in manager.list():
        if not status.done:
            manager.cancel(status.run, grace_s=1.0)


def test_progress_while_responsive_then_predictions_appear(train, dock, qtbot, monkeypatch):
    monkeypatch.setenv("FAKE_INTERVAL", "0.08")
    ticks = []
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: ticks.append(time.monotonic()))
    heartbeat.start(20)
    train.run_name.setText("r1")
    assert train.start()
    assert not train.start_button.isEnabled() and train.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: train.progress.value() >= 5, timeout=30_000)
    assert train.progress.maximum() == 20
    assert "step" in train.status.text() and "left" in train.status.text()  # an ETA
    gaps = np.diff(ticks)
    assert len(ticks) > 10 and gaps.max() < 0.5, "the event loop stalled while the job ran"

    viewer = dock.session.viewer
    qtbot.waitUntil(lambda: "r1 prediction" in viewer.layers, timeout=30_000)
    heartbeat.stop()
    assert "r1 confidence" in viewer.layers
    layer = viewer.layers["r1 prediction"]
    assert layer.visible and not layer.editable
    assert set(np.unique(np.asarray(layer.data[1]))) == {2}  # fake: frame % 2 -> value + 1
    # the predictions panel watches the store, so the layer can appear a poll before the train
    # panel sees the predict job end (the race behind a clean-clone failure): wait for both
    qtbot.waitUntil(lambda: "finished" in train.status.text(), timeout=30_000)
    assert train.start_button.isEnabled()
    assert dock.review_panel.run.currentText() == "r1"


def test_cancel_ends_every_process_and_keeps_the_store_valid(train, street_project, qtbot,
                                                            monkeypatch):
    monkeypatch.setenv("FAKE_INTERVAL", "0.05")
    monkeypatch.setenv("FAKE_SPAWN_CHILD", "1")
    train.settings.steps.setValue(100_000)
    train.run_name.setText("long")
    assert train.start()
    manager = JobManager(street_project)
    events = lambda: manager.events("long")[0]  # noqa: E731
    qtbot.waitUntil(lambda: any(e.get("kind") == "step" for e in events()), timeout=30_000)
    child = next(e["pid"] for e in events() if e.get("kind") == "child")
    supervisor = manager.status("long").pid
    train.cancel_button.click()
    train._show_event({"kind": "step", "step": 7, "total_steps": 100_000})  # still arriving
    assert "cancelling: the step in flight finishes and is checkpointed" in train.status.text()
    qtbot.waitUntil(lambda: "cancelled" in train.status.text(), timeout=30_000)
    # The supervisor records 'cancelled' just before it exits: give it that moment.
    qtbot.waitUntil(lambda: gone(child) and gone(supervisor), timeout=15_000)
    assert manager.status("long").state == "cancelled"
    assert Project.open(street_project).scene("street").prediction_names() == []
    # the fake writes no checkpoint: nothing to resume from, and the panel does not offer it
    assert not train.resume_button.isEnabled() and train.resume_button.text() == "Resume"
    assert train.status.text() == "long: cancelled (training)."


def test_reopened_widget_reattaches_and_the_chain_ends_in_loaded_predictions(
        train, dock, street_project, qtbot, monkeypatch):
    """The panel is rebuilt mid-training (napari closed and reopened): the job goes on through
    predict by itself, and the new panel says the predictions are in the viewer once they are."""
    from rewis3d_gui.dock import Rewis3dDock

    monkeypatch.setenv("FAKE_INTERVAL", "0.05")
    train.settings.steps.setValue(60)
    train.run_name.setText("bg")
    assert train.start()
    qtbot.waitUntil(lambda: train.progress.value() >= 2, timeout=30_000)
    viewer = dock.session.viewer
    viewer.window.remove_dock_widget(dock)  # closing the panel leaves the job running
    train.timer.stop()  # the old panels are gone; only the job goes on
    dock.predictions_panel.timer.stop()
    assert JobManager(street_project).status("bg").state == "running"

    again = Rewis3dDock(viewer)
    viewer.window.add_dock_widget(again, name="Rewis3d")
    again.training_panel.job_command = FAKE_TRAIN
    again.project_panel.open_project(street_project)
    panel = again.training_panel
    assert panel.job is not None and panel.job.run == "bg" and panel.timer.isActive()
    assert "re-attached" in panel.status.text() and "training" in panel.status.text()
    qtbot.waitUntil(lambda: panel.progress.value() >= 2, timeout=10_000)  # replayed events
    seen = panel.progress.value()
    qtbot.waitUntil(lambda: panel.progress.value() > seen + 3, timeout=30_000)  # live ones
    qtbot.waitUntil(lambda: "finished" in panel.status.text(), timeout=60_000)
    assert panel.status.text() == "bg: finished; its predictions are in the viewer (Review tab)."
    assert "bg prediction" in viewer.layers
    assert again.predictions_panel.layers["bg"][0] is viewer.layers["bg prediction"]
    assert panel.predict_button.isEnabled() is False  # the fake writes no checkpoint


def test_crash_shows_why_with_the_log_tail(train, qtbot, monkeypatch, messages):
    monkeypatch.setenv("FAKE_CRASH_AT", "3")
    train.run_name.setText("bad")
    assert train.start()
    qtbot.waitUntil(lambda: "failed" in train.status.text(), timeout=30_000)
    assert train.log_tail.isVisible() or not train.isVisible()
    tail = train.log_tail.toPlainText()
    assert "fake crash at step 3" in tail and "exited with code" in train.status.text()
    assert "failed while training" in train.status.text()
    assert any("Run 'bad' failed while training" in m for m in messages())
    assert train.job.status().step_label == "training"  # predict was not started after it


def test_busy_run_name_is_refused(train, street_project, qtbot, monkeypatch, messages):
    monkeypatch.setenv("FAKE_INTERVAL", "0.05")
    other = JobManager(street_project, command=FAKE_TRAIN)
    other.start(["train", str(street_project), "--run", "taken", "--steps", "100000"], "taken")
    train.run_name.setText("taken")
    assert not train.start()
    assert any("being written by another job" in m for m in messages())
    assert train.job is None or train.job.run != "taken" or not train.timer.isActive()


def test_nothing_labelled_says_what_to_do(dock, tmp_path, street_project, messages):
    dock.training_panel.job_command = FAKE_TRAIN
    dock.project_panel.open_project(street_project)
    assert not dock.training_panel.start()
    assert any("no frame has labels yet" in m and "Label tab" in m for m in messages())
    assert JobManager(street_project).list() == []


def test_retrain_exports_then_trains_from_the_weights_then_predicts(train, dock, street_project,
                                                                   qtbot):
    """Review > Retrain: one job of three steps, each started when the one before finished;
    the new run's predictions load by themselves."""
    from rewis3d.train.config import preset

    run_dir = Path(street_project) / "runs" / "r1"
    run_dir.mkdir(parents=True)
    preset("cpu-quick").save(run_dir / "config.yaml")
    scene = Project.open(street_project).scene("street")
    with scene.prediction_writer("r1") as writer:
        for f in range(scene.num_frames):
            writer.write(f, np.zeros(scene.image_size, np.uint8),
                         np.full(scene.image_size, 0.5, np.float32))
    review, viewer = dock.review_panel, dock.session.viewer
    qtbot.waitUntil(lambda: review.run.findText("r1") >= 0, timeout=10_000)
    review.run.setCurrentText("r1")
    train.settings.baseline.setChecked(True)
    assert train.settings.steps.value() == 20 and train.settings.steps.specialValueText() == "preset (300 steps)"
    assert review.retrain()
    train_step = train.job.status().steps.index("training")
    record = JobManager(street_project).run_dir("r1-r1") / "job.json"
    command = yaml.safe_load(record.read_text())["steps"][train_step]["command"]
    assert command[-2:] == ["--steps", "20"]  # the Steps box counts for a retrain too
    assert train.run_name.text() == "r1-r1"
    assert train.job.status().steps == ["exporting the 2D weights of r1", "training",
                                        "predicting"]
    qtbot.waitUntil(lambda: "r1-r1 prediction" in viewer.layers, timeout=60_000)
    qtbot.waitUntil(lambda: "finished" in train.status.text(), timeout=30_000)
    assert train.job.status().state == "finished"
    assert (run_dir / "weights-2d" / "config.json").is_file()
    retrain_yaml = yaml.safe_load((run_dir / "retrain-r1-r1.yaml").read_text())
    assert retrain_yaml["model"]["pretrained_2d"] == str((run_dir / "weights-2d").absolute())
    events = (Path(street_project) / "runs" / "r1-r1" / "events.jsonl").read_text()
    assert '"done"' in events


def test_progress_events_show_phase_step_and_eta(dock):
    panel = dock.training_panel
    panel.run_name.setText("live")
    panel._show_event({"kind": "progress", "phase": "building sampling index",
                       "detail": "scene street", "step": 0, "total_steps": 0})
    assert panel.status.text() == "live: building sampling index (scene street)"
    assert panel.progress.maximum() == 0  # busy: no steps yet
    panel._show_event({"kind": "progress", "phase": "training", "step": 1, "total_steps": 300,
                       "eta_s": 754.0, "step_s": 2.52})
    assert panel.status.text() == "live: training · step 1/300 · about 13 min left"
    assert (panel.progress.maximum(), panel.progress.value()) == (300, 1)
    panel._show_event({"kind": "progress", "phase": "predicting",
                       "detail": "scene street: frame 3/24", "step": 0, "total_steps": 0})
    assert panel.status.text() == "live: predicting (scene street: frame 3/24)"


def test_the_3d_model_and_its_weights_reach_the_run_config(dock, street_project):
    from rewis3d.models.backbones3d import available_backbones

    panel = dock.training_panel
    dock.project_panel.open_project(street_project)
    assert [panel.settings.model_3d.itemText(i) for i in range(panel.settings.model_3d.count())] == \
        available_backbones()
    assert panel.settings.model_3d.currentText() == "ptv3-tiny"  # cpu-quick's
    assert panel.settings.changed() == {}  # nothing changed: no --set
    panel.settings.model_3d.setCurrentText("ptv3-base")
    panel.settings.weights_3d.setText("/data/pointcept/model_best.pth")
    args = train_args(street_project, "b", "cpu-quick", None, False, "view-aware", "dual",
                      panel.settings.changed())
    assert args[-4:] == ["--set", 'model.model_3d="ptv3-base"',
                         "--set", 'model.pretrained_3d="/data/pointcept/model_best.pth"']
    from rewis3d.train.config import preset, with_overrides

    config = with_overrides(preset("cpu-quick"), [a for a in args[-4:] if a != "--set"])
    assert (config.model.model_3d, config.model.pretrained_3d) == \
        ("ptv3-base", "/data/pointcept/model_best.pth")
