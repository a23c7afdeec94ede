"""Per class, at the end of training: the 3D teacher's IoU (the source of the 3D->2D targets)
vs the 2D student's, on the same clip, for the finished Rewis3d runs of a quality root.

    python benchmarks/quality_teacher_vs_student.py ROOT --steps 1200 --points 4096 \
        --labels scribbles,points

Reads the runs' last checkpoints (evaluation only, one thread). Answers "did the 2D student
learn what the 3D teacher knew?" for runs trained without --eval-3d-teacher.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch

from rewis3d.bench.quality import QualitySetting
from rewis3d.bench.quality_report import mean_present
from rewis3d.store import Project
from rewis3d.train.evaluate import evaluate
from rewis3d.train.predict import load_student_2d, load_teacher_3d
from rewis3d.train.run import load_run_config, run_dir_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--points", type=int, default=4096)
    parser.add_argument("--labels", default="scribbles,points")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--scene", default="street")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for labels in args.labels.split(","):
        setting = QualitySetting(args.scene, labels, steps=args.steps, points=args.points)
        run = setting.run_name("rewis3d")
        teacher, student, mious, names = [], [], [], None
        for seed in (int(s) for s in args.seeds.split(",")):
            project = Project.open(args.root / setting.project_name(seed))
            config = load_run_config(run_dir_of(project, run))
            d = config.data
            result = evaluate(project, d.scenes, load_student_2d(project, run)[0],
                              load_teacher_3d(project, run), d.eval_window, d.reconstruction,
                              d.points, config.model.grid_size)
            teacher.append(result.iou_3d)
            student.append(result.iou_2d)
            mious.append((100 * result.miou_3d, 100 * result.miou_2d))
            names = [c.name for c in project.classes]
        print(f"\n{args.scene} / {labels}, {args.steps} steps, same clip, IoU % (mean over "
              f"{len(teacher)} repetitions)")
        print("| class | 3D teacher | 2D student | gap |")
        print("|---|---|---|---|")
        for i, name in enumerate(names):
            t = mean_present([r[i] for r in teacher])
            s = mean_present([r[i] for r in student])
            gap = f"{t - s:+.1f}" if t == t else "—"  # no 3D points of the class (sky)
            print(f"| {name} | {_text(t)} | {_text(s)} | {gap} |")
        t_miou = statistics.fmean(t for t, _ in mious)
        s_miou = statistics.fmean(s for _, s in mious)
        print(f"| mIoU | {t_miou:.1f} | {s_miou:.1f} | {t_miou - s_miou:+.1f} |")


def _text(value: float) -> str:
    return f"{value:.1f}" if value == value else "—"


if __name__ == "__main__":
    main()
