"""``runs/<run>/events.jsonl``: one JSON object per line, flushed at once, so a GUI or a
``tail -f`` sees training progress live and a crash loses at most the line being written."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path

from rewis3d.store.atomic import write_bytes_atomic

EVENTS = "events.jsonl"


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


class EventLog:
    def __init__(self, run_dir: Path, enabled: bool = True):
        self.path = run_dir / EVENTS
        self.enabled = enabled  # False on data-parallel ranks other than 0: they write nothing
        self._lock = threading.Lock()  # the progress heartbeat writes from its own thread

    def write(self, kind: str, **fields) -> dict:
        event = {"kind": kind, "time": time.time(), **_finite(fields)}
        if not self.enabled:
            return event
        line = json.dumps(event) + "\n"
        with self._lock:
            if not self.path.parent.is_dir():  # a Trainer made outside run_training
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as f:
                f.write(line)
                f.flush()
        return event

    def truncate_after(self, step: int) -> None:
        """Drop events past ``step`` (a resumed run rewrites them), and the ``stopped`` event
        of the interruption being resumed: the log reads as one run."""
        if not self.enabled:
            return
        kept = [e for e in read_events(self.path.parent)
                if e.get("step", 0) <= step and e.get("kind") != "stopped"]
        # atomic: a kill here keeps the old log whole
        write_bytes_atomic(self.path, "".join(json.dumps(e) + "\n" for e in kept).encode())


def read_events(run_dir: Path, kind: str | None = None) -> list[dict]:
    path = Path(run_dir) / EVENTS
    if not path.is_file():
        return []
    events = []
    for line in path.read_text().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line after a crash
        if kind is None or event.get("kind") == kind:
            events.append(event)
    return events
