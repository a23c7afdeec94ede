"""Crash-safe writes: build aside, then rename into place.

A rename within one filesystem is atomic, so a reader (or a process restarted after SIGKILL)
sees either the old node or the new one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write a file via a temporary sibling + fsync + rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(path.parent)


def write_json_atomic(path: Path, obj: object) -> None:
    write_bytes_atomic(path, json.dumps(obj, indent=2).encode())


def fsync_dir(path: Path) -> None:
    """Persist a rename: fsync the directory entry (best effort on odd filesystems)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# A staging entry of another machine (a project on a shared file system) cannot be checked by
# pid; it is taken for abandoned only when it has not changed for this long.
OTHER_HOST_STALE_S = 24 * 3600


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"


def staging_name(base: str) -> str:
    """A unique staging entry name that records the writing process and its machine (see
    ``clean_staging``)."""
    return f"{base}.{os.getpid()}@{_host()}.{uuid.uuid4().hex[:8]}"


def remove_directory(path: Path, staging_root: Path) -> None:
    """Take ``path`` out of the store atomically (rename into staging), then delete it."""
    staging_root.mkdir(parents=True, exist_ok=True)
    trash = staging_root / staging_name(f"trash-{path.name}")
    os.replace(path, trash)
    fsync_dir(path.parent)
    shutil.rmtree(trash, ignore_errors=True)


@contextlib.contextmanager
def staged_directory(final: Path, staging_root: Path, overwrite: bool) -> Iterator[Path]:
    """Yield an empty staging folder; on success move it to ``final`` atomically.

    On any exception the staging folder is removed and ``final`` is untouched. With
    ``overwrite`` an existing ``final`` is swapped out (renamed aside, then deleted).
    """
    final = Path(final)
    staging_root.mkdir(parents=True, exist_ok=True)
    stage = staging_root / staging_name(final.name)
    stage.mkdir()
    try:
        yield stage
        final.parent.mkdir(parents=True, exist_ok=True)
        trash = None
        if final.exists():
            if not overwrite:
                raise FileExistsError(final)
            trash = staging_root / staging_name(f"trash-{final.name}")
            os.replace(final, trash)
        os.replace(stage, final)
        fsync_dir(final.parent)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def clean_staging(staging_root: Path) -> None:
    """Remove leftovers of writes that a crash interrupted (never visible to readers).

    An entry whose writing process is still alive is another process's write in progress (a
    training job writing predictions while the GUI opens the project): it is left alone.
    """
    if not staging_root.is_dir():
        return
    for child in staging_root.iterdir():
        if _writer_alive(child):
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _writer_alive(entry: Path) -> bool:
    parts = entry.name.rsplit(".", 2)
    if len(parts) != 3:
        return False
    pid_text, _, host = parts[1].partition("@")
    if not pid_text.isdigit():
        return False
    if host and host != _host():  # another machine's write: its pids mean nothing here
        try:
            return time.time() - entry.stat().st_mtime < OTHER_HOST_STALE_S
        except OSError:
            return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
