"""Per class, at the end of training: the 3D teacher's IoU (the source of the 3D->2D targets)
vs the 2D student's, on the same clip, for the finished Rewis3d runs of a quality root.

    python benchmarks/quality_teacher_vs_student.py ROOT --steps 1200 --points 4096 \
        --labels scribbles,points

Reads the runs' last checkpoints (evaluation only, one thread). Answers "did the 2D student
learn what the 3D teacher knew?" for runs trained without --eval-3d-teacher.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _quality_root import quality_root_parser, repetitions, settings  # noqa: E402

from rewis3d.bench.quality_report import mean_present  # noqa: E402
from rewis3d.train.evaluate import evaluate  # noqa: E402
from rewis3d.train.predict import load_student_2d, load_teacher_3d  # noqa: E402
from rewis3d.train.run import load_run_config, run_dir_of  # noqa: E402


def main() -> None:
    args = quality_root_parser(__doc__).parse_args()
    torch.set_num_threads(1)
    for setting in settings(args):
        run = setting.run_name("rewis3d")
        teacher, student, mious, names = [], [], [], None
        for _seed, project in repetitions(args, setting):
            config = load_run_config(run_dir_of(project, run))
            d = config.data
            result = evaluate(project, d.scenes, load_student_2d(project, run)[0],
                              load_teacher_3d(project, run), d.eval_window, d.reconstruction,
                              d.points, config.model.grid_size)
            teacher.append(result.iou_3d)
            student.append(result.iou_2d)
            mious.append((100 * result.miou_3d, 100 * result.miou_2d))
            names = [c.name for c in project.classes]
        print(f"\n{args.scene} / {setting.labels}, {args.steps} steps, same clip, IoU % (mean over "
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
