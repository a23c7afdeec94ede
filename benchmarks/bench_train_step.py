"""Training step time, Rewis3d vs the EMA baseline (same 2D model; budget <= 2x), and 2D
inference time of an exported Rewis3d model vs a plain SegFormer of the same size (<= 1.05x).

    python benchmarks/bench_train_step.py [--points 12000] [--steps 4] [--threads 2]
        [--train-model segformer-mini] [--no-inference]

`--train-model` sets the 2D model of both runs (the budget compares the same 2D model).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch


def make_project(root: Path) -> Path:
    from rewis3d.annotations import FrameSelection, simulate_scene_labels
    from rewis3d.store import Project
    from rewis3d.synthetic import SceneConfig, sample_into_project

    path = root / "street"
    sample_into_project(path, SceneConfig(kind="street", frames=6, width=160, height=120, seed=1))
    simulate_scene_labels(Project.open(path), "street", "scribbles", FrameSelection(every=2))
    return path


def make_trainer(project: Path, baseline: str, points: int, run_dir: Path,
                 model_2d: str = "segformer-mini"):
    """A cpu-quick Trainer in stage 2 (both CMC directions active), what the budget times."""
    from rewis3d.store import Project
    from rewis3d.train import preset
    from rewis3d.train.trainer import Trainer

    config = preset("cpu-quick")
    config.method.baseline = baseline
    config.model.model_2d = model_2d
    config.data.points = points
    config.method.cmc_start = 0.0
    return Trainer(Project.open(project), config, run_dir)


def timed_steps(trainer, steps: int) -> list[float]:
    """Seconds of each of ``steps`` steps, after one warm-up step."""
    trainer.train_step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        trainer.train_step()
        times.append(time.perf_counter() - t0)
    return times


def step_times(project, baseline: str, points: int, steps: int, model_2d: str) -> list[float]:
    with tempfile.TemporaryDirectory() as run_dir:
        return timed_steps(make_trainer(project, baseline, points, Path(run_dir), model_2d),
                           steps)


def inference_times(models, x, repeats: int) -> list[float]:
    """Best time of each model, calls interleaved so machine load hits both alike."""
    best = [float("inf")] * len(models)
    with torch.no_grad():
        for _ in range(repeats):
            for i, model in enumerate(models):
                t0 = time.perf_counter()
                model(pixel_values=x)
                best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=12000)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default="segformer-b0")
    ap.add_argument("--train-model", default="segformer-mini")
    ap.add_argument("--no-inference", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from transformers import SegformerForSemanticSegmentation

    from rewis3d.models.models2d import build_model_2d

    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp))
        ema = statistics.median(step_times(project, "ema", args.points, args.steps,
                                           args.train_model))
        rw = statistics.median(step_times(project, "none", args.points, args.steps,
                                          args.train_model))
        print(f"| training step (cpu-quick, {args.train_model}, batch 2, 96x128 crops, "
              f"{args.points} points/sample, {args.threads} threads) | median s | ratio | budget |")
        print("|---|---|---|---|")
        print(f"| EMA baseline (2D only) | {ema:.2f} | 1.00 | |")
        print(f"| Rewis3d (2D + 3D + CMC) | {rw:.2f} | {rw / ema:.2f} | <= 2.0 |")
        if args.no_inference:
            return

        plain = build_model_2d(args.model, 7).eval()
        plain.save_pretrained(Path(tmp) / "exported")  # what `rewis3d export` writes
        exported = SegformerForSemanticSegmentation.from_pretrained(Path(tmp) / "exported").eval()
        x = torch.rand(1, 3, 240, 320)
        t_plain, t_exp = inference_times([plain, exported], x, 20)
        print()
        print(f"| 2D inference ({args.model}, 1x320x240) | best of 20 ms | ratio | budget |")
        print("|---|---|---|---|")
        print(f"| plain SegFormer | {1000 * t_plain:.1f} | 1.00 | |")
        print(f"| exported Rewis3d model | {1000 * t_exp:.1f} | {t_exp / t_plain:.2f} | <= 1.05 |")


if __name__ == "__main__":
    main()
