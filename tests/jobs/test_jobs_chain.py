"""A job is a chain of steps (train, then predict) owned by the job itself: the next step starts
without anyone watching, a failed or cancelled step ends the chain, resume picks it up again."""

from __future__ import annotations

import gc

import pytest

from rewis3d.jobs import JobManager
from rewis3d.jobs.record import load_record
from tests.jobs.jobs_helpers import FAKE_COMMAND, wait_for, worker_args


def predict_args(project, run, *extra):
    return ["predict", str(project), "--run", run, "--steps", "0", "--predict", "s", *extra]


def finished(job):
    return wait_for(lambda: (s := job.status()).done and s, "the job to end")


def test_steps_run_in_order_and_status_names_the_running_one(manager, tiny_project):
    path = tiny_project.path
    job = manager.start_chain("c", [("training", worker_args(path, "c", "--steps", "30",
                                                             "--interval", "0.05")),
                                    ("predicting", predict_args(path, "c"))])
    wait_for(job.poll, "the first step's events")
    running = job.status()
    assert running.state == "running" and running.steps == ["training", "predicting"]
    assert running.step_label == "training" and "step 1/2 (training)" in running.summary()
    status = finished(job)
    assert status.state == "finished" and status.step_label == "predicting"
    assert tiny_project.scene("s").prediction_names() == ["c"]
    kinds = [e["kind"] for e in job.poll()]
    assert kinds.index("done") < len(kinds) - 1  # the predict step wrote after training


def test_a_failed_step_ends_the_chain(manager, tiny_project):
    path = tiny_project.path
    job = manager.start_chain("f", [("training", worker_args(path, "f", "--crash-at", "1")),
                                    ("predicting", predict_args(path, "f"))])
    status = finished(job)
    assert status.state == "failed" and status.step_label == "training"
    assert "fake crash at step 1" in "\n".join(status.log_tail)
    assert tiny_project.scene("s").prediction_names() == []


def test_cancel_ends_the_chain(manager, tiny_project):
    path = tiny_project.path
    job = manager.start_chain("x", [("training", worker_args(path, "x", "--steps", "10000")),
                                    ("predicting", predict_args(path, "x"))])
    wait_for(job.poll, "the first step's events")
    assert job.cancel(grace_s=5.0).state == "cancelled"
    assert job.status().step_label == "training"
    assert tiny_project.scene("s").prediction_names() == []


def test_the_chain_goes_on_after_its_starter_is_gone(tiny_project):
    """The GUI closed mid-training: predictions are still written, and a new manager sees it."""
    path = tiny_project.path
    first = JobManager(path, command=FAKE_COMMAND)
    job = first.start_chain("g", [("training", worker_args(path, "g", "--steps", "20",
                                                           "--interval", "0.05")),
                                  ("predicting", predict_args(path, "g"))])
    wait_for(job.poll, "the first events")
    del first, job
    gc.collect()
    second = JobManager(path, command=FAKE_COMMAND)
    status = wait_for(lambda: (s := second.status("g")).done and s, "the chain to end")
    assert status.state == "finished" and status.step_label == "predicting"
    assert tiny_project.scene("s").prediction_names() == ["g"]


def test_resume_restarts_the_chain_at_the_step_it_ended_in(manager, tiny_project):
    path = tiny_project.path
    job = manager.start_chain("r", [("training", worker_args(path, "r", "--steps", "3")),
                                    ("predicting", predict_args(path, "r", "--crash-at", "0",
                                                                "--steps", "1"))])
    assert finished(job).step_label == "predicting"
    job = manager.resume("r")
    assert job.status().steps == ["predicting"]  # training is not done again
    assert load_record(manager.run_dir("r")).command[len(FAKE_COMMAND)] == "predict"
    finished(job)


def test_resume_of_a_training_step_continues_the_run(manager, tiny_project):
    path = tiny_project.path
    job = manager.start_chain("t", [("training", worker_args(path, "t", "--crash-at", "1")),
                                    ("predicting", predict_args(path, "t"))])
    finished(job)
    job = manager.resume("t")
    commands = [step["command"][len(FAKE_COMMAND):]
                for step in load_record(manager.run_dir("t")).steps]
    assert commands[0] == ["train", str(path), "--resume", "t"]
    assert commands[1][0] == "predict"
    finished(job)


def test_a_chain_needs_a_step(manager):
    with pytest.raises(ValueError, match="at least one step"):
        manager.start_chain("e", [])
