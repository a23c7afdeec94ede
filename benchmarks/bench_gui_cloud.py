"""Opening the napari 3D view of a 20M-point reconstruction (budget: shown in <= 3 s).

    xvfb-run -a .venv/bin/python benchmarks/bench_gui_cloud.py [--points 20e6] [--quick]
        [--json OUT.json]      # key numbers for run_all.py (also printed as a RESULT line)

The scene is bench_sampling's synthetic reconstruction (random points in 100 views) written to a
project store. Timed, each from a fresh ``Reconstruction`` until napari has rendered a frame
of the 3D canvas (``viewer.screenshot``): the first open (draws the display subset from every
chunk and stores it with the reconstruction), a later open (reads the stored subset only). The
baseline in the same run is what the layer did before level of detail: reading the
reconstruction's points, colours, confidence and pixels in full.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402
from bench_sampling import write_scene  # noqa: E402


def open_view(viewer, project: Path, budget: int) -> tuple[float, int]:
    from rewis3d.store import Project
    from rewis3d_gui.cloud_layer import CloudView

    t0 = time.perf_counter()
    rec = Project.open(project).scene("s").reconstruction("r")
    cloud = CloudView(rec, np.zeros((2, 4), np.float32), budget)
    viewer.add_layer(cloud.layer)
    viewer.dims.ndisplay = 3
    viewer.reset_view()
    viewer.screenshot(canvas_only=True)  # a rendered frame
    seconds = time.perf_counter() - t0
    shown = len(cloud.layer.data)
    viewer.layers.clear()
    return seconds, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=float, default=20e6)
    parser.add_argument("--quick", action="store_true", help="2M points")
    parser.add_argument("--budget", type=int, help="display budget (default: the layer's)")
    parser.add_argument("--json", type=Path, help="write the key numbers here")
    args = parser.parse_args()
    n = int(2e6 if args.quick else args.points)
    import napari

    from rewis3d_gui.cloud_layer import DEFAULT_DISPLAY_BUDGET

    args.budget = args.budget or DEFAULT_DISPLAY_BUDGET

    with tempfile.TemporaryDirectory(prefix="rewis3d-bench-cloud-") as tmp:
        t0 = time.perf_counter()
        project = write_scene(Path(tmp), n)
        print(f"scene: {n:,} points written in {time.perf_counter() - t0:.1f} s", flush=True)
        viewer = napari.Viewer(show=True)
        t0 = time.perf_counter()  # napari's one-time 3D set-up (shaders), not the cloud's
        viewer.add_points(np.zeros((4, 3)), ndim=3)
        viewer.dims.ndisplay = 3
        viewer.screenshot(canvas_only=True)
        viewer.layers.clear()
        warmup = time.perf_counter() - t0
        first, shown = open_view(viewer, project, args.budget)
        later, _ = open_view(viewer, project, args.budget)
        viewer.close()
        from rewis3d.store import Project

        rec = Project.open(project).scene("s").reconstruction("r")
        t0 = time.perf_counter()
        for name in ("points", "colors", "conf", "pixel"):
            np.asarray(getattr(rec, name)[:])
        full_read = time.perf_counter() - t0
    load = os.getloadavg()[0]
    print_table(
        f"napari 3D view of {n:,} points ({shown:,} shown; load avg {load:.1f})",
        ["step", "seconds", "ratio to full read", "budget"],
        [["baseline: read all arrays in full (no display)", round(full_read, 2), 1.0, ""],
         ["napari 3D warm-up (4 points; once per viewer)", round(warmup, 2), "", ""],
         ["first open: draw + store the display subset, render", round(first, 2),
          round(first / full_read, 2), "<= 3 s"],
         ["later open: stored subset, render", round(later, 2), round(later / full_read, 2),
          "<= 3 s"]])
    result = {"points": n, "shown": shown, "first_open_s": first, "later_open_s": later,
              "full_read_s": full_read, "warmup_s": warmup, "load": load}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
