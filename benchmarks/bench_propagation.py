"""Propagation preview: build time and memory, and time to an updated preview after a stroke.

    .venv/bin/python benchmarks/bench_propagation.py [--points 2e6] [--frames 100] [--quick]
        [--json OUT.json]      # key numbers for run_all.py (also printed as a RESULT line)
    .venv/bin/python benchmarks/bench_propagation.py --points 60e6 --quick   # ~3 GB disk

The scene is written to a project store as a reconstruction (default 2M points, 100 frames).
A fresh subprocess then builds the stored preview index chunk by chunk
(``rewis3d.derived.preview.open_preview``), reports its time, peak RSS (``VmHWM``) and anonymous
RSS (``RssAnon`` of /proc/self/status: the part that is not memory-mapped file pages, which
the OS can drop), and times the strokes; a second one times reopening the stored index.

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rewis3d.derived.preview import open_preview
from rewis3d.geometry import PropagationConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _scenes import memory_mb, write_point_project  # noqa: E402

CONFIG = PropagationConfig(voxel_size=0.05, radius=0.3)


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


def write_scene(root: Path, num_points: int, frames: int) -> Path:
    """A project whose scene ``s`` has the floor scene as reconstruction ``r``."""
    points, pixel, frame_ptr, size = floor_scene(num_points, frames)
    return write_point_project(root, points, frame_ptr, pixel, size, ["a", "b", "c", "d"])


def child(project: str, strokes: int) -> dict:
    """Build (or open) the stored preview, then time ``strokes`` strokes."""
    from rewis3d.store import Project

    scene = Project.open(project).scene("s")
    rec = scene.reconstruction("r")
    t0 = time.perf_counter()
    preview = open_preview(scene, rec, 4, CONFIG)
    result = {"build_s": time.perf_counter() - t0, "voxels": preview.index.num_voxels,
              **{f"build_{k}": v for k, v in memory_mb().items()}}
    if not strokes:
        return result
    size, frames = scene.image_size, scene.num_frames
    rng = np.random.default_rng(1)
    current = {}
    for f in rng.choice(frames, 10, replace=False):
        current[int(f)] = square_stroke(size, rng, int(rng.integers(0, 4)))
        preview.update_frame(int(f), current[int(f)])
    for f in range(frames):
        preview.frame_labels(f)
    times, dirty_counts = [], []
    for _ in range(strokes):
        f = int(rng.integers(0, frames))
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
    for g in range(frames):
        preview.frame_labels(g)
    result.update(
        points=rec.num_points, frames=frames, image=f"{size[1]}x{size[0]}",
        median_ms=statistics.median(times) * 1000, max_ms=max(times) * 1000,
        dirty_median=statistics.median(dirty_counts),
        baseline_all_frames_ms=(time.perf_counter() - t0) * 1000,
        **{f"after_strokes_{k}": v for k, v in memory_mb().items()})
    return result


def run_child(project: Path, strokes: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(project),
                          "--strokes", str(strokes)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=float, default=2e6)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--strokes", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="5 strokes")
    parser.add_argument("--json", type=Path, help="write the key numbers here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.strokes)))
        return
    if args.quick:
        args.strokes = 5
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        t0 = time.perf_counter()
        project = write_scene(Path(tmp), int(args.points), args.frames)
        print(f"scene written in {time.perf_counter() - t0:.1f} s", flush=True)
        result = run_child(project, args.strokes)
        reopen = run_child(project, 0)
    result.update(reopen_s=reopen["build_s"], reopen_peak_rss_mb=reopen["build_peak_rss_mb"],
                  reopen_anon_rss_mb=reopen["build_anon_rss_mb"], load=os.getloadavg()[0])
    r = result
    print("| points | frames | image | voxels | build s | build peak RSS MB | build anon RSS MB "
          "| reopen s | stroke -> updated preview ms (median / max) | frames re-rendered "
          "(median) | peak / anon RSS MB after strokes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {r['points'] / 1e6:.1f}M | {r['frames']} | {r['image']} | {r['voxels']} | "
          f"{r['build_s']:.1f} | {r['build_peak_rss_mb']:.0f} | {r['build_anon_rss_mb']:.0f} | "
          f"{r['reopen_s']:.2f} | {r['median_ms']:.0f} / {r['max_ms']:.0f} | "
          f"{r['dirty_median']:.0f} | {r['after_strokes_peak_rss_mb']:.0f} / "
          f"{r['after_strokes_anon_rss_mb']:.0f} |")
    print(f"baseline: re-render all {r['frames']} frames {r['baseline_all_frames_ms']:.0f} ms; "
          f"load average {r['load']:.1f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
