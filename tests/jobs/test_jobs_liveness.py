"""Liveness from the job record: a pid is only the job's while its start time matches."""

from __future__ import annotations

import os

from rewis3d.jobs import JobRecord
from rewis3d.jobs.processes import is_alive, process_start_time
from rewis3d.jobs.status import derive_status

NO_SUCH_GROUP = 2**22 + 12345  # above the kernel's pid limit: the job's group is empty


def _running_record(run_dir, start_time):
    return JobRecord(run="r", command=["x"], status="running", pid=os.getpid(),
                     pgid=NO_SUCH_GROUP, process_start_time=start_time)


def test_a_live_pid_with_its_start_time_is_running(tmp_path):
    me = process_start_time(os.getpid())
    assert is_alive(os.getpid(), me)
    assert derive_status(tmp_path, _running_record(tmp_path, me)).state == "running"


def test_a_reused_pid_is_not_taken_for_the_job(tmp_path):
    (tmp_path / "log").write_text("step 1\nKilled\n")
    record = _running_record(tmp_path, process_start_time(os.getpid()) - 3600)
    assert not is_alive(record.pid, record.process_start_time)
    status = derive_status(tmp_path, record)
    assert status.state == "failed" and "without recording an outcome" in status.reason
    assert status.log_tail == ["step 1", "Killed"]
    (tmp_path / "cancel-requested").touch()
    assert derive_status(tmp_path, record).state == "cancelled"


def test_a_record_never_launched(tmp_path):
    record = JobRecord(run="r", command=["x"], created_at=0.0)
    assert derive_status(tmp_path, record).state == "failed"
    assert derive_status(tmp_path, record, launched_here=True).state == "queued"
    assert not is_alive(None, None) and process_start_time(NO_SUCH_GROUP) is None
