"""The process that owns one job: ``python -m rewis3d.jobs.supervisor RUN_DIR PROJECT FD``.

It runs as the leader of its own session, so the GUI closing does not end it and ``cancel`` can
signal the whole process group. It inherits the run's locked descriptor ``FD`` and hands it
to the commands too, so the run stays locked while any still runs. It waits for the manager
to record its pid, then runs the record's chain of commands (train, then predict) one after
the other with stdout/stderr going to ``runs/<run>/log``, writing which step runs into the
record, and at the end the outcome: only a process that outlives the commands can tell a
crash from a success, and start the next step, after the GUI is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rewis3d.jobs.processes import group_members, signal_all, wait_gone
from rewis3d.jobs.record import (
    CANCELLED,
    FAILED,
    FINISHED,
    STOP_GRACE_S,
    JobRecord,
    load_record,
)

POLL_S = 0.25
STORE_META = Path("rewis3d.zarr") / "zarr.json"


def _say(message: str) -> None:
    print(f"[rewis3d.jobs {time.strftime('%H:%M:%S')}] {message}", flush=True)


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


class Supervisor:
    def __init__(self, run_dir: Path, project: Path, lock_fd: int, grace_s: float):
        self.run_dir = run_dir
        self.project = project
        self.lock_fd = lock_fd
        self.grace_s = grace_s
        self.worker: subprocess.Popen | None = None
        self.stop_requested = False
        self.stopping_since: float | None = None
        self.failure: str | None = None

    def on_stop_signal(self, signum, frame) -> None:
        if self.stop_requested:
            return
        self.stop_requested = True
        _say(f"received {signal.Signals(signum).name}; stopping the job")
        self._stop_group()

    def project_gone(self) -> bool:
        return not (self.project / STORE_META).is_file() or not self.run_dir.is_dir()

    def run(self, steps: list[dict], first: int = 0) -> int:
        """Run ``steps[first:]`` in order until one fails or a stop is requested."""
        code = 0
        for index in range(first, len(steps)):
            if self.stop_requested or self.failure is not None:
                break
            self._record_step(index)
            code = self._run_command(steps[index]["command"])
            if code != 0:
                break
        return code

    def _record_step(self, index: int) -> None:
        record = load_record(self.run_dir)
        if record is not None and record.current != index:
            record.current = index
            record.save(self.run_dir)

    def _run_command(self, command: list[str]) -> int:
        try:
            self.worker = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                           cwd=self.project, pass_fds=(self.lock_fd,))
        except OSError as exc:
            self.failure = f"could not start {command[0]!r}: {exc.strerror or exc}"
            return 127
        if self.stop_requested:
            self._stop_group()  # the stop signal came while the worker was starting
        _say(f"started pid {self.worker.pid}: {' '.join(command)}")
        while (code := self._wait(POLL_S)) is None:
            if self.failure is None and not self.stop_requested and self.project_gone():
                self.failure = (f"the project folder {self.project} was moved or deleted while "
                                "the job ran")
                _say(self.failure + "; stopping the job")
                self._stop_group()
            if self.stopping_since and time.monotonic() - self.stopping_since > self.grace_s:
                _say(f"still running {self.grace_s:.0f} s after SIGTERM; sending SIGKILL")
                signal_all(self._others(), signal.SIGKILL)
                self.stopping_since = None
        self._end_leftovers()
        return code

    def _wait(self, timeout: float) -> int | None:
        try:
            return self.worker.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def _others(self) -> list:
        return group_members(os.getpgid(0), exclude=os.getpid())

    def _stop_group(self) -> None:
        """SIGTERM every other process of the job; ``run`` escalates after the grace period."""
        self.stopping_since = time.monotonic()
        signal_all(self._others(), signal.SIGTERM)

    def _end_leftovers(self) -> None:
        """Processes the worker left behind (orphans stay in the group) end with the job."""
        leftovers = self._others()
        if leftovers:
            signal_all(leftovers, signal.SIGTERM)
            if not wait_gone(leftovers, self.grace_s):
                signal_all(leftovers, signal.SIGKILL)

    def outcome(self, code: int) -> tuple[str, str | None]:
        if self.failure is not None:
            return FAILED, self.failure
        if self.stop_requested:
            return CANCELLED, "cancelled"
        if code == 0:
            return FINISHED, None
        return FAILED, exit_reason(code)

    def record(self, code: int) -> None:
        status, reason = self.outcome(code)
        _say(f"{status}" + (f": {reason}" if reason else ""))
        record = load_record(self.run_dir)
        if record is None:
            return  # the run folder is gone or its record lost: nowhere to write
        record.status, record.reason = status, reason
        record.exit_code, record.ended_at = code, time.time()
        try:
            record.save(self.run_dir)
        except OSError as exc:
            _say(f"could not record the outcome: {exc}")


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not argv[2].isdigit():
        print("usage: python -m rewis3d.jobs.supervisor RUN_DIR PROJECT LOCK_FD", file=sys.stderr)
        return 2
    run_dir, project, lock_fd = Path(argv[0]), Path(argv[1]), int(argv[2])
    supervisor = Supervisor(run_dir, project, lock_fd, STOP_GRACE_S)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, supervisor.on_stop_signal)
    if sys.stdin.readline().strip() != "go":
        _mark_never_started(run_dir)
        return 1
    record = load_record(run_dir)
    if record is None:
        _say(f"no job record in {run_dir}; nothing to run")
        return 1
    supervisor.grace_s = record.grace_s
    code = (supervisor.run(record.chain(), record.current) if not supervisor.stop_requested
            else -signal.SIGTERM)
    supervisor.record(code)
    return 0 if code == 0 else 1


def _mark_never_started(run_dir: Path) -> None:
    """The starting process died before recording the job: say so instead of 'queued' forever."""
    record = load_record(run_dir) or JobRecord(run=run_dir.name, command=[])
    record.status, record.ended_at = FAILED, time.time()
    record.reason = "the process that started the job ended before the job was launched"
    record.save(run_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
