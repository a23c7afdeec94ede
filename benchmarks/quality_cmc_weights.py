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

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _quality_root import quality_root_parser, repetitions, settings  # noqa: E402

from rewis3d.store import Project  # noqa: E402
from rewis3d.train.evaluate import view_point_logits  # noqa: E402
from rewis3d.train.predict import load_teacher_3d  # noqa: E402
from rewis3d.train.run import load_run_config, run_dir_of  # noqa: E402

DRAW_SEED = 0


def main() -> None:
    args = quality_root_parser(__doc__, labels="scribbles").parse_args()
    torch.set_num_threads(1)
    print("| labels | seed | teacher max prob p10 / p50 / p90 | prediction p90/p10 | "
          "reconstruction p90/p10 | both p90/p10 | corr(prediction, reconstruction) |")
    print("|---|---|---|---|---|---|---|")
    for setting in settings(args):
        for seed, project in repetitions(args, setting):
            prob, conf = teacher_prob_and_conf(project, setting.run_name("rewis3d"), args.points)
            p10, p50, p90 = np.percentile(prob, [10, 50, 90])
            print(f"| {setting.labels} | {seed} | {p10:.2f} / {p50:.2f} / {p90:.2f} "
                  f"| {spread(prob):.1f} | {spread(conf):.1f} | {spread(prob * conf):.1f} "
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
            if not len(view["points"]):
                continue
            with torch.no_grad():
                logits, keep = view_point_logits(teacher, view, points, config.model.grid_size,
                                                 rng=rng)
            probs.append(logits.softmax(1).max(1).values.numpy())
            confs.append(np.asarray(view["conf"][keep], dtype=np.float64))
    return np.concatenate(probs), np.concatenate(confs)


def spread(weights: np.ndarray) -> float:
    """p90 / p10: how unevenly a factor weights the correspondences."""
    return float(np.percentile(weights, 90) / max(np.percentile(weights, 10), 1e-12))


if __name__ == "__main__":
    main()
