"""Process liveness that survives pid reuse, and ending a whole process group.

A pid alone is not an identity: after a reboot or a long time the kernel hands it to another
process. A job is identified by (pid, process start time); a zombie counts as ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import psutil

START_TIME_TOLERANCE_S = 0.05


def process_start_time(pid: int) -> float | None:
    """When ``pid`` started (seconds since the epoch), or None if there is no such process."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def find_process(pid: int | None, start_time: float | None) -> psutil.Process | None:
    """The running process that started at ``start_time`` as ``pid``, if it still runs."""
    if pid is None or start_time is None:
        return None
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - start_time) > START_TIME_TOLERANCE_S:
            return None  # the pid now belongs to another process
        return proc if proc.status() != psutil.STATUS_ZOMBIE else None
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def is_alive(pid: int | None, start_time: float | None) -> bool:
    """True while the process that started at ``start_time`` as ``pid`` still runs."""
    return find_process(pid, start_time) is not None


def descendants(pid: int) -> list[psutil.Process]:
    """Every process below ``pid`` (also those that left its process group)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def _running(procs: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return alive


def _signal(pgid: int, procs: list[psutil.Process], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
    signal_all(procs, sig)  # psutil checks that each pid still names the same process


def end_process_group(pgid: int, procs: list[psutil.Process], grace_s: float) -> bool:
    """SIGTERM the group and ``procs``; SIGKILL what is left after ``grace_s``.

    Returns True when everything ended within the grace period (no SIGKILL needed).
    """
    _signal(pgid, procs, signal.SIGTERM)
    if wait_gone(procs, grace_s):
        _signal(pgid, [], signal.SIGKILL)  # stragglers that joined the group late
        return True
    _signal(pgid, _running(procs), signal.SIGKILL)
    wait_gone(procs, 10.0)
    return False


def wait_gone(procs: list[psutil.Process], timeout_s: float) -> bool:
    """Poll until none of ``procs`` runs (zombies count as gone); False on timeout."""
    deadline = time.monotonic() + timeout_s
    while _running(procs):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def group_members(pgid: int, exclude: int) -> list[psutil.Process]:
    """The processes of group ``pgid`` except ``exclude`` (orphans included, unlike children)."""
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
            if proc.pid != exclude and os.getpgid(proc.pid) == pgid:
                members.append(proc)
    return members


def signal_all(procs: list[psutil.Process], sig: signal.Signals) -> None:
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.send_signal(sig)
