"""The quality benchmark and the demo's comparison: EMA baseline vs Rewis3d vs ablations on the
same synthetic scene, the same simulated labels and the same step budget, over seeds."""

from __future__ import annotations

import copy
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rewis3d.store import Project
from rewis3d.train import config as cfg
from rewis3d.train.run import RunResult, run_training


def _set(section: str, key: str, value) -> Callable[[cfg.TrainConfig], None]:
    return lambda c: setattr(getattr(c, section), key, value)


VARIANTS: dict[str, Callable[[cfg.TrainConfig], None]] = {
    "ema": _set("method", "baseline", "ema"),
    "rewis3d": lambda c: None,
    "random-sampling": _set("data", "sampling", "random"),
    "conf-none": _set("method", "conf", "none"),
    "conf-pred": _set("method", "conf", "pred"),
    "conf-recon": _set("method", "conf", "recon"),
}


def variant_config(base: cfg.TrainConfig, variant: str, seed: int, steps: int | None,
                   points: int | None = None) -> cfg.TrainConfig:
    config = copy.deepcopy(base)
    if points is not None:
        config.data.points = points
    VARIANTS[variant](config)
    config.run.seed = seed
    config.run.log_every = 25
    if steps is not None:
        config.optim.steps = steps
    return config


def compare_baseline_vs_rewis3d(project: Project | str | Path, preset: str = "cpu-quick",
                                steps: int | None = None, seed: int = 0,
                                variants: tuple[str, ...] = ("ema", "rewis3d"),
                                prefix: str = "demo", hooks=None) -> dict[str, RunResult]:
    """Train each variant on ``project`` as run ``<prefix>-<variant>-s<seed>``."""
    project = project if isinstance(project, Project) else Project.open(project)
    base = cfg.preset(preset)
    return {v: run_training(project, variant_config(base, v, seed, steps),
                            run=f"{prefix}-{v}-s{seed}", hooks=hooks) for v in variants}


@dataclass
class QualityRow:
    scene: str
    labels: str
    variant: str
    miou: list[float] = field(default_factory=list)

    def cell(self) -> str:
        vals = [100 * m for m in self.miou]
        sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
        return f"{statistics.fmean(vals):5.1f} +- {sd:4.1f}"


def quality_table(rows: list[QualityRow]) -> str:
    """Markdown table: one row per (scene, labels, variant), 2D mIoU mean +- std over seeds."""
    lines = ["| scene | labels | method | 2D mIoU (%) mean +- std | seeds |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.scene} | {r.labels} | {r.variant} | {r.cell()} | {len(r.miou)} |")
    return "\n".join(lines)


def run_quality(root: Path, scenes=("street", "room"), label_kinds=("points", "scribbles"),
                variants=tuple(VARIANTS), seeds=(0, 1, 2), steps: int = 300, frames: int = 12,
                size: tuple[int, int] = (160, 120), label_every: int = 3,
                preset: str = "cpu-quick", points: int | None = None, report: Callable[[str], None] = print
                ) -> list[QualityRow]:
    """Build one project per (scene, label kind) under ``root`` and train every variant/seed.

    Labels go on every ``label_every``-th frame; the other frames (dense gt) are held out.
    """
    from rewis3d.annotations import FrameSelection, simulate_scene_labels
    from rewis3d.synthetic import SceneConfig, sample_into_project

    rows = []
    for kind in scenes:
        for labels in label_kinds:
            path = Path(root) / f"{kind}-{labels}"
            if not (path / "rewis3d.zarr").exists():
                sample_into_project(path, SceneConfig(kind=kind, frames=frames, width=size[0],
                                                      height=size[1], seed=7))
                simulate_scene_labels(Project.open(path), kind, labels,
                                      FrameSelection(every=label_every), seed=7)
            project = Project.open(path)
            for variant in variants:
                row = QualityRow(kind, labels, variant)
                for seed in seeds:
                    run = f"q-{variant}-s{seed}-{steps}-{points or 'preset'}"
                    config = variant_config(cfg.preset(preset), variant, seed, steps, points)
                    result = run_training(project, config, run=run)
                    row.miou.append(result.metrics.miou_2d)
                    report(f"{kind}/{labels}/{variant}/seed {seed}: "
                           f"mIoU {100 * result.metrics.miou_2d:.1f} ({result.seconds:.0f} s)")
                rows.append(row)
    return rows
