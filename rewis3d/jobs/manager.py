"""``JobManager``: start, list, watch, cancel, resume and re-attach to a project's background jobs.

A job is a supervisor process (see ``supervisor.py``) in its own session that runs a chain of
commands, usually ``rewis3d train PROJECT ... --run RUN`` then ``rewis3d predict``. Everything about it lives in ``runs/<run>/``
(job.json, log, lock, events.jsonl), so any process can find it again: a GUI that was closed and
reopened, or ``rewis3d jobs PROJECT ...`` in a terminal. No threads: poll ``status`` and
``Job.poll`` from a timer.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rewis3d.errors import JobError, NotAProjectError, RunBusyError, UnknownRunError
from rewis3d.jobs.events import EventStream, read_events_since
from rewis3d.jobs.processes import (
    descendants,
    end_process_group,
    find_process,
    group_members,
    process_start_time,
)
from rewis3d.jobs.record import (
    CANCELLED,
    FAILED,
    RUNNING,
    STOP_GRACE_S,
    TERMINAL,
    JobRecord,
    load_record,
)
from rewis3d.jobs.status import JobStatus, derive_status
from rewis3d.runtime import thread_environment
from rewis3d.store.locking import open_lock_file, try_lock
from rewis3d.store.scene import check_name
from rewis3d.store.schema import (
    CANCEL_FILE,
    EVENTS_FILE,
    JOB_FILE,
    LOCK_FILE,
    LOG_FILE,
    STORE_NAME,
)

DEFAULT_GRACE_S = STOP_GRACE_S
EXITING_SUPERVISOR_WAIT_S = 5.0


def default_command() -> list[str]:
    """``rewis3d`` run by this very interpreter (so the job sees the same environment)."""
    return [sys.executable, "-c",
            "import sys; from rewis3d.cli import main; sys.exit(main(prog_name='rewis3d'))"]


class Job:
    """A handle on one run's job for a GUI timer: ``poll()`` new events, ``status()``, ``cancel()``."""

    def __init__(self, manager: JobManager, run: str):
        self.manager = manager
        self.run = run
        self.stream = EventStream(manager.run_dir(run) / EVENTS_FILE)

    def poll(self) -> list[dict]:
        return self.stream.poll()

    def status(self) -> JobStatus:
        return self.manager.status(self.run)

    def cancel(self, grace_s: float | None = None) -> JobStatus:
        return self.manager.cancel(self.run, grace_s)


class JobManager:
    """The background jobs of one project. ``command`` is the program prefix (default: rewis3d)."""

    def __init__(self, project: str | Path, command: Sequence[str] | None = None,
                 grace_s: float = DEFAULT_GRACE_S, threads: int | None = None):
        """``threads``: the CPU threads of the jobs' processes (default: what the environment
        says); a GUI passes :func:`rewis3d.runtime.shared_machine_threads`."""
        self.project = Path(project).absolute()
        _require_project(self.project)
        self.command = list(command) if command else default_command()
        self.grace_s = grace_s
        self.threads = threads
        self._launched: dict[str, subprocess.Popen] = {}
        self._last_seen: dict[str, JobRecord] = {}

    def run_dir(self, run: str) -> Path:
        return self.project / "runs" / check_name(run, "run")

    # -- start -----------------------------------------------------------------------------
    def start(self, args: Sequence[str], run: str) -> Job:
        """Launch ``command + args`` as the job of ``run``; refused while ``run`` is running."""
        return self.start_chain(run, [(str(args[0]) if args else "job", args)])

    def start_chain(self, run: str, steps: Sequence[tuple[str, Sequence[str]]]) -> Job:
        """Launch one job that runs ``command + args`` of each ``(label, args)`` in turn, the
        next only once the one before succeeded (e.g. train, then predict). The job owns the
        chain: it goes on with the viewer closed, and ``status`` says which step runs."""
        if not steps:
            raise ValueError("a job needs at least one step")
        _require_project(self.project)
        run_dir = self.run_dir(run)
        run_dir.mkdir(parents=True, exist_ok=True)
        lock_fd = open_lock_file(run_dir / LOCK_FILE)
        try:
            if not self._lock(lock_fd, run_dir):
                raise RunBusyError(self._busy_message(run))
            chain = [{"label": label, "command": [*self.command, *map(str, args)]}
                     for label, args in steps]
            record = JobRecord(run=run, command=chain[0]["command"], steps=chain,
                               grace_s=self.grace_s)
            self._launch(run_dir, record, lock_fd)
        finally:
            os.close(lock_fd)  # the job holds its own copies of the locked descriptor
        return Job(self, run)

    @staticmethod
    def _lock(lock_fd: int, run_dir: Path) -> bool:
        """Take the run's lock; wait briefly when its last job recorded its end and is exiting."""
        deadline = time.monotonic() + EXITING_SUPERVISOR_WAIT_S
        while True:
            if try_lock(lock_fd):
                return True
            record = load_record(run_dir)
            if record is None or record.status not in TERMINAL or time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def _launch(self, run_dir: Path, record: JobRecord, lock_fd: int) -> None:
        (run_dir / CANCEL_FILE).unlink(missing_ok=True)
        record.save(run_dir)
        supervisor = [sys.executable, "-m", "rewis3d.jobs.supervisor", str(run_dir),
                      str(self.project), str(lock_fd)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.threads is not None:
            env.update(thread_environment(self.threads))
        try:
            with open(run_dir / LOG_FILE, "ab") as log:
                launcher = subprocess.Popen(
                    supervisor, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                    cwd=self.project, env=env, start_new_session=True, pass_fds=(lock_fd,))
        except OSError as exc:
            record.status, record.reason, record.ended_at = FAILED, str(exc), time.time()
            record.save(run_dir)
            raise JobError(f"could not start the job of run {record.run!r}: {exc}") from None
        self._launched[record.run] = launcher
        record.pid = record.pgid = launcher.pid
        record.process_start_time = process_start_time(launcher.pid)
        record.status = RUNNING
        record.save(run_dir)
        with contextlib.suppress(BrokenPipeError):
            launcher.stdin.write(b"go\n")  # the record is written: the supervisor may run
            launcher.stdin.close()
        self._last_seen[record.run] = record

    def _busy_message(self, run: str) -> str:
        record = load_record(self.run_dir(run))
        since = ""
        if record is not None and record.pid:
            started = time.strftime("%H:%M:%S", time.localtime(record.created_at))
            since = f" (pid {record.pid}, started {started})"
        return (f"run {run!r} of {self.project} is being written by another job{since}; wait for "
                f"it, cancel it (`rewis3d jobs {self.project} cancel {run}`), or pick another "
                "run name")

    def resume(self, run: str, args: Sequence[str] | None = None) -> Job:
        """Start ``run`` again: by default its chain from the step it ended in, a training step
        as ``train PROJECT --resume RUN`` (from its last checkpoint)."""
        if args is not None:
            return self.start(args, run)
        record = self._record(run)
        prefix = len(self.command)
        steps = []
        for step in record.chain()[record.current:]:
            command = step["command"]
            own = command[prefix:] if command[:prefix] == self.command else []
            if not own or own[0] == "train":
                own = ["train", str(self.project), "--resume", run]
            steps.append((step["label"], own))
        return self.start_chain(run, steps)

    # -- observe ---------------------------------------------------------------------------
    def status(self, run: str) -> JobStatus:
        """The job's state now; a failed one carries the last lines of its log."""
        self._reap()
        if not _is_project(self.project):
            return self._project_gone_status(run)
        record = self._record(run)
        self._last_seen[run] = record
        return derive_status(self.run_dir(run), record, launched_here=run in self._launched)

    def list(self) -> list[JobStatus]:
        """Every job of the project, oldest first."""
        if not _is_project(self.project):
            return [self._project_gone_status(run) for run in sorted(self._last_seen)]
        return sorted((self.status(run) for run in self.job_runs()),
                      key=lambda s: s.created_at or 0)

    def job_runs(self) -> list[str]:
        runs = self.project / "runs"
        if not runs.is_dir():
            return []
        return sorted(p.name for p in runs.iterdir() if (p / JOB_FILE).is_file())

    def events(self, run: str, since: int = 0) -> tuple[list[dict], int]:
        """Events written after byte offset ``since``, and the offset to pass next time."""
        self._record(run)
        return read_events_since(self.run_dir(run) / EVENTS_FILE, since)

    def attach(self, run: str) -> Job:
        """A handle on an existing job, e.g. one started before the GUI was reopened."""
        self._record(run)
        return Job(self, run)

    # -- cancel ----------------------------------------------------------------------------
    def cancel(self, run: str, grace_s: float | None = None) -> JobStatus:
        """SIGTERM the job's process group, SIGKILL it after ``grace_s``; return the new status.

        Cancelling a job that already ended changes nothing and returns its status.
        """
        record = self._record(run)
        run_dir = self.run_dir(run)
        if record.status in TERMINAL or record.pid is None:
            return self.status(run)
        leader = find_process(record.pid, record.process_start_time)
        # Without its supervisor, the group id still names the job while any member lives.
        procs = [leader, *descendants(leader.pid)] if leader else group_members(record.pgid or record.pid, -1)
        if not procs:
            return self.status(run)
        (run_dir / CANCEL_FILE).touch()
        end_process_group(record.pgid or record.pid, procs,
                          self.grace_s if grace_s is None else grace_s)
        self._reap()
        after = load_record(run_dir)
        same_job = after is not None and (after.pid, after.created_at) == (record.pid,
                                                                         record.created_at)
        if same_job and after.status not in TERMINAL:
            # The supervisor was SIGKILLed before it could write; nobody else writes now. (A
            # record of another job means the run was started again meanwhile: leave it.)
            after.status, after.reason, after.ended_at = CANCELLED, "cancelled", time.time()
            after.save(run_dir)
        return self.status(run)

    # -- helpers ---------------------------------------------------------------------------
    def _record(self, run: str) -> JobRecord:
        record = load_record(self.run_dir(run))
        if record is None:
            have = ", ".join(self.job_runs()) or "none"
            raise UnknownRunError(f"project {self.project} has no job for run {run!r} "
                                  f"(jobs: {have})")
        return record

    def _reap(self) -> None:
        """Collect launchers that ended, so they do not linger as zombies of this process."""
        for run, launcher in list(self._launched.items()):
            if launcher.poll() is not None:
                del self._launched[run]

    def _project_gone_status(self, run: str) -> JobStatus:
        """Without the folder only what this manager saw is left; a running job is lost."""
        record = self._last_seen.get(run)
        if record is None:
            raise JobError(f"the project folder {self.project} is gone (moved or deleted)")
        gone = f"the project folder {self.project} was moved or deleted"
        state, reason = record.status, f"{record.reason or record.status}; then {gone}"
        if state not in TERMINAL:
            state, reason = FAILED, f"{gone} while the job ran; its processes stop by themselves"
        return JobStatus(run, state, list(record.command), record.pid, record.created_at,
                         record.ended_at, record.exit_code, reason)


def _is_project(path: Path) -> bool:
    return (path / STORE_NAME / "zarr.json").is_file()


def _require_project(path: Path) -> None:
    """A light check: ``Project.open`` would also clear staging, which a running job may use."""
    if not path.is_dir():
        raise NotAProjectError(f"{path}: no such folder. Create a project with "
                               "`rewis3d import ...` or `rewis3d sample ...`")
    if not _is_project(path):
        raise NotAProjectError(f"{path} is not a Rewis3d project (no {STORE_NAME}/zarr.json); "
                               "pick the project folder, or create one with `rewis3d sample` "
                               "or `rewis3d import`")
