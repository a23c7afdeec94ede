"""The inter-process build lock: one holder at a time, released when the holder dies."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time

import pytest

from rewis3d.store.locking import build_lock, lock_path

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="uses fork")


def hold(final, log, seconds):
    with build_lock(final):
        with open(log, "a") as fh:
            fh.write(f"in {os.getpid()}\n")
        time.sleep(seconds)
        with open(log, "a") as fh:
            fh.write(f"out {os.getpid()}\n")


def test_holders_never_overlap(tmp_path):
    final, log = tmp_path / "index", tmp_path / "log"
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=hold, args=(final, log, 0.2)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    lines = log.read_text().split()
    events = list(zip(lines[::2], lines[1::2], strict=True))
    assert len(events) == 6
    for enter, leave in zip(events[::2], events[1::2], strict=True):  # in A, out A, in B, ...
        assert enter[0] == "in" and leave[0] == "out" and enter[1] == leave[1]


def test_a_killed_holder_releases_the_lock(tmp_path):
    final, log = tmp_path / "index", tmp_path / "log"
    ctx = mp.get_context("fork")
    holder = ctx.Process(target=hold, args=(final, log, 60))
    holder.start()
    deadline = time.monotonic() + 20
    while not (log.exists() and log.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)
    start = time.monotonic()
    with build_lock(final):
        pass
    assert time.monotonic() - start < 5


def test_lock_file_is_not_a_staging_leftover(tmp_path):
    final = tmp_path / "sampling_index"
    with build_lock(final):
        assert lock_path(final).is_file()
    assert not list(tmp_path.glob(f".{final.name}.*"))  # write_group's staging leftovers (clean_staged_siblings)


def test_unwritable_location_runs_unlocked(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "index"
    ran = []
    with build_lock(missing):
        ran.append(True)
    assert ran == [True]
