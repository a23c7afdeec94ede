"""Per class, Rewis3d vs EMA: where a quality root's gains and losses sit, and what a class is
mistaken for.

    python benchmarks/quality_per_class.py ROOT --scene room --labels scribbles,points

For the finished EMA and Rewis3d runs of each repetition: the 2D students' IoU per class on the
repetition's same clip (its unlabelled frames) and on its own unseen clip, mean over the
repetitions, and on the unseen clip the class each class is most often mistaken for, with the
share of its pixels, per repetition; and how much of a labelled frame the labels cover. Reads the runs' last checkpoints (evaluation only, one
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
from rewis3d.store import IGNORE_INDEX  # noqa: E402
from rewis3d.train.evaluate import EvalResult, evaluate  # noqa: E402
from rewis3d.train.predict import load_student_2d  # noqa: E402
from rewis3d.train.run import load_run_config, run_dir_of  # noqa: E402

VARIANTS = ("ema", "rewis3d")
CLIPS = (("same clip", TRAIN_SCENE), ("unseen clip", UNSEEN_SCENE))


def main() -> None:
    args = quality_root_parser(__doc__).parse_args()
    torch.set_num_threads(1)
    for setting in settings(args):
        results: dict[tuple[str, str], list[EvalResult]] = {}
        coverage, names = [], []
        for _seed, project in repetitions(args, setting):
            names = [c.name for c in project.classes]
            coverage.append(label_coverage(project.scene(TRAIN_SCENE)))
            for variant in VARIANTS:
                run = setting.run_name(variant)
                model, _ = load_student_2d(project, run)
                window = load_run_config(run_dir_of(project, run)).data.eval_window
                for _, scene in CLIPS:
                    results.setdefault((variant, scene), []).append(
                        evaluate(project, [scene], model, window=window))
        print(f"\n{args.scene} / {setting.labels}, {args.steps} steps: 2D IoU % per class, mean "
              f"over {len(coverage)} repetitions (labels cover {100 * np.mean(coverage):.1f} % "
              "of a labelled frame's pixels)")
        print("| clip | variant | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for clip, scene in CLIPS:
            ious = {v: 100 * np.array([r.iou_2d for r in results[v, scene]], dtype=np.float64)
                    for v in VARIANTS}
            for v in VARIANTS:
                print(f"| {clip} | {v} | " + " | ".join(_text(x) for x in _nanmean(ious[v])) + " |")
            gap = _nanmean(ious["rewis3d"] - ious["ema"])
            print(f"| {clip} | Rewis3d - EMA | " + " | ".join(_text(x, "+") for x in gap) + " |")
        print(f"\n{args.scene} / {setting.labels}, unseen clip: each class's pixels predicted as "
              "its most frequent wrong class, per repetition")
        print("| class | " + " | ".join(VARIANTS) + " |")
        print("|---|" + "---|" * len(VARIANTS))
        for i, name in enumerate(names):
            cells = [" / ".join(mistaken_for(r.confusion_2d, i, names)
                                for r in results[v, UNSEEN_SCENE])
                     for v in VARIANTS]
            print(f"| {name} | " + " | ".join(cells) + " |")


def label_coverage(scene) -> float:
    """The share of a labelled frame's pixels that carry a label, mean over its labelled frames."""
    frames = scene.annotations.labelled_frames()
    return float(np.mean([(np.asarray(scene.annotations.frame(f)) != IGNORE_INDEX).mean()
                          for f in frames]))


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
