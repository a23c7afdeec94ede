"""Live progress of a run: ``progress`` events in ``events.jsonl`` with a phase, the step and an
ETA, from the first second and then at least every ``interval`` seconds.

Step events come every ``run.log_every`` steps, which on a loaded CPU can be minutes apart; the
GUI and the CLI need more: what the run is doing now (``preparing data``, ``building sampling
index``, ``training``, ``evaluating``, ``predicting``, ``exporting``), and how long it will take.
A daemon thread writes a heartbeat when nothing was written for ``interval`` seconds, so even a
single long step (or an index build) shows that the run is alive and where it is.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

PHASES = ("preparing data", "building sampling index", "training", "evaluating", "predicting",
          "exporting")


class Progress:
    """Phase, step and ETA of a run, written as ``progress`` events through ``write``."""

    def __init__(self, write: Callable[..., dict], interval: float = 2.0,
                 emit: Callable[[dict], None] | None = None, window: int = 20):
        self._write, self._emit = write, emit
        self.interval = interval
        self.phase, self.detail = PHASES[0], ""
        self.step, self.total_steps = 0, 0
        self._durations: deque[float] = deque(maxlen=window)  # recent step times (s)
        self._step_started: float | None = None
        self._last_write = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what the run reports -----------------------------------------------------------
    def enter(self, phase: str, detail: str = "") -> None:
        """A new phase (always written)."""
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; phases: {', '.join(PHASES)}")
        with self._lock:
            self.phase, self.detail = phase, detail
        self.write()

    def advance(self, detail: str) -> None:
        """Where the phase is now (e.g. "scene s: 12/80"); written when ``interval`` passed."""
        with self._lock:
            self.detail = detail
            due = time.monotonic() - self._last_write >= self.interval
        if due:
            self.write()

    def step_started(self, step: int, total_steps: int) -> None:
        with self._lock:
            self.step, self.total_steps = step, total_steps
            self._step_started = time.monotonic()

    def step_done(self, step: int) -> None:
        """Record the step's duration; written after the first step timed (so an ETA shows at
        once) and then whenever ``interval`` passed."""
        now = time.monotonic()
        with self._lock:
            first = not self._durations
            if self._step_started is not None:
                self._durations.append(now - self._step_started)
            self.step, self._step_started = step, None
            due = first or now - self._last_write >= self.interval
        if due:
            self.write()

    def eta_seconds(self) -> float | None:
        """Remaining steps x the mean of the recent step times (None before the first step)."""
        if not self._durations or not self.total_steps:
            return None
        return sum(self._durations) / len(self._durations) * max(0, self.total_steps - self.step)

    def write(self) -> dict:
        with self._lock:
            eta = self.eta_seconds()
            fields = {"phase": self.phase, "step": self.step, "total_steps": self.total_steps}
            if self.detail:
                fields["detail"] = self.detail
            if eta is not None:
                fields["eta_s"] = round(eta, 1)
                fields["step_s"] = round(sum(self._durations) / len(self._durations), 3)
            self._last_write = time.monotonic()
        event = self._write("progress", **fields)
        if self._emit is not None:
            self._emit(event)
        return event

    # -- heartbeat ----------------------------------------------------------------------
    def start(self) -> Progress:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._beat, name="rewis3d-progress",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _beat(self) -> None:
        while not self._stop.wait(self.interval / 4):
            if time.monotonic() - self._last_write >= self.interval:
                self.write()

    def __enter__(self) -> Progress:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
