"""View-aware sampling time vs scene size (120K-point samples, 100 views).

    .venv/bin/python benchmarks/bench_sampling.py            # 1M and 10M points
    .venv/bin/python benchmarks/bench_sampling.py --max 60e6 # adds 60M (needs ~4 GB RAM)

Scenes are random points in 100 views, each view a blob on a camera path (neighbouring views
overlap), float32, built directly as arrays. Times are per sample, after the one-time index.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rewis3d.geometry import SamplingConfig, SamplingIndex, view_aware_sample

VIEWS = 100


def synthetic_scene(num_points: int, rng: np.random.Generator):
    per = num_points // VIEWS
    points = np.empty((per * VIEWS, 3), dtype=np.float32)
    for f in range(VIEWS):
        angle = 2 * np.pi * f / VIEWS
        centre = np.array([10 * np.cos(angle), 10 * np.sin(angle), 0], dtype=np.float32)
        points[f * per : (f + 1) * per] = rng.standard_normal((per, 3), dtype=np.float32)
        points[f * per : (f + 1) * per] += centre
    w = 640
    local = np.arange(per, dtype=np.int32) % (w * 480)
    pixel = np.empty((per * VIEWS, 2), dtype=np.int32)
    for f in range(VIEWS):
        pixel[f * per : (f + 1) * per, 0] = local // w
        pixel[f * per : (f + 1) * per, 1] = local % w
    return points, np.arange(VIEWS + 1, dtype=np.int64) * per, pixel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max", type=float, default=10e6, help="largest scene (points)")
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    sizes = [n for n in (1e6, 10e6, 60e6) if n <= args.max]
    rng = np.random.default_rng(0)
    print("| points | index build s | view-aware ms/sample | own share | correspondences "
          "| random ms/sample | random correspondences |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        points, frame_ptr, pixel = synthetic_scene(int(n), rng)
        t0 = time.perf_counter()
        index = SamplingIndex.build(points, frame_ptr, pixel)
        build = time.perf_counter() - t0
        row = [f"{n / 1e6:.0f}M", f"{build:.1f}"]
        for method in ("sphere", "random"):
            cfg = SamplingConfig(budget=120_000, method=method)
            view_aware_sample(index, 0, cfg, rng)  # warm-up
            t0 = time.perf_counter()
            frames = rng.integers(0, VIEWS, args.samples)
            results = [view_aware_sample(index, int(f), cfg, rng) for f in frames]
            ms = (time.perf_counter() - t0) / args.samples * 1000
            corr = np.mean([len(r.correspondences) for r in results])
            if method == "sphere":
                share = np.mean([r.own_count for r in results]) / 120_000
                row += [f"{ms:.1f}", f"{share:.3f}", f"{corr:.0f}"]
            else:
                row += [f"{ms:.1f}", f"{corr:.0f}"]
        print("| " + " | ".join(row) + " |", flush=True)
        del points, pixel, index


if __name__ == "__main__":
    main()
