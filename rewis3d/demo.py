"""`make demo`: the quality benchmark's default setting at demo scale, end to end.

Per seed (a repetition: its own scenes, scribbles and training seed) it samples a synthetic
street training clip and an unseen clip, trains the EMA baseline and Rewis3d on the training
clip and evaluates both on the training clip's unlabelled frames (same clip) and on the unseen
clip; then prints the table of `rewis3d bench quality` (mean +- std, paired difference to EMA)
and writes a titled figure. Each step is a library call a user could make; the projects are
left behind for `rewis3d info` / napari.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rewis3d.store import IGNORE_INDEX, Project

TRAIN_SCENE = "train"


def _step(title: str, fn: Callable[[], tuple[object, str]]):
    """Run ``fn`` (returning its value and a one-line summary), print both, return the value."""
    print(f"==> {title}", flush=True)
    start = time.perf_counter()
    value, summary = fn()
    print(f"    {summary}\n    ({time.perf_counter() - start:.1f} s)", flush=True)
    return value


DEMO_SEEDS = (0, 1)


def run_demo(folder: Path, frames: int = 12, size: tuple[int, int] = (160, 120),
             seeds: tuple[int, ...] = DEMO_SEEDS, steps: int = 200, points: int = 4096
             ) -> dict[str, list[float]]:
    """The quality benchmark's default setting at demo scale (street, scribbles on every 3rd
    frame, EMA vs Rewis3d), one repetition per seed; returns each method's same-clip and
    unseen-clip 2D mIoU per seed."""
    from rewis3d.bench.quality import QualitySetting
    from rewis3d.bench.quality_report import quality_table

    folder = Path(folder)
    if folder.exists():
        if not (folder / "demo.json").exists() and any(folder.iterdir()):
            raise SystemExit(f"{folder} exists and is not a Rewis3d demo folder; pick another")
        shutil.rmtree(folder)  # the demo always starts fresh
    folder.mkdir(parents=True)
    (folder / "demo.json").write_text("{}")
    setting = QualitySetting("street", "scribbles", frames=frames, size=size, label_every=3,
                             steps=steps, points=points, eval_every=0)
    results = {setting: []}
    projects = []
    for seed in seeds:
        project = _step(f"seed {seed}: sample scenes and simulate scribbles",
                        lambda seed=seed: _sample(folder, setting, seed))
        if not projects:
            _step("propagate the scribbles through 3D", lambda p=project: (None, _propagate(p)))
        projects.append(project)
        for variant, what in (("ema", "the EMA baseline"), ("rewis3d", "Rewis3d (2D + 3D, CMC)")):
            results[setting].append(_step(
                f"seed {seed}: train {what}, {steps} steps",
                lambda v=variant, p=project, seed=seed: _train(p, setting, v, seed)))
    _step("write the figure",
          lambda: (None, _figure(projects[0], setting, folder / "demo.png")))
    print()
    print(quality_table(results))
    print(f"\nprojects left in {folder}: `rewis3d info {folder / setting.project_name(seeds[0])}`"
          " or `make app` to look at one")
    by = {v: [r for r in results[setting] if r.variant == v] for v in ("ema", "rewis3d")}
    return {f"{v}_{key}": [getattr(r, key) for r in rows] for v, rows in by.items()
            for key in ("same_clip", "unseen_clip")}


def _sample(folder: Path, setting, seed: int) -> tuple[Project, str]:
    from rewis3d.bench.quality import build_repetition

    project = build_repetition(folder, setting, seed, report=lambda s: None)
    scene = project.scene(TRAIN_SCENE)
    w, h = setting.size
    return project, (f"{scene.num_frames}-frame training clip + an unseen clip ({w}x{h}); "
                     f"scribbles on frames {scene.annotations.labelled_frames()}; 'simulated' "
                     f"reconstruction with {scene.reconstruction('simulated').num_points:,} points")


def _train(project: Project, setting, variant: str, seed: int):
    from rewis3d.bench.quality import train_variant

    r = train_variant(project, setting, variant, seed, report=lambda s: None)
    return r, (f"{r.seconds:.0f} s of training: same clip {100 * r.same_clip:.1f} %, unseen "
               f"clip {100 * r.unseen_clip:.1f} % (2D mIoU)")


def _propagate(project: Project) -> str:
    from rewis3d.derived.preview import open_preview
    from rewis3d.geometry import lift_labels

    scene = project.scene(TRAIN_SCENE)
    rec = scene.reconstruction("simulated")
    preview = open_preview(scene, rec, project.num_classes)
    filled = agree = 0
    for f in range(scene.num_frames):
        labels, _ = preview.frame_labels(f)
        gt = scene.gt[f]
        mask = (labels != IGNORE_INDEX) & (gt != IGNORE_INDEX)
        filled += int(mask.sum())
        agree += int((labels[mask] == gt[mask]).sum())
    direct = int(np.count_nonzero(lift_labels(scene, rec).labels != IGNORE_INDEX))
    return (f"labels lifted onto {direct:,} points; the preview fills {filled:,} pixels in "
            f"{scene.num_frames} frames, {100 * agree / max(filled, 1):.1f}% agree with gt")


def _figure(project: Project, setting, path: Path) -> str:
    from rewis3d.train.predict import predict

    for variant in ("ema", "rewis3d"):
        predict(project, setting.run_name(variant), [TRAIN_SCENE], with_3d=False)
    write_comparison_png(project, project.scene(TRAIN_SCENE),
                         {"EMA baseline": setting.run_name("ema"),
                          "Rewis3d": setting.run_name("rewis3d")}, path)
    return f"frame | ground truth | EMA baseline | Rewis3d | 3D propagation -> {path}"


def write_comparison_png(project: Project, scene, runs: dict[str, str], path: Path) -> None:
    """One held-out frame, titled panels: RGB | ground truth | each run's prediction | the
    scribbles propagated through 3D (white: no label reaches the pixel)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rewis3d.derived.preview import open_preview

    labelled = set(scene.annotations.labelled_frames())
    frame = next((f for f in range(scene.num_frames // 2, scene.num_frames) if f not in labelled),
                 0)
    shown = "held out" if frame not in labelled else "labelled"
    palette = np.full((256, 3), 255, np.uint8)
    for c in project.classes:
        palette[c.id] = c.color
    preview = open_preview(scene, scene.reconstruction("simulated"),
                                            project.num_classes)
    panels = {f"frame {frame} ({shown})": np.asarray(scene.rgb[frame]),
              "ground truth": palette[scene.gt[frame]]}
    panels.update({title: palette[scene.predictions(run).labels[frame]]
                   for title, run in runs.items()})
    panels["scribbles propagated in 3D"] = palette[preview.frame_labels(frame)[0]]
    h, w = panels["ground truth"].shape[:2]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.4 * len(panels), 2.4 * h / w + 0.4))
    for ax, (title, image) in zip(axes, panels.items(), strict=True):
        ax.imshow(image)
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("demo-project"))
    parser.add_argument("--seeds", default=",".join(map(str, DEMO_SEEDS)),
                        help="repetitions (each draws its own scenes, labels, training seed)")
    parser.add_argument("--steps", type=int, default=200, help="training steps per method")
    args = parser.parse_args()
    try:
        seeds = tuple(int(s) for s in args.seeds.split(","))
    except ValueError:
        parser.error(f"--seeds: expected comma-separated integers, got {args.seeds!r}")
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    run_demo(args.folder, seeds=seeds, steps=args.steps)


if __name__ == "__main__":
    main()
