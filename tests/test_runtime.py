"""A job started beside the viewer leaves it a core: the thread count reaches the job's process."""

from __future__ import annotations

import os
import sys

from rewis3d.jobs import JobManager
from rewis3d.runtime import shared_machine_threads, thread_environment
from tests.jobs.jobs_helpers import wait_for

PRINT_THREADS = [sys.executable, "-c",
                 "import os, torch; print('threads', os.environ.get('OMP_NUM_THREADS'), "
                 "torch.get_num_threads())"]


def test_shared_machine_threads_leave_one_core():
    cores = len(os.sched_getaffinity(0))
    assert shared_machine_threads() == max(1, cores - 1)
    assert thread_environment(3) == {"OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3"}


def test_a_manager_sets_the_threads_of_its_jobs(tiny_project):
    manager = JobManager(tiny_project.path, command=PRINT_THREADS, threads=1)
    job = manager.start(["x"], "t")
    assert wait_for(lambda: (s := job.status()).done and s, "the job").state == "finished"
    assert "threads 1 1" in (manager.run_dir("t") / "log").read_text()
