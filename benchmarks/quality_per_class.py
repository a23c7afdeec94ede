"""Per class, Rewis3d vs EMA: where a quality root's gains and losses sit, and what a class is
mistaken for.

    python benchmarks/quality_per_class.py ROOT --scene room --labels scribbles,points

For the finished EMA and Rewis3d runs of each repetition: the 2D students' IoU per class on the
repetition's same clip (its unlabelled frames) and on its own unseen clip, mean over the
repetitions, and on the unseen clip the class each class is most often mistaken for, with the
share of its pixels, per repetition. Reads the runs' last checkpoints (evaluation only, one
thread).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _quality_root import quality_root_parser, repetitions, settings  # noqa: E402

from rewis3d.bench.quality import TRAIN_SCENE, UNSEEN_SCENE  # noqa: E402
from rewis3d.store import Project  # noqa: E402
from rewis3d.train.evaluate import held_out_frames, predict_frame  # noqa: E402
from rewis3d.train.metrics import ConfusionMatrix  # noqa: E402
from rewis3d.train.predict import load_student_2d  # noqa: E402
from rewis3d.train.run import load_run_config, run_dir_of  # noqa: E402

VARIANTS = ("ema", "rewis3d")
CLIPS = (("same clip", TRAIN_SCENE), ("unseen clip", UNSEEN_SCENE))


def main() -> None:
    args = quality_root_parser(__doc__).parse_args()
    torch.set_num_threads(1)
    for setting in settings(args):
        confusion: dict[tuple[str, str], list[ConfusionMatrix]] = {}
        names: list[str] = []
        for _seed, project in repetitions(args, setting):
            names = [c.name for c in project.classes]
            for variant in VARIANTS:
                for _, scene in CLIPS:
                    matrix = clip_confusion(project, setting.run_name(variant), scene)
                    confusion.setdefault((variant, scene), []).append(matrix)
        print(f"\n{args.scene} / {setting.labels}, {args.steps} steps: 2D IoU % per class, mean "
              f"over {len(confusion[VARIANTS[0], TRAIN_SCENE])} repetitions")
        print("| clip | variant | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for clip, scene in CLIPS:
            ious = {v: np.array([m.iou() for m in confusion[v, scene]]) * 100 for v in VARIANTS}
            for v in VARIANTS:
                print(f"| {clip} | {v} | " + " | ".join(_text(x) for x in _nanmean(ious[v])) + " |")
            gap = _nanmean(ious["rewis3d"] - ious["ema"])
            print(f"| {clip} | Rewis3d - EMA | " + " | ".join(_text(x, "+") for x in gap) + " |")
        print(f"\n{args.scene} / {setting.labels}, unseen clip: each class's pixels predicted as "
              "its most frequent wrong class, per repetition")
        print("| class | " + " | ".join(VARIANTS) + " |")
        print("|---|" + "---|" * len(VARIANTS))
        for i, name in enumerate(names):
            cells = [" / ".join(mistaken_for(m.counts, i, names)
                                for m in confusion[v, UNSEEN_SCENE])
                     for v in VARIANTS]
            print(f"| {name} | " + " | ".join(cells) + " |")


def clip_confusion(project: Project, run: str, scene_name: str) -> ConfusionMatrix:
    """The run's 2D student on a clip's held-out frames, counted as evaluation counts them."""
    model, _ = load_student_2d(project, run)
    model.eval()
    window = load_run_config(run_dir_of(project, run)).data.eval_window
    scene = project.scene(scene_name)
    frames, _ = held_out_frames(scene)
    matrix = ConfusionMatrix(project.num_classes)
    for f in frames:
        probs = predict_frame(model, scene.rgb[f], project.num_classes, window, torch.device("cpu"))
        matrix.update(probs.argmax(0).numpy(), np.asarray(scene.gt[f]))
    return matrix


def mistaken_for(counts: np.ndarray, cls: int, names: list[str]) -> str:
    row = counts[cls].astype(np.float64)
    if row.sum() == 0:
        return "—"
    wrong = row.copy()
    wrong[cls] = -1
    other = int(wrong.argmax())
    return f"{names[other]} {100 * row[other] / row.sum():.0f} %"


def _nanmean(values: np.ndarray) -> np.ndarray:
    """Mean over repetitions; NaN for a class absent from every repetition's clip."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=0)


def _text(value: float, sign: str = "") -> str:
    return f"{value:{sign}.1f}" if value == value else "—"


if __name__ == "__main__":
    main()
