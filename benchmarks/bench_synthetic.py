"""Speed of synthetic scene generation and of the label simulators (prints a markdown table).

    .venv/bin/python benchmarks/bench_synthetic.py [--frames 60] [--size 320x240]
"""

from __future__ import annotations

import argparse
import time
import warnings

from rewis3d.annotations import simulate_labels
from rewis3d.synthetic import FAMILIES, ReconstructionNoise, SceneConfig, generate_scene
from rewis3d.synthetic import simulate_reconstruction as simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--kinds", default="street,room")
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.lower().split("x"))
    print(f"{args.frames} frames at {width}x{height}\n")
    print("| scene | render (s) | per frame (ms) | simulated reconstruction (s) | points "
          "| points (ms/frame) | scribbles (ms/frame) | coarse (ms/frame) |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in args.kinds.split(","):
        start = time.perf_counter()
        frames = generate_scene(SceneConfig(kind=kind, frames=args.frames, width=width,
                                            height=height, seed=0))
        render = time.perf_counter() - start
        start = time.perf_counter()
        data = simulate(frames, ReconstructionNoise(), seed=0)
        recon = time.perf_counter() - start
        gts = {i: f.gt for i, f in enumerate(frames)}
        sims = []
        for sim in ("points", "scribbles", "coarse"):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                simulate_labels(gts, sim, len(FAMILIES[kind].classes))
            sims.append(1000 * (time.perf_counter() - start) / len(frames))
        print(f"| {kind} | {render:.1f} | {1000 * render / len(frames):.0f} | {recon:.1f} "
              f"| {len(data.points):,} | " + " | ".join(f"{t:.0f}" for t in sims) + " |")


if __name__ == "__main__":
    main()
