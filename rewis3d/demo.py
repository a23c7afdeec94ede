"""`make demo`: the deepest pipeline that exists, end to end, on a built-in synthetic street.

Each step is a library call a user could make (or a CLI command); the demo prints what each
produced and how long it took, and leaves the project folder behind for `rewis3d info` / napari.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rewis3d.store import IGNORE_INDEX, Project
from rewis3d.store.schema import STORE_NAME


def _step(title: str, fn: Callable[[], str]) -> None:
    print(f"==> {title}", flush=True)
    start = time.perf_counter()
    summary = fn()
    print(f"    {summary}\n    ({time.perf_counter() - start:.1f} s)", flush=True)


def run_demo(folder: Path, frames: int = 24, size: tuple[int, int] = (192, 144), seed: int = 0,
             steps: int = 200, points: int = 4096) -> dict[str, float]:
    """Run every stage; returns the 2D mIoU of the EMA baseline and of Rewis3d."""
    from rewis3d.annotations import FrameSelection, simulate_scene_labels
    from rewis3d.geometry import PropagationPreview, lift_labels
    from rewis3d.reconstruct import reconstruct_scene
    from rewis3d.synthetic import SceneConfig, sample_into_project

    folder = Path(folder)
    if folder.exists():
        if not (folder / STORE_NAME).exists():
            raise SystemExit(f"{folder} exists and is not a Rewis3d project; pick another folder")
        shutil.rmtree(folder)  # the demo always starts fresh
    width, height = size
    state: dict = {}

    def sample():
        result = sample_into_project(folder, SceneConfig("street", frames, width, height, seed))
        state["project"] = Project.open(folder)
        state["scene"] = state["project"].scene(result.scene)
        return (f"{result.frames} frames {width}x{height} with depth + dense gt, "
                f"'simulated' reconstruction with {result.points:,} points")

    def scribbles():
        result = simulate_scene_labels(state["project"], state["scene"].name, "scribbles",
                                       FrameSelection(every=4), seed=seed)
        return result.summary([c.name for c in state["project"].classes]).replace("\n", "\n    ")

    def reconstruct():
        rec = reconstruct_scene(state["scene"], "sensor-depth")
        return f"sensor-depth reconstruction: {rec.num_points:,} points"

    def propagate():
        scene, project = state["scene"], state["project"]
        rec = scene.reconstruction("simulated")
        preview = PropagationPreview.from_scene(scene, rec, project.num_classes)
        lifted = lift_labels(scene, rec)
        filled = agree = direct = 0
        for f in range(scene.num_frames):
            labels, _ = preview.frame_labels(f)
            gt = scene.gt[f]
            mask = (labels != IGNORE_INDEX) & (gt != IGNORE_INDEX)
            filled += int(mask.sum())
            agree += int((labels[mask] == gt[mask]).sum())
        direct = int(np.count_nonzero(lifted.labels != IGNORE_INDEX))
        return (f"labels lifted onto {direct:,} points; the preview fills {filled:,} pixels in "
                f"{scene.num_frames} frames, {100 * agree / max(filled, 1):.1f}% agree with gt")

    def train(variant: str):
        def run():
            from rewis3d.train import preset, run_training
            from rewis3d.train.predict import predict
            from rewis3d.train.quality import variant_config

            config = variant_config(preset("cpu-quick"), variant, seed, steps, points=points)
            result = run_training(state["project"], config, run=f"demo-{variant}")
            predict(state["project"], result.run, with_3d=False)  # no review here: skip the 3D map
            state[variant] = result.metrics.miou_2d
            return (f"run {result.run}: {result.steps} steps in {result.seconds:.0f} s, 2D mIoU "
                    f"{100 * result.metrics.miou_2d:.1f}% on held-out frames; predictions stored")
        return run

    def figure():
        path = folder / "demo.png"
        write_comparison_png(state["project"], state["scene"], ["demo-ema", "demo-rewis3d"], path)
        return f"frame | ground truth | EMA baseline | Rewis3d -> {path}"

    _step("sample a synthetic street scene", sample)
    _step("simulate scribbles on every 4th frame", scribbles)
    _step("reconstruct from sensor depth", reconstruct)
    _step("propagate the scribbles through 3D", propagate)
    _step(f"train the EMA baseline (cpu-quick, {steps} steps)", train("ema"))
    _step(f"train Rewis3d (cpu-quick, {steps} steps, 2D + 3D with CMC)", train("rewis3d"))
    _step("write the comparison figure", figure)
    print("\n| method | 2D mIoU (held-out frames) |\n|---|---|")
    print(f"| EMA baseline | {100 * state['ema']:.1f} % |\n| Rewis3d | {100 * state['rewis3d']:.1f} % |")
    print(f"\nproject left in {folder}: `rewis3d info {folder}` or `make app` to look at it")
    return {"ema": state["ema"], "rewis3d": state["rewis3d"]}


def write_comparison_png(project: Project, scene, runs: list[str], path: Path) -> None:
    """One held-out frame: RGB | ground truth | each run's prediction, in class colours."""
    from PIL import Image

    labelled = set(scene.annotations.labelled_frames())
    frame = next((f for f in range(scene.num_frames // 2, scene.num_frames) if f not in labelled), 0)
    palette = np.zeros((256, 3), np.uint8)
    for c in project.classes:
        palette[c.id] = c.color
    panels = [np.asarray(scene.rgb[frame]), palette[scene.gt[frame]]]
    panels += [palette[scene.predictions(run).labels[frame]] for run in runs]
    gap = np.full((panels[0].shape[0], 4, 3), 255, np.uint8)
    row = np.concatenate([x for p in panels for x in (p, gap)][:-1], axis=1)
    Image.fromarray(row).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("demo-project"))
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=200, help="training steps per method")
    args = parser.parse_args()
    run_demo(args.folder, frames=args.frames, seed=args.seed, steps=args.steps)


if __name__ == "__main__":
    main()
