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


def run_demo(folder: Path, frames: int = 24, size: tuple[int, int] = (192, 144), seed: int = 0):
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

    _step("sample a synthetic street scene", sample)
    _step("simulate scribbles on every 4th frame", scribbles)
    _step("reconstruct from sensor depth", reconstruct)
    _step("propagate the scribbles through 3D", propagate)
    print(f"\nproject left in {folder}: `rewis3d info {folder}` or `make app` to look at it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("demo-project"))
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run_demo(args.folder, frames=args.frames, seed=args.seed)


if __name__ == "__main__":
    main()
