"""What a job is doing now, from its record, the liveness of its processes and its log."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rewis3d.jobs.processes import group_members, is_alive
from rewis3d.jobs.record import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    TERMINAL,
    JobRecord,
)
from rewis3d.store.schema import (
    CANCEL_FILE,
    LOG_FILE,
)

LOG_TAIL_LINES = 20
NEVER_LAUNCHED_AFTER_S = 60.0


@dataclass
class JobStatus:
    """``state`` is one of queued, running, finished, failed, cancelled."""

    run: str
    state: str
    command: list[str]
    pid: int | None = None
    created_at: float | None = None
    ended_at: float | None = None
    exit_code: int | None = None
    reason: str | None = None
    log_tail: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # the chain's step labels
    current: int = 0  # the step running, or the one the job ended in

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    @property
    def step_label(self) -> str | None:
        return self.steps[self.current] if self.current < len(self.steps) else None

    def summary(self) -> str:
        """One line for a list or a status bar."""
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created_at or 0))
        text = f"{self.run}: {self.state}"
        if len(self.steps) > 1:
            text += f" in step {self.current + 1}/{len(self.steps)} ({self.step_label})"
        text += f" (started {when}"
        text += f", pid {self.pid})" if self.state == RUNNING and self.pid else ")"
        return text + (f": {self.reason}" if self.reason and self.state != CANCELLED else "")


def read_log_tail(run_dir: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of the job's log (what a crash printed last)."""
    path = Path(run_dir) / LOG_FILE
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - 64 * 1024))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def derive_status(run_dir: Path, record: JobRecord, launched_here: bool = False) -> JobStatus:
    """The state of the job: the record says what was last written, liveness says the rest.

    ``launched_here``: the caller holds the unreaped launcher of this job, so a 'queued' record
    is just about to become 'running' rather than abandoned.
    """
    state, reason = record.status, record.reason
    if state == RUNNING and not is_alive(record.pid, record.process_start_time):
        # The supervisor ended without writing an outcome: it was SIGKILLed.
        if record.pgid and group_members(record.pgid, exclude=-1):
            reason = ("its supervisor was killed; the command still runs but its outcome will not "
                      "be recorded (cancel it to stop it)")
        elif (run_dir / CANCEL_FILE).exists():
            state, reason = CANCELLED, "cancelled"
        else:
            state = FAILED
            reason = ("the job's processes ended without recording an outcome (killed from "
                      "outside, out of memory, or the machine restarted)")
    elif state == QUEUED and not launched_here and (
        time.time() - record.created_at > NEVER_LAUNCHED_AFTER_S
    ):
        state, reason = FAILED, "the job was never launched (its starting process ended first)"
    status = JobStatus(record.run, state, list(record.command), record.pid, record.created_at,
                       record.ended_at, record.exit_code, reason,
                       steps=[step["label"] for step in record.chain()], current=record.current)
    if state == FAILED:
        status.log_tail = read_log_tail(run_dir)
    return status
