"""`rewis3d jobs PROJECT list | status RUN | cancel RUN` on jobs of the fake worker."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rewis3d.cli import main
from rewis3d.jobs import JobManager
from tests.jobs.jobs_helpers import FAKE_COMMAND, gone, wait_for, worker_args


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_list_status_and_cancel(tiny_project):
    project = tiny_project.path
    assert run("jobs", project, "list").output.strip() == f"no jobs in {project}"
    manager = JobManager(project, command=FAKE_COMMAND)
    crashed = manager.start(worker_args(project, "crashed", "--crash-at", "1"), "crashed")
    live = manager.start(worker_args(project, "live", "--steps", "10000", "--interval", "0.05"),
                         "live")
    wait_for(lambda: crashed.status().done, "the crash")
    wait_for(live.poll, "the live job's first events")

    listed = run("jobs", project, "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith("crashed: failed") and "exited with code 1" in lines[0]
    assert lines[1].startswith("live: running") and "step " in lines[1]

    status = run("jobs", project, "status", "crashed")
    assert status.exit_code == 0, status.output
    assert "RuntimeError: fake crash at step 1" in status.output
    assert "progress: step 0/5" in status.output
    as_json = json.loads(run("jobs", project, "status", "live", "--json").output)
    assert as_json["state"] == "running" and as_json["pid"] == live.status().pid

    pid = live.status().pid
    cancelled = run("jobs", project, "cancel", "live", "--grace", "5")
    assert cancelled.exit_code == 0 and cancelled.output.strip() == "run live: cancelled"
    assert gone(pid)
    again = run("jobs", project, "cancel", "live")
    assert "not running (cancelled); nothing to cancel" in again.output
    assert [s["state"] for s in json.loads(run("jobs", project, "list", "--json").output)] == [
        "failed", "cancelled"]


def test_bad_input_is_one_line_and_exit_2(tiny_project, tmp_path):
    result = run("jobs", tmp_path / "nowhere", "list")
    assert result.exit_code == 2 and "no such folder" in result.output
    result = run("jobs", tiny_project.path, "status", "ghost")
    assert result.exit_code == 2
    assert "has no job for run 'ghost' (jobs: none)" in result.output
    result = run("jobs", tiny_project.path, "cancel", "ghost")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
