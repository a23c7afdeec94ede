"""The CPU time estimate against the timings it was fitted to (tools/time_cpu.py: the released
architecture, random weights, one thread, 640x480 frames)."""

from __future__ import annotations

import pytest
from rewis3d_mapanything.estimate import RHO, chunk_seconds, describe, run_seconds

MEASURED = {1: 37.2, 2: 91.7, 4: 195.8, 8: 449.3}  # views per chunk -> seconds


@pytest.mark.parametrize("views", [2, 4, 8])
def test_one_view_scaled_by_the_curve_matches_the_measured_chunks(views):
    one_view = 44.1  # the fit's t(1); the first measured call (37 s) ran warmer
    assert chunk_seconds(one_view, views) == pytest.approx(MEASURED[views], rel=0.05)


def test_a_run_is_the_sum_of_its_chunks_and_grows_faster_than_its_views():
    assert run_seconds(10.0, [4, 4]) == pytest.approx(2 * chunk_seconds(10.0, 4))
    per_view = [chunk_seconds(10.0, n) / n for n in (1, 10, 100)]
    assert per_view == sorted(per_view) and per_view[2] / per_view[0] == pytest.approx(
        (1 + 100 * RHO) / (1 + RHO))


def test_durations_read_naturally():
    assert [describe(s) for s in (42, 600, 4 * 3600)] == ["42 s", "10 min", "4.0 h"]
