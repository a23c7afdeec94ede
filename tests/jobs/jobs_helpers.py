"""Helpers shared by the job tests: the fake worker command and polling with a deadline."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

FAKE_WORKER = Path(__file__).with_name("fake_worker.py")
FAKE_COMMAND = [sys.executable, str(FAKE_WORKER)]
TIMEOUT_S = 30.0  # generous: the test machine may be loaded


def wait_for(predicate: Callable[[], object], what: str, timeout_s: float = TIMEOUT_S):
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.05)


def gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (a zombie awaiting its parent counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def worker_args(project: Path, run: str, *extra: str) -> list[str]:
    return ["train", str(project), "--run", run, *extra]
