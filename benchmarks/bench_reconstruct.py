"""Reconstruction speed of the sensor-depth backend on the real 200-frame 7-Scenes sequence.

    .venv/bin/python benchmarks/bench_reconstruct.py [--stride 2] [--frames-stride 1]

Imports ../shared/data/7scenes-redkitchen into a temporary project (not timed), then times
``reconstruct_scene`` end to end (read depth + back-project + colours + confidence + write to
the store) for constant and multi-view-consistency confidence.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rewis3d.io.sevenscenes import read_7scenes
from rewis3d.io.source import import_frames
from rewis3d.reconstruct import reconstruct_scene
from rewis3d.store import Project

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "7scenes-redkitchen"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stride", type=int, default=2, help="pixel stride of the backend")
    parser.add_argument("--frames-stride", type=int, default=1, help="import every K-th frame")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"no test data at {DATA.resolve()}")
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "p", ["a"])
        t0 = time.perf_counter()
        scene = import_frames(project, "kitchen", read_7scenes(DATA, stride=args.frames_stride))
        print(f"import of {scene.num_frames} frames: {time.perf_counter() - t0:.1f} s "
              "(not part of the table)\n")
        print("| frames | pixel stride | confidence | points | seconds | points/s | frames/s |")
        print("|---|---|---|---|---|---|---|")
        for conf in ("constant", "consistency"):
            t0 = time.perf_counter()
            rec = reconstruct_scene(scene, "sensor-depth", name=conf,
                                    options={"stride": args.stride, "conf": conf})
            dt = time.perf_counter() - t0
            print(f"| {scene.num_frames} | {args.stride} | {conf} | {rec.num_points:,} | "
                  f"{dt:.1f} | {rec.num_points / dt:,.0f} | {scene.num_frames / dt:.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()
