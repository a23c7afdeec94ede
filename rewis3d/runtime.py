"""How many CPU threads a background job should use when it shares the machine with the viewer.

torch's OpenMP threads spin-wait between parallel regions; when a core they count on is busy
with other work (napari, a second job), every small op waits for a time slice. Measured on this
2-core machine (`benchmarks/bench_threads.py`, cpu-quick Rewis3d step): idle, 2 threads 0.7-0.8 s
and 1 thread 1.0 s; with one core busy, 2 threads 2.8-3.0 s (libgomp's default waiting) or
1.2-1.4 s (``OMP_WAIT_POLICY=PASSIVE``, which in turn doubles the idle time) and 1 thread
0.8-0.9 s. So a job started from the GUI leaves one core to the viewer instead of tuning how
threads wait; a terminal run keeps torch's default (every core).
"""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def shared_machine_threads() -> int:
    """Threads for a job beside an interactive program: the usable cores minus one, at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def thread_environment(threads: int) -> dict[str, str]:
    """Environment variables that set torch's (and MKL's) default thread count in a new process."""
    return {name: str(threads) for name in THREAD_VARIABLES}
