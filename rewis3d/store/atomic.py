"""Crash-safe writes: build aside, then rename into place.

A rename within one filesystem is atomic, so a reader (or a process restarted after SIGKILL)
sees either the old node or the new one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
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


@contextlib.contextmanager
def staged_directory(final: Path, staging_root: Path, overwrite: bool) -> Iterator[Path]:
    """Yield an empty staging folder; on success move it to ``final`` atomically.

    On any exception the staging folder is removed and ``final`` is untouched. With
    ``overwrite`` an existing ``final`` is swapped out (renamed aside, then deleted).
    """
    final = Path(final)
    staging_root.mkdir(parents=True, exist_ok=True)
    stage = staging_root / f"{final.name}.{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    try:
        yield stage
        final.parent.mkdir(parents=True, exist_ok=True)
        trash = None
        if final.exists():
            if not overwrite:
                raise FileExistsError(final)
            trash = staging_root / f"trash-{final.name}.{uuid.uuid4().hex[:8]}"
            os.replace(final, trash)
        os.replace(stage, final)
        fsync_dir(final.parent)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def clean_staging(staging_root: Path) -> None:
    """Remove leftovers of writes that a crash interrupted (never visible to readers)."""
    if staging_root.is_dir():
        for child in staging_root.iterdir():
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
