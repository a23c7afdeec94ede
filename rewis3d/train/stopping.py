"""Stop a run at a step boundary, keeping its work: cancel means "checkpoint, then exit".

A job is cancelled with SIGTERM (``rewis3d.jobs``), a terminal run with Ctrl-C. Either one
only *requests* a stop while the trainer is in its loop: the step in flight finishes, a
checkpoint is written, and :class:`TrainingStopped` ends the run, so ``--resume`` continues
bit-for-bit from there. Before the loop (loading data, building the index) there is nothing
to keep and the signal stops the run at once. A second Ctrl-C is an ordinary
KeyboardInterrupt, for a person who does not want to wait for the step.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path


class TrainingStopped(Exception):  # noqa: N818 - a request honoured, not an error
    """The run stopped on request; ``checkpoint`` is where it can be resumed from (None when it
    stopped before the first step)."""

    def __init__(self, step: int, total_steps: int, checkpoint: Path | None):
        self.step, self.total_steps, self.checkpoint = step, total_steps, checkpoint
        where = f"checkpoint {checkpoint}" if checkpoint else "before its first step"
        super().__init__(f"stopped on request at step {step} of {total_steps} ({where})")


class StopRequest:
    """Set by SIGTERM/SIGINT (inside :meth:`installed`) or by :meth:`request`; read by the
    trainer."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._deferred = 0
        self.signal_name: str | None = None

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def request(self, reason: str = "request") -> None:
        self.signal_name = self.signal_name or reason
        self._event.set()

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """While inside, a signal only sets the flag (the trainer checks it after each step)."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Handle SIGTERM and SIGINT in this (the main) thread for the block, then put the
        previous handlers back (an in-process caller, e.g. a test runner, keeps its own)."""
        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.getsignal(sig) for sig in signals}
        for sig in signals:
            signal.signal(sig, self._on_signal)
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame) -> None:  # noqa: ANN001 - signal handler signature
        if signum == signal.SIGINT and self.requested:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt  # the second Ctrl-C: do not wait for the step
        self.request(signal.Signals(signum).name)
        if not self._deferred:
            raise TrainingStopped(0, 0, None)
