"""A job outlives the object (or GUI) that started it; another manager finds it again."""

from __future__ import annotations

import gc
import shutil

from rewis3d.jobs import JobManager
from tests.jobs.jobs_helpers import FAKE_COMMAND, gone, wait_for, worker_args


def test_a_new_manager_reattaches_and_keeps_reading_events(tiny_project):
    first = JobManager(tiny_project.path, command=FAKE_COMMAND)
    job = first.start(worker_args(tiny_project.path, "long", "--steps", "10000",
                                  "--interval", "0.05"), "long")
    before = wait_for(job.poll, "the first events")
    pid = job.status().pid
    del first, job
    gc.collect()  # the GUI closed: its manager and handles are gone, the job is not

    second = JobManager(tiny_project.path)
    assert [s.run for s in second.list()] == ["long"]
    assert second.status("long").state == "running" and second.status("long").pid == pid
    job = second.attach("long")
    seen = wait_for(job.poll, "events through the new manager")
    seen += wait_for(job.poll, "more events")
    assert seen[0]["step"] == 0 and seen[-1]["step"] > before[-1]["step"]
    assert second.cancel("long", grace_s=2.0).state == "cancelled"
    assert gone(pid)


def test_deleting_the_project_while_a_job_runs_reports_failed(manager, tiny_project):
    job = manager.start(worker_args(tiny_project.path, "doomed", "--steps", "10000",
                                    "--spawn-child"), "doomed")
    child = wait_for(lambda: next((e["pid"] for e in job.poll() if e["kind"] == "child"), None),
                     "the child's pid")
    supervisor = job.status().pid
    shutil.rmtree(tiny_project.path)
    status = job.status()
    assert status.state == "failed" and "moved or deleted" in status.reason
    assert [s.state for s in manager.list()] == ["failed"]
    wait_for(lambda: gone(supervisor) and gone(child), "the supervisor to stop the job by itself")
