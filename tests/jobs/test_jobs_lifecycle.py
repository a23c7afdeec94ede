"""Start, watch, finish, crash and resume jobs (the fake worker stands in for training)."""

from __future__ import annotations

import json

import pytest

from rewis3d.jobs import JobManager, RunBusyError, UnknownRunError
from rewis3d.store import NotAProjectError
from tests.jobs.jobs_helpers import FAKE_COMMAND, wait_for, worker_args


def test_events_arrive_while_the_job_runs_then_it_finishes(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "r1", "--steps", "40",
                                    "--interval", "0.1"), "r1")
    seen = wait_for(job.poll, "the first events")
    assert job.status().state == "running"
    assert len(seen) < 40  # incremental: the job is still going
    seen += wait_for(job.poll, "more events")
    steps = [e["step"] for e in seen if e["kind"] == "step"]
    assert steps == list(range(len(steps)))  # in order, none twice, none torn
    final = wait_for(lambda: (s := job.status()).done and s, "the job to end")
    seen += job.poll()
    assert final.state == "finished" and final.exit_code == 0
    assert [e["step"] for e in seen if e["kind"] == "step"] == list(range(40))
    assert seen[-1]["kind"] == "done"
    record = json.loads((tiny_project.runs_dir / "r1" / "job.json").read_text())
    assert record["status"] == "finished" and record["pid"] and record["process_start_time"]
    assert "fake worker for run r1" in (tiny_project.runs_dir / "r1" / "log").read_text()


def test_events_by_offset(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "r1", "--steps", "3"), "r1")
    wait_for(lambda: job.status().done, "the job to end")
    events, offset = manager.events("r1")
    assert [e["kind"] for e in events] == ["step", "step", "step", "done"]
    assert manager.events("r1", since=offset) == ([], offset)


def test_a_crash_reports_failed_with_the_log_tail(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "boom", "--crash-at", "2"), "boom")
    status = wait_for(lambda: (s := job.status()).done and s, "the crash")
    assert status.state == "failed" and status.exit_code == 1
    assert status.reason == "exited with code 1"
    tail = "\n".join(status.log_tail)
    assert "RuntimeError: fake crash at step 2" in tail
    assert "the fake loss went NaN" in tail
    assert "boom: failed" in status.summary()


def test_a_command_that_cannot_start_fails_with_the_reason(tiny_project):
    mgr = JobManager(tiny_project.path, command=["/nonexistent/rewis3d"])
    job = mgr.start(["train"], "r")
    status = wait_for(lambda: (s := job.status()).done and s, "the failure")
    assert status.state == "failed" and "could not start" in status.reason


def test_two_jobs_on_one_run_are_refused(manager, tiny_project):
    manager.start(worker_args(tiny_project.path, "same", "--steps", "200"), "same")
    with pytest.raises(RunBusyError, match="'same' .* being written by another job"):
        manager.start(worker_args(tiny_project.path, "same"), "same")
    other = JobManager(tiny_project.path, command=FAKE_COMMAND)  # another process, say the CLI
    with pytest.raises(RunBusyError, match="cancel it"):
        other.start(worker_args(tiny_project.path, "same"), "same")
    assert manager.status("same").state == "running"  # the refused starts changed nothing


def test_a_run_can_start_again_once_the_first_job_ended(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "again", "--steps", "1"), "again")
    wait_for(lambda: job.status().done, "the first job")
    job = manager.start(worker_args(tiny_project.path, "again", "--steps", "2"), "again")
    assert wait_for(lambda: (s := job.status()).done and s, "the second job").state == "finished"


def test_resume_continues_a_crashed_run(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "res", "--steps", "4",
                                    "--crash-at", "2"), "res")
    wait_for(lambda: job.status().done, "the crash")
    job = manager.resume("res", args=["train", str(tiny_project.path), "--resume", "res",
                                      "--steps", "4"])
    status = wait_for(lambda: (s := job.status()).done and s, "the resumed job")
    assert status.state == "finished"
    assert status.command[len(FAKE_COMMAND):] == [
        "train", str(tiny_project.path), "--resume", "res", "--steps", "4"]
    steps = [e["step"] for e in job.poll() if e["kind"] == "step"]
    assert steps == [0, 1, 2, 3]


def test_resume_default_arguments(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "res2", "--steps", "1"), "res2")
    wait_for(lambda: job.status().done, "the job")
    job = manager.resume("res2")
    assert job.status().command[len(FAKE_COMMAND):] == [
        "train", str(tiny_project.path), "--resume", "res2"]


def test_not_a_project(tmp_path):
    with pytest.raises(NotAProjectError, match="no such folder"):
        JobManager(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotAProjectError, match="not a Rewis3d project"):
        JobManager(tmp_path / "plain")


def test_unknown_runs_name_the_known_ones(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "known", "--steps", "1"), "known")
    wait_for(lambda: job.status().done, "the job")
    for call in (manager.status, manager.cancel, manager.attach, manager.events):
        with pytest.raises(UnknownRunError, match=r"no job for run 'nope' \(jobs: known\)"):
            call("nope")


def test_bad_run_names_are_refused(manager):
    with pytest.raises(Exception, match="run name '../x' is not allowed"):
        manager.start(["train"], "../x")
