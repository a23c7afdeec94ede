"""Tail-follow ``runs/<run>/events.jsonl`` without threads: each poll reads only what is new.

The writer appends one JSON line per event; a reader can catch a line half written. Only
complete lines are consumed, so the byte offset always sits at a line start and the torn tail
is read again, whole, on the next poll. A file that was replaced (a resumed run rewrites its
events through a new file: another inode) or that shrank is read again from the start, even
when the new file is longer than the old offset.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MAX_READ_BYTES = 8 * 1024 * 1024


def read_events_since(path: Path, offset: int = 0) -> tuple[list[dict], int]:
    """Events of complete lines after byte ``offset`` and the offset to pass next time."""
    events, new_offset, _, _ = _read(Path(path), offset)
    return events, new_offset


def _read(path: Path, offset: int, identity: tuple[int, int] | None = None
          ) -> tuple[list[dict], int, bool, tuple[int, int] | None]:
    """(events, next offset, restarted, the file's (device, inode)); ``identity`` is the one
    seen at the last poll: another file under the same name is read from its start."""
    restarted = False
    try:
        with open(path, "rb") as fh:
            stat = os.fstat(fh.fileno())
            now = (stat.st_dev, stat.st_ino)
            size = fh.seek(0, 2)
            if size < offset or (identity is not None and now != identity and offset):
                offset, restarted = 0, True  # truncated or replaced: start over
            fh.seek(offset)
            chunk = fh.read(min(size - offset, MAX_READ_BYTES))
    except FileNotFoundError:
        return [], 0, offset > 0, None
    end = chunk.rfind(b"\n")
    if end < 0:
        return [], offset, restarted, now
    events = []
    for line in chunk[: end + 1].splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line torn by a crash, followed by the next run's lines
        if isinstance(event, dict):
            events.append(event)
    return events, offset + end + 1, restarted, now


class EventStream:
    """A cursor over one events file for a GUI timer: ``poll()`` returns the new events.

    ``restarted`` is True after a poll that found the file replaced or shorter than before
    (the events already shown were rewritten; a plot should clear and redraw from the returned
    events).
    """

    def __init__(self, path: Path, offset: int = 0):
        self.path = Path(path)
        self.offset = offset
        self.restarted = False
        self._identity: tuple[int, int] | None = None

    def poll(self) -> list[dict]:
        events, self.offset, self.restarted, self._identity = _read(self.path, self.offset,
                                                                    self._identity)
        return events
