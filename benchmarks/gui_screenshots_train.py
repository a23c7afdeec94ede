"""Screenshots of the Train and Review tabs, for docs/gui_training.md:
`xvfb-run -a python benchmarks/gui_screenshots_train.py`.

The job is this script itself run with ``--worker`` (a stand-in for ``rewis3d train`` that
writes plausible loss and mIoU events, and predictions derived from the ground truth with
errors that grow away from the labelled frames), so the pictures take seconds, not minutes.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_screenshots import sample_viewer, scribble_frames, settle  # noqa: E402

LABELLED = (0, 6)


def fake_prediction(project: Path, run: str, error_scale: float, seed: int) -> None:
    """gt with wrong, unsure blobs (bigger far from the labelled frames), unsure edges."""
    from rewis3d.store import Project

    rng = np.random.default_rng(seed)
    scene = Project.open(project).scene("street")
    with scene.prediction_writer(run) as writer:
        for f in range(scene.num_frames):
            gt = np.asarray(scene.gt[f]).copy()
            conf = np.full(gt.shape, 0.93, np.float32) - rng.random(gt.shape) * 0.05
            edges = np.zeros(gt.shape, bool)
            edges[1:] |= gt[1:] != gt[:-1]
            edges[:, 1:] |= gt[:, 1:] != gt[:, :-1]
            conf[edges] = 0.55
            distance = min(abs(f - frame) for frame in LABELLED)
            for _ in range(int(error_scale * (1 + distance))):
                h, w = rng.integers(8, 24, 2)
                v, u = rng.integers(0, gt.shape[0] - h), rng.integers(0, gt.shape[1] - w)
                gt[v:v + h, u:u + w] = rng.integers(0, 7)
                conf[v:v + h, u:u + w] = 0.3 + 0.2 * rng.random()
            writer.write(f, gt, conf)


def worker(words: list[str]) -> int:
    """``train PROJECT ... --run R --steps N`` writes events; ``predict PROJECT --run R``."""
    project, opts = Path(words[1]), dict(zip(words[2::2], words[3::2], strict=False))
    run = opts["--run"]
    if words[0] == "predict":
        fake_prediction(project, run, 1.0, seed=1)
        return 0
    rng = np.random.default_rng(0)
    total = int(opts.get("--steps", 300))
    with open(project / "runs" / run / "events.jsonl", "a") as events:
        def write(**event) -> None:
            events.write(json.dumps({"time": time.time(), **event}) + "\n")
            events.flush()

        for step in range(10, total + 1, 10):
            x = step / total
            ramp = min(max((x - 0.43) / 0.14, 0.0), 1.0)
            sup_2d, sup_3d = 1.9 * np.exp(-4 * x) + 0.15, 1.6 * np.exp(-3 * x) + 0.2
            cons_2d, cons_3d = 0.05 + 0.1 * x, 0.04 + 0.08 * x
            cmc_2d, cmc_3d = ramp * 0.6 * np.exp(-2 * x), ramp * 0.5 * np.exp(-2 * x)
            noise = 1 + 0.08 * rng.standard_normal()
            write(kind="step", step=step, total_steps=total,
                  loss=noise * (sup_2d + sup_3d + cons_2d + cons_3d + cmc_2d + cmc_3d),
                  sup_2d=sup_2d * noise, cons_2d=cons_2d, cmc_2d=cmc_2d, sup_3d=sup_3d * noise,
                  cons_3d=cons_3d, cmc_3d=cmc_3d, cmc_weight_2d=0.1 * ramp)
            if step % 30 == 0:
                write(kind="eval", step=step, miou_2d=0.62 - 0.5 * np.exp(-5 * x),
                      miou_3d=0.55 - 0.45 * np.exp(-4 * x))
            time.sleep(0.25)
    return 0


def main() -> None:
    project, viewer, dock, app, shot = sample_viewer("rewis3d-shots-train-", (1700, 1000),
                                                     settle_s=0.5)
    session = dock.session

    dock.project_panel.open_project(project)
    scribble_frames(session, LABELLED)
    fake_prediction(project, "ema-1", 2.0, seed=2)  # an earlier EMA-baseline run to compare

    panel = dock.training_panel
    panel.job_command = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    dock.show_panel(panel)
    panel.settings.steps.setValue(300)
    panel.run_name.setText("rewis3d-1")
    panel.start()
    while panel.progress.value() < 170:
        settle(app, 0.1)
    shot("train")

    while "rewis3d-1 prediction" not in viewer.layers:
        settle(app, 0.2)
    dock.tabs.setCurrentIndex(dock.tabs.count() - 1)
    review = dock.review_panel
    review.run.setCurrentText("rewis3d-1")
    review.compare.setCurrentText("ema-1")
    review.rank()
    frame = review.next_frame()
    review.brush_region()
    region = review.region_layer
    region.data[frame, 70:100, 20:70] = 1
    review.accept_region()
    region.data[frame, 20:45, 90:140] = 1
    region.refresh()
    viewer.layers.selection.active = region
    shot("review")
    viewer.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(worker(sys.argv[2:]))
    main()
