"""The job record ``runs/<run>/job.json`` and the other files a job keeps next to it.

The record is what lets a new process (a reopened GUI, the CLI) find a job again: the
supervisor's pid and process group, the process start time (so a reused pid is not mistaken
for the job), the command and the outcome. It is always replaced atomically, and each phase has
a single writer: the manager before launch, the supervisor at the end, ``cancel`` only once every
process of the job is gone.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from rewis3d.store.atomic import write_json_atomic
from rewis3d.store.schema import JOB_FILE

QUEUED, RUNNING, FINISHED, FAILED, CANCELLED = "queued", "running", "finished", "failed", "cancelled"
TERMINAL = (FINISHED, FAILED, CANCELLED)
# Between SIGTERM and SIGKILL: a cancelled training finishes its step and writes a checkpoint
# (a cpu-quick step takes 1-10 s on a loaded 2-core machine, a paper-preset step on CPU far more).
STOP_GRACE_S = 60.0


@dataclass
class JobRecord:
    """``steps`` is the chain the job runs in order (e.g. train, then predict), each
    ``{"label": what it does, "command": [...]}``; ``command`` is the first step's.
    ``current`` is the step running, or the one the job ended in."""

    run: str
    command: list[str]
    steps: list[dict] = field(default_factory=list)
    current: int = 0
    grace_s: float = STOP_GRACE_S
    status: str = QUEUED
    created_at: float = field(default_factory=time.time)
    pid: int | None = None
    pgid: int | None = None
    process_start_time: float | None = None
    ended_at: float | None = None
    exit_code: int | None = None
    reason: str | None = None

    def chain(self) -> list[dict]:
        """The steps (a record written before chains existed holds one command)."""
        return self.steps or [{"label": "job", "command": self.command}]

    def save(self, run_dir: Path) -> None:
        write_json_atomic(Path(run_dir) / JOB_FILE, asdict(self))


def load_record(run_dir: Path) -> JobRecord | None:
    """The record of ``run_dir``, or None when it has none or it is unreadable."""
    path = Path(run_dir) / JOB_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "run" not in data or "command" not in data:
        return None
    known = {f.name for f in fields(JobRecord)}
    return JobRecord(**{k: v for k, v in data.items() if k in known})
