"""View-aware sampling time vs scene size (120K-point samples, 100 views), stored index.

    .venv/bin/python benchmarks/bench_sampling.py              # 1M and 10M points
    .venv/bin/python benchmarks/bench_sampling.py --max 60e6   # adds 60M (~6 GB disk, ~4 GB RAM)
    .venv/bin/python benchmarks/bench_sampling.py --quick      # 1M only
    ... --json OUT.json                                        # key numbers for run_all.py

Scenes are random points in 100 views, each view a blob on a camera path (neighbouring views
overlap), written to a project store as a reconstruction. Each size then runs two fresh
subprocesses: one builds and stores the index (``load_sampling_index``); one opens
the stored index (read lazily) and samples. Times are per sample: ``cold`` is the first sample
of each view in a fresh process (reads and checksums the chunks its region touches), ``warm``
the steady state. Random sampling on the same index is the baseline of the ratio. Peak RSS is
``VmHWM`` (peak resident set) of each subprocess; it counts the memory-mapped index pages a process touched
(file pages the OS can drop), so the anonymous part is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _scenes import memory_mb, write_point_project  # noqa: E402
from _table import print_table  # noqa: E402

VIEWS, H, W = 100, 480, 640
BUDGET = 120_000


def synthetic_scene(num_points: int, rng: np.random.Generator):
    per = num_points // VIEWS
    points = np.empty((per * VIEWS, 3), dtype=np.float32)
    for f in range(VIEWS):
        angle = 2 * np.pi * f / VIEWS
        center = np.array([10 * np.cos(angle), 10 * np.sin(angle), 0], dtype=np.float32)
        points[f * per : (f + 1) * per] = rng.standard_normal((per, 3), dtype=np.float32)
        points[f * per : (f + 1) * per] += center
    local = np.arange(per, dtype=np.int32) % (W * H)
    pixel = np.empty((per * VIEWS, 2), dtype=np.int32)
    for f in range(VIEWS):
        pixel[f * per : (f + 1) * per, 0] = local // W
        pixel[f * per : (f + 1) * per, 1] = local % W
    return points, np.arange(VIEWS + 1, dtype=np.int64) * per, pixel


def write_scene(root: Path, num_points: int) -> Path:
    """A project whose scene ``s`` has reconstruction ``r`` of ``num_points`` random points."""
    points, frame_ptr, pixel = synthetic_scene(num_points, np.random.default_rng(0))
    return write_point_project(root, points, frame_ptr, pixel, (H, W), ["a"])


def peak_rss_mb() -> float:
    return memory_mb()["peak_rss_mb"]


def child_build(project: str) -> dict:
    from rewis3d.derived.sampling_index import load_sampling_index
    from rewis3d.store import Project

    rec = Project.open(project).scene("s").reconstruction("r")
    t0 = time.perf_counter()
    load_sampling_index(rec)
    return {"build_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}


def child_sample(project: str, samples: int) -> dict:
    from rewis3d.derived.sampling_index import load_sampling_index
    from rewis3d.geometry import SamplingConfig, view_aware_sample
    from rewis3d.store import Project

    rec = Project.open(project).scene("s").reconstruction("r")
    t0 = time.perf_counter()
    index = load_sampling_index(rec)
    out = {"open_s": time.perf_counter() - t0}
    rng = np.random.default_rng(1)
    aware, rand = SamplingConfig(budget=BUDGET), SamplingConfig(budget=BUDGET, method="random")
    cold_frames = rng.permutation(VIEWS)[: min(samples, VIEWS)]
    t0 = time.perf_counter()
    for f in cold_frames:
        view_aware_sample(index, int(f), aware, rng)
    out["cold_ms"] = (time.perf_counter() - t0) / len(cold_frames) * 1000
    out["rss_after_cold_mb"] = peak_rss_mb()
    for f in range(VIEWS):  # every chunk a view touches is now verified and mapped
        view_aware_sample(index, f, aware, rng)
    for method, cfg in (("aware", aware), ("random", rand)):
        frames = rng.integers(0, VIEWS, samples)
        t0 = time.perf_counter()
        results = [view_aware_sample(index, int(f), cfg, rng) for f in frames]
        out[f"{method}_ms"] = (time.perf_counter() - t0) / samples * 1000
        out[f"{method}_corr"] = float(np.mean([len(r.correspondences) for r in results]))
        out[f"{method}_share"] = float(np.mean([r.own_count for r in results]) / BUDGET)
    out["peak_rss_mb"] = peak_rss_mb()
    out["anon_rss_mb"] = memory_mb()["anon_rss_mb"]
    return out


def run_child(kind: str, project: Path, samples: int) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, str(project), "--samples", str(samples)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max", type=float, default=10e6, help="largest scene (points)")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="1M points only")
    parser.add_argument("--json", type=Path, help="write the key numbers here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, project = args.child
        res = child_build(project) if kind == "build" else child_sample(project, args.samples)
        print(json.dumps(res))
        return
    sizes = [1e6] if args.quick else [n for n in (1e6, 10e6, 60e6) if n <= args.max]
    rows, results = [], []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="rewis3d-bench-sampling-") as tmp:
            t0 = time.perf_counter()
            project = write_scene(Path(tmp), int(n))
            write_s = time.perf_counter() - t0
            build = run_child("build", project, args.samples)
            sample = run_child("sample", project, args.samples)
        res = {"points": int(n), "write_s": write_s, **{f"build_{k}": v for k, v in build.items()},
               **sample, "ratio_to_random": sample["aware_ms"] / sample["random_ms"]}
        results.append(res)
        rows.append([f"{n / 1e6:.0f}M", round(build["build_s"], 1), round(build["peak_rss_mb"]),
                     round(sample["open_s"], 2), round(sample["cold_ms"], 1),
                     round(sample["aware_ms"], 1), round(sample["random_ms"], 1),
                     round(res["ratio_to_random"], 1), round(sample["aware_share"], 3),
                     round(sample["aware_corr"]), round(sample["random_corr"]),
                     round(sample["peak_rss_mb"]), round(sample["anon_rss_mb"])])
    load = os.getloadavg()
    print_table(
        f"view-aware sampling, {BUDGET:,} points, stored index (load avg {load[0]:.1f})",
        ["points", "index build s", "build peak RSS MB", "open s", "cold ms", "warm ms",
         "random ms", "ratio", "own share", "corr", "random corr", "sample peak RSS MB",
         "anon RSS MB"], rows)
    summary = {"load": load[0], "sizes": results,
               "largest": results[-1]["points"], "sample_ms": results[-1]["aware_ms"],
               "random_ms": results[-1]["random_ms"],
               "growth": results[-1]["aware_ms"] / results[0]["aware_ms"]}  # largest / smallest
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    print("RESULT " + json.dumps(summary))


if __name__ == "__main__":
    main()
