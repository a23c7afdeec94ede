"""An inter-process lock for building derived data (indices) that several processes may want.

Two ranks of one DDP job, or the GUI and a CLI job, can open the same reconstruction at once
and each find its sampling index missing. Without a lock both build it, and one's rename
swaps the folder out from under the other's read. With it the second waits, then opens
the index the first stored.

The lock is an OS advisory lock on a small file (``flock`` on POSIX, ``msvcrt.locking`` on
Windows): the kernel releases it when the holder exits, even after SIGKILL, so a crash never
leaves a stale lock behind. Where the lock file cannot be created (a read-only project) the
block runs unlocked: nothing will be written there either.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after ~10 s; keep waiting
                continue

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def try_lock(fd: int) -> bool:
        """Take the exclusive lock of the open lock file ``fd`` if free; never waits."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False


def lock_path(final: Path) -> Path:
    """The lock file guarding ``final``: hidden, and not matched by ``.<name>.*`` staging globs."""
    final = Path(final)
    return final.parent / f".lock-{final.name}"


@contextlib.contextmanager
def build_lock(final: Path) -> Iterator[None]:
    """Hold the exclusive lock for (re)building ``final`` for the duration of the block."""
    with _held(final, wait=True):
        yield


class Busy(Exception):  # noqa: N818 - a state, caught by the caller to say who holds it
    """Another process holds the lock of ``claim``."""


@contextlib.contextmanager
def claim(final: Path) -> Iterator[None]:
    """Hold ``final``'s exclusive lock for the block, or raise :class:`Busy` at once when another
    process holds it (e.g. two trainings of one run). Read-only locations run unlocked."""
    with _held(final, wait=False):
        yield


def open_lock_file(path: Path) -> int:
    """A descriptor of the lock file ``path`` (created when missing). A lock taken on it lives
    as long as any copy of the descriptor: a job started with it inherited holds it."""
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


@contextlib.contextmanager
def _held(final: Path, wait: bool) -> Iterator[None]:
    try:
        fd = open_lock_file(lock_path(final))
    except OSError:  # read-only location: no writer can race us there
        yield
        return
    try:
        if wait:
            _lock(fd)
        elif not try_lock(fd):
            raise Busy(str(final))
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
