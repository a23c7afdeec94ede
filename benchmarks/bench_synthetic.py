"""Speed of synthetic scene generation and of the label simulators (prints a markdown table).

    .venv/bin/python benchmarks/bench_synthetic.py [--frames 60] [--size 320x240] [--ambiguity]
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
    parser.add_argument("--ambiguity", action="store_true",
                        help="also fit a colour-only classifier (how ambiguous appearance is)")
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
    if args.ambiguity:
        print("\n| scene | colour-only mIoU (RGB lookup table, unseen seeds) |\n|---|---|")
        for kind in args.kinds.split(","):
            print(f"| {kind} | {colour_only_miou(kind):.3f} |")


def colour_only_miou(kind: str, train_seeds=range(8), test_seeds=range(100, 104)) -> float:
    """mIoU of the best colour-only pixel classifier (a 16^3-bin RGB lookup table fitted on
    other seeds): how far appearance alone goes, which should be well short of 1."""
    import numpy as np

    num_classes = len(FAMILIES[kind].classes)
    spacing = 5.0 if kind == "street" else 0.8

    def pixels(seeds):
        bins, labels = [], []
        for seed in seeds:
            for f in generate_scene(SceneConfig(kind=kind, frames=4, width=160, height=120,
                                                seed=seed, spacing=spacing)):
                q = f.rgb.reshape(-1, 3).astype(np.int64) // 16
                bins.append(q[:, 0] * 256 + q[:, 1] * 16 + q[:, 2])
                labels.append(f.gt.reshape(-1))
        return np.concatenate(bins), np.concatenate(labels)

    bins, labels = pixels(train_seeds)
    counts = np.zeros((4096, 256))
    np.add.at(counts, (bins, labels), 1)
    bins, labels = pixels(test_seeds)
    pred = counts.argmax(axis=1)[bins]
    ious = [((pred == c) & (labels == c)).sum() / ((pred == c) | (labels == c)).sum()
            for c in range(num_classes) if (labels == c).any()]
    return float(np.mean(ious))


if __name__ == "__main__":
    main()
