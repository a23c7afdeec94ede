"""How much do the two confidence factors of the 3D->2D cross-modal weights reweight anything?

    python benchmarks/quality_cmc_weights.py ROOT --steps 1200 --points 4096 --labels scribbles

For the finished Rewis3d runs of a quality root: the last 3D teacher's max softmax probability
(the *prediction* factor) and the reconstruction's confidence (the *reconstruction* factor) on
each training frame's own points (``--points`` of them, a fixed draw), and the spread each
factor and their product give the weights of the weighted CE. The CE is normalised by the sum
of its weights, so a factor only matters through its spread: p90/p10 near 1 means it weights
every correspondence alike. Explains the confidence ablation rows of README's quality section.
Evaluation only, one thread.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from rewis3d.bench.quality import QualitySetting
from rewis3d.store import Project
from rewis3d.train.augment3d import center_xy
from rewis3d.train.predict import load_teacher_3d
from rewis3d.train.run import load_run_config, run_dir_of

DRAW_SEED = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--points", type=int, default=4096)
    parser.add_argument("--labels", default="scribbles")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--scene", default="street")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| labels | seed | teacher max prob p10 / p50 / p90 | prediction p90/p10 | "
          "reconstruction p90/p10 | both p90/p10 | corr(prediction, reconstruction) |")
    print("|---|---|---|---|---|---|---|")
    for labels in args.labels.split(","):
        setting = QualitySetting(args.scene, labels, steps=args.steps, points=args.points)
        run = setting.run_name("rewis3d")
        for seed in (int(s) for s in args.seeds.split(",")):
            project = Project.open(args.root / setting.project_name(seed))
            prob, conf = teacher_prob_and_conf(project, run, args.points)
            p10, p50, p90 = np.percentile(prob, [10, 50, 90])
            print(f"| {labels} | {seed} | {p10:.2f} / {p50:.2f} / {p90:.2f} | {spread(prob):.1f} "
                  f"| {spread(conf):.1f} | {spread(prob * conf):.1f} "
                  f"| {np.corrcoef(prob, conf)[0, 1]:+.2f} |")


def teacher_prob_and_conf(project: Project, run: str, points: int) -> tuple[np.ndarray, np.ndarray]:
    """The run's 3D teacher max probability and the reconstruction confidence, per point."""
    config = load_run_config(run_dir_of(project, run))
    teacher = load_teacher_3d(project, run).eval()
    rng = np.random.default_rng(DRAW_SEED)
    probs, confs = [], []
    for name in config.data.scenes or project.scene_names():
        scene = project.scene(name)
        recon = scene.reconstruction(config.data.reconstruction)
        for f in range(scene.num_frames):
            view = recon.view(f)
            n = len(view["points"])
            if not n:
                continue
            keep = np.sort(rng.choice(n, size=min(n, points), replace=False))
            coord = torch.from_numpy(center_xy(view["points"][keep].astype(np.float32)))
            rgb = torch.from_numpy(view["colors"][keep].astype(np.float32) / 255.0)
            with torch.no_grad():
                logits = teacher(torch.cat([coord, rgb], 1), coord,
                                 grid_size=config.model.grid_size)
            probs.append(logits.softmax(1).max(1).values.numpy())
            confs.append(np.asarray(view["conf"][keep], dtype=np.float64))
    return np.concatenate(probs), np.concatenate(confs)


def spread(weights: np.ndarray) -> float:
    """p90 / p10: how unevenly a factor weights the correspondences."""
    return float(np.percentile(weights, 90) / max(np.percentile(weights, 10), 1e-12))


if __name__ == "__main__":
    main()
