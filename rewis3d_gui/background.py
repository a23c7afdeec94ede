"""Run a library call that reports ``progress(done, total)`` in a thread, with a progress bar.

The library's progress callbacks run in the worker thread; a Qt signal with a queued
connection carries them to the GUI thread, so the bar moves while the viewer stays responsive.
Expected failures (``Rewis3dError`` and friends) end as a notification, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtCore import QObject, Qt, Signal
from qtpy.QtWidgets import QProgressBar


class _ProgressRelay(QObject):
    progressed = Signal(int, int)


def run_in_background(
    job: Callable[[Callable[[int, int], None]], Any],
    bar: QProgressBar,
    doing: str,
    on_done: Callable[[Any], None],
):
    """Start ``job(progress)`` in a napari thread worker and return the worker."""
    from napari.qt.threading import create_worker

    relay = _ProgressRelay()

    def show(done: int, total: int) -> None:
        if alive(bar):  # the panel may have closed while the job ran on
            bar.setRange(0, max(total, 1))
            bar.setValue(done)

    relay.progressed.connect(show, Qt.ConnectionType.QueuedConnection)
    worker = create_worker(  # our own "errored" handler replaces superqt's re-raise
        job, relay.progressed.emit, _start_thread=False,
        _connect={"returned": on_done, "errored": lambda exc: _failed(doing, exc)},
    )
    bar.setRange(0, 0)  # busy until the first report
    bar.setVisible(True)
    worker.finished.connect(lambda: alive(bar) and bar.setVisible(False))
    worker._progress_relay = relay  # keep the relay alive as long as the worker
    worker.start()
    return worker


def alive(widget) -> bool:
    """False once Qt has deleted ``widget`` (napari closed while a worker still ran)."""
    try:
        widget.objectName()
    except RuntimeError:
        return False
    return True


def _failed(doing: str, exc: Exception) -> None:
    """Expected failures read as a sentence; anything else is a bug and keeps its traceback."""
    from napari.utils.notifications import notification_manager, show_error

    from rewis3d.errors import Rewis3dError

    if isinstance(exc, Rewis3dError | OSError):
        show_error(f"Could not {doing}; nothing was changed: {exc}")
    else:
        notification_manager.receive_error(type(exc), exc, exc.__traceback__)
