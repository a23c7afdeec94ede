"""Start, watch, finish, crash and resume jobs (the fake worker stands in for training)."""

from __future__ import annotations

import json

import pytest

from rewis3d.errors import NotAProjectError, RunBusyError, UnknownRunError
from rewis3d.jobs import JobManager, JobRecord
from tests.jobs.jobs_helpers import FAKE_COMMAND, wait_for, worker_args


def test_events_arrive_while_the_job_runs(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "r1", "--steps", "10000",
                                    "--interval", "0.05"), "r1")
    seen = wait_for(job.poll, "the first events")
    assert job.status().state == "running"
    seen += wait_for(job.poll, "more events")
    assert job.status().state == "running"  # incremental: the job is still going
    steps = [e["step"] for e in seen if e["kind"] == "step"]
    assert steps == list(range(len(steps))) and len(steps) >= 2  # in order, none twice or torn
    record = json.loads((tiny_project.runs_dir / "r1" / "job.json").read_text())
    assert record["status"] == "running" and record["pid"] and record["process_start_time"]


def test_a_job_finishes_and_its_events_read_by_offset(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "r1", "--steps", "3"), "r1")
    status = wait_for(lambda: (s := job.status()).done and s, "the job to end")
    assert status.state == "finished" and status.exit_code == 0 and status.log_tail == []
    events, offset = manager.events("r1")
    assert [e["kind"] for e in events] == ["step", "step", "step", "done"]
    assert manager.events("r1", since=offset) == ([], offset)
    assert "fake worker for run r1" in (tiny_project.runs_dir / "r1" / "log").read_text()
    assert manager.cancel("r1").state == "finished"  # cancelling an ended job changes nothing


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


def test_resume_continues_a_crashed_run(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "res", "--steps", "4",
                                    "--crash-at", "2"), "res")
    wait_for(lambda: job.status().done, "the crash")
    job = manager.resume("res", args=["train", str(tiny_project.path), "--resume", "res",
                                      "--steps", "4"])
    status = wait_for(lambda: (s := job.status()).done and s, "the resumed job")
    assert status.state == "finished"
    steps = [e["step"] for e in job.poll() if e["kind"] == "step"]
    assert steps == [0, 1, 2, 3]


def test_a_run_starts_again_once_its_job_ended_by_default_as_a_resume(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "again", "--steps", "1"), "again")
    wait_for(lambda: job.status().done, "the first job")
    job = manager.resume("again")  # no wait: the first supervisor may still be exiting
    status = wait_for(lambda: (s := job.status()).done and s, "the second job")
    assert status.state == "finished"
    assert status.command[len(FAKE_COMMAND):] == [
        "train", str(tiny_project.path), "--resume", "again"]


def test_not_a_project(tmp_path):
    with pytest.raises(NotAProjectError, match="no such folder"):
        JobManager(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(NotAProjectError, match="not a Rewis3d project"):
        JobManager(tmp_path / "plain")


def test_unknown_runs_name_the_known_ones(manager, tiny_project):
    (tiny_project.runs_dir / "known").mkdir()
    JobRecord(run="known", command=["x"], status="finished").save(tiny_project.runs_dir / "known")
    for call in (manager.status, manager.cancel, manager.attach, manager.events):
        with pytest.raises(UnknownRunError, match=r"no job for run 'nope' \(jobs: known\)"):
            call("nope")


def test_bad_run_names_are_refused(manager):
    with pytest.raises(Exception, match="run name '../x' is not allowed"):
        manager.start(["train"], "../x")


def test_the_default_command_is_rewis3d_itself(tiny_project):
    job = JobManager(tiny_project.path).start(["info", str(tiny_project.path)], "info")
    status = wait_for(lambda: (s := job.status()).done and s, "`rewis3d info` to end")
    assert status.state == "finished", status.log_tail
    assert "classes (3): 0:road, 1:car, 2:sky" in (tiny_project.runs_dir / "info" / "log").read_text()
