"""Cancelling ends the job's whole process group and leaves the store valid."""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from rewis3d.errors import RunBusyError
from rewis3d.store import Project
from tests.jobs.jobs_helpers import gone, wait_for, worker_args


def _child_pid(job) -> int:
    return wait_for(lambda: next((e["pid"] for e in job.poll() if e["kind"] == "child"), None),
                    "the child's pid")


def test_cancel_ends_the_job_and_its_child_mid_write_and_the_store_stays_valid(manager,
                                                                               tiny_project):
    job = manager.start(worker_args(tiny_project.path, "c1", "--spawn-child", "--predict", "s",
                                    "--predict-seconds", "60"), "c1")
    child = _child_pid(job)
    wait_for(lambda: any(e["kind"] == "predicting" for e in job.poll()) or
             any((tiny_project.path / ".staging").glob("c1.*")), "the prediction write to begin")
    supervisor = job.status().pid
    worker = [p.pid for p in psutil.Process(supervisor).children()]
    status = job.cancel()
    assert status.state == "cancelled" and status.done
    for pid in (supervisor, *worker, child):
        assert gone(pid), f"process {pid} survived the cancel"
    reopened = Project.open(tiny_project.path)  # opens, validates, clears staging
    assert reopened.scene("s").prediction_names() == []  # the half-written one never appeared
    assert not any((tiny_project.path / ".staging").iterdir())
    assert "received SIGTERM" in (tiny_project.runs_dir / "c1" / "log").read_text()


def test_a_job_that_ignores_sigterm_is_killed_after_the_grace_period(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "stubborn", "--ignore-term",
                                    "--steps", "10000", "--interval", "0.05"), "stubborn")
    wait_for(job.poll, "the first events")
    supervisor = job.status().pid
    worker = psutil.Process(supervisor).children()[0].pid
    status = manager.cancel("stubborn", grace_s=0.5)
    assert status.state == "cancelled"
    assert gone(supervisor) and gone(worker)


def test_a_signal_to_the_supervisor_alone_stops_the_whole_job(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "term", "--spawn-child",
                                    "--steps", "10000"), "term")
    child = _child_pid(job)
    supervisor = job.status().pid
    os.kill(supervisor, signal.SIGTERM)  # e.g. the machine shutting down
    status = wait_for(lambda: (s := job.status()).done and s, "the job to stop")
    assert status.state == "cancelled"
    wait_for(lambda: gone(supervisor) and gone(child), "every process of the job to end")


def test_a_worker_orphaned_by_kill_9_keeps_the_run_locked_and_can_be_cancelled(manager,
                                                                              tiny_project):
    job = manager.start(worker_args(tiny_project.path, "orphan", "--steps", "10000"), "orphan")
    wait_for(job.poll, "the first events")
    supervisor = job.status().pid
    worker = psutil.Process(supervisor).children()[0].pid
    os.kill(supervisor, signal.SIGKILL)
    wait_for(lambda: gone(supervisor), "the supervisor to die")
    status = job.status()
    assert status.state == "running" and "supervisor was killed" in status.reason
    with pytest.raises(RunBusyError):
        manager.start(worker_args(tiny_project.path, "orphan"), "orphan")
    assert manager.cancel("orphan", grace_s=2.0).state == "cancelled"
    assert gone(worker)


def test_a_cancel_that_returns_after_the_run_was_started_again_leaves_the_new_job_alone(
        manager, tiny_project, monkeypatch):
    """The GUI cancels in a worker thread; once the job reads as cancelled the person may
    resume at once, while that thread is still finishing. Its last step (mark the job
    cancelled if its supervisor could not) must not mark the *new* job cancelled."""
    from rewis3d.jobs import manager as manager_module

    job = manager.start(worker_args(tiny_project.path, "again", "--steps", "10000",
                                    "--interval", "0.05"), "again")
    wait_for(job.poll, "the first events")
    real_end = manager_module.end_process_group
    restarted = []

    def end_then_restart(*args, **kwargs):
        real_end(*args, **kwargs)
        wait_for(lambda: job.status().done, "the old supervisor to record its end")
        restarted.append(manager.start(worker_args(tiny_project.path, "again", "--steps",
                                                   "10000", "--interval", "0.05"), "again"))

    monkeypatch.setattr(manager_module, "end_process_group", end_then_restart)
    manager.cancel("again")
    new = restarted[0].status()
    assert new.state == "running" and not new.done, new
    monkeypatch.setattr(manager_module, "end_process_group", real_end)
    assert manager.cancel("again").state == "cancelled"
