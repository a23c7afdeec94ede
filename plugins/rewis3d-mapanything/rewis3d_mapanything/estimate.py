"""How long a MapAnything run will take on a CPU, said before the long part starts.

A run's time per chunk of n views grows faster than n: every view costs the encoder and the
heads (linear), and the multi-view transformer's global attention costs every pair of views
(quadratic). Timed with the released architecture (random weights, ``tools/time_cpu.py``, one
thread of this project's 2-core CPU, 640x480 frames -> 518x392 model input): 1, 2, 4, 8 views
took 37, 92, 196, 449 s, fitted by t(n) = a n (1 + RHO n) with RHO = 0.04. The backend times
one view on the user's machine (``a (1 + RHO)``) and scales it by that curve.
"""

from __future__ import annotations

RHO = 0.04  # quadratic (view-pair) cost per view, relative to the linear cost of one view


def chunk_seconds(one_view_s: float, views: int) -> float:
    """Estimated seconds of one chunk of ``views`` views, from the time of a single view."""
    return one_view_s * views * (1 + RHO * views) / (1 + RHO)


def run_seconds(one_view_s: float, chunk_views: list[int]) -> float:
    return sum(chunk_seconds(one_view_s, n) for n in chunk_views)


def describe(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
