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
    """Replace the file ``path`` with ``data`` (see ``write_aside``)."""
    with write_aside(path) as tmp:
        tmp.write_bytes(data)


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


def fsync_tree(root: Path) -> None:
    """Flush a file, or every file and folder under ``root``, to disk: a rename must never
    reach the disk before the content it names."""
    root = Path(root)
    if root.is_file():
        with open(root, "rb") as fh:
            os.fsync(fh.fileno())
        return
    for entry in root.rglob("*"):
        if entry.is_file():
            with open(entry, "rb") as fh:
                os.fsync(fh.fileno())
        else:
            fsync_dir(entry)
    fsync_dir(root)


@contextlib.contextmanager
def write_aside(final: Path, directory: bool = False, staging_root: Path | None = None,
                overwrite: bool = True, old: Path | None = None) -> Iterator[Path]:
    """The one way anything is written where a crash could tear it: the block writes a staging
    path (a new empty folder with ``directory``, else a path to create: a file, or a folder
    the block makes), which is then fsynced and renamed onto ``final``. A reader, or a
    process restarted after SIGKILL, sees the old ``final`` or the new one, never a
    half-written one.

    The staging entry lives in ``staging_root`` (default: a hidden sibling of ``final``) and is
    named by ``staging_name``, so ``clean_staging`` can tell a crashed write from a live one.
    An existing ``final`` is refused without ``overwrite``; otherwise it is renamed to ``old``
    (default: a staging entry) before the new one takes its place and deleted after, so a
    reader that knows ``old`` can fall back to it in between. On any exception the staging
    entry is removed and ``final`` is untouched.
    """
    final = Path(final)
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    if staging_root is None:
        stage = parent / staging_name(f".{final.name}")
    else:
        staging_root.mkdir(parents=True, exist_ok=True)
        stage = staging_root / staging_name(final.name)
    if directory:
        stage.mkdir()
    try:
        yield stage
        fsync_tree(stage)
        if final.exists():
            if not overwrite:
                raise FileExistsError(final)
            if final.is_dir():  # a rename cannot replace a folder: move it out of the way
                old = old or stage.with_name(staging_name(f".trash-{final.name}"))
                _remove(old)
                os.replace(final, old)
        os.replace(stage, final)
        fsync_dir(parent)
        if old is not None:
            _remove(old)
    finally:
        _remove(stage)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


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
        _remove(child)


def clean_staged_siblings(final: Path) -> None:
    """``clean_staging`` for writes staged beside ``final`` (``write_aside`` without a
    staging root): its hidden ``.NAME.*`` and ``.trash-NAME.*`` siblings of dead writers."""
    final = Path(final)
    if not final.parent.is_dir():
        return
    for pattern in (f".{final.name}.*", f".trash-{final.name}.*"):
        for child in final.parent.glob(pattern):
            if not _writer_alive(child):
                _remove(child)


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
