"""Fixtures of the job tests: a manager over a tiny project that runs the fake worker."""

from __future__ import annotations

import pytest

from rewis3d.jobs import JobManager
from tests.jobs.jobs_helpers import FAKE_COMMAND


@pytest.fixture
def manager(tiny_project):
    """A JobManager whose jobs run tests/jobs/fake_worker.py; leftover jobs are cancelled."""
    mgr = JobManager(tiny_project.path, command=FAKE_COMMAND, grace_s=5.0)
    yield mgr
    for status in mgr.list():
        if not status.done:
            mgr.cancel(status.run, grace_s=1.0)
