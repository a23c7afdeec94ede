"""Propagation preview: time to an updated preview after one new stroke (2M points, 100 frames).

    .venv/bin/python benchmarks/bench_propagation.py [--points 2e6] [--frames 100] [--quick]
        [--json OUT.json]      # key numbers for run_all.py (also printed as a RESULT line)

Each frame sees a 1 cm-per-pixel patch of a floor, shifted 10 cm from the previous frame (so
~90 % overlap, like a slow video). Ten frames carry labels first; then each timed stroke (a
31x31 px square of one class in a random frame) runs ``update_frame`` and re-renders every
frame whose preview changed -- what the GUI needs before it can redraw. Baseline in the same
run: re-rendering every frame after the stroke (what a non-incremental preview would do).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from rewis3d.geometry import PropagationConfig, PropagationPreview


def floor_scene(num_points: int, frames: int):
    per = num_points // frames
    w = int(np.sqrt(per * 1.28))
    h = per // w
    v, u = np.mgrid[0:h, 0:w]
    pixel = np.stack([v.ravel(), u.ravel()], axis=1).astype(np.int32)
    rng = np.random.default_rng(0)
    parts = []
    for f in range(frames):
        pts = np.stack([u.ravel() * 0.01 + 0.1 * f, v.ravel() * 0.01,
                        rng.normal(scale=0.002, size=h * w)], axis=1)
        parts.append(pts.astype(np.float32))
    points = np.concatenate(parts)
    return points, np.tile(pixel, (frames, 1)), np.arange(frames + 1) * h * w, (h, w)


def square_stroke(size, rng, cls):
    labels = np.full(size, 255, dtype=np.uint8)
    v, u = rng.integers(0, size[0] - 31), rng.integers(0, size[1] - 31)
    labels[v : v + 31, u : u + 31] = cls
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=float, default=2e6)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--strokes", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="5 strokes")
    parser.add_argument("--json", type=Path, help="write the key numbers here")
    args = parser.parse_args()
    if args.quick:
        args.strokes = 5
    points, pixel, frame_ptr, size = floor_scene(int(args.points), args.frames)
    rng = np.random.default_rng(1)
    config = PropagationConfig(voxel_size=0.05, radius=0.3)
    t0 = time.perf_counter()
    preview = PropagationPreview.from_arrays(points, pixel, frame_ptr, size, 4, config)
    build = time.perf_counter() - t0
    current = {}
    for f in rng.choice(args.frames, 10, replace=False):
        current[int(f)] = square_stroke(size, rng, int(rng.integers(0, 4)))
        preview.update_frame(int(f), current[int(f)])
    for f in range(args.frames):
        preview.frame_labels(f)
    times, dirty_counts = [], []
    for _ in range(args.strokes):
        f = int(rng.integers(0, args.frames))
        labels = current.get(f, np.full(size, 255, np.uint8))
        stroke = square_stroke(size, rng, int(rng.integers(0, 4)))
        labels = np.where(stroke != 255, stroke, labels)
        current[f] = labels
        t0 = time.perf_counter()
        dirty = preview.update_frame(f, labels)
        for g in dirty:
            preview.frame_labels(g)
        times.append(time.perf_counter() - t0)
        dirty_counts.append(len(dirty))
    t0 = time.perf_counter()
    for g in range(args.frames):
        preview.frame_labels(g)
    all_frames_ms = (time.perf_counter() - t0) * 1000
    print("| points | frames | image | build s | stroke -> updated preview ms (median / max) "
          "| frames re-rendered (median) |")
    print("|---|---|---|---|---|---|")
    print(f"| {len(points) / 1e6:.1f}M | {args.frames} | {size[1]}x{size[0]} | {build:.2f} | "
          f"{statistics.median(times) * 1000:.0f} / {max(times) * 1000:.0f} | "
          f"{statistics.median(dirty_counts):.0f} |")
    median_ms = statistics.median(times) * 1000
    print(f"baseline: re-render all {args.frames} frames {all_frames_ms:.0f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")
    result = {"points": len(points), "frames": args.frames, "build_s": build,
              "median_ms": median_ms, "max_ms": max(times) * 1000,
              "baseline_all_frames_ms": all_frames_ms, "load": os.getloadavg()[0]}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
