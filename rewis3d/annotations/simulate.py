"""Run a label simulator over chosen frames, report its coverage, and write it into a scene."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rewis3d.annotations.coarse import CoarseConfig, simulate_coarse
from rewis3d.annotations.frames import FrameSelection
from rewis3d.annotations.points import PointsConfig, simulate_points
from rewis3d.annotations.regions import IGNORE
from rewis3d.annotations.scribbles import ScribblesConfig, simulate_scribbles
from rewis3d.errors import InputError
from rewis3d.registry import Registry
from rewis3d.store import Project


@dataclass(frozen=True)
class Simulator:
    config_type: type
    run: Callable[[np.ndarray, np.random.Generator, object], np.ndarray]
    coverage_range: tuple[float, float]  # documented share of labelled pixels per frame


SIMULATORS: Registry[Simulator] = Registry("label simulator")
SIMULATORS.register("points", Simulator(PointsConfig, simulate_points, (0.0, 0.001)))
SIMULATORS.register("scribbles", Simulator(ScribblesConfig, simulate_scribbles, (0.005, 0.05)))
SIMULATORS.register("coarse", Simulator(CoarseConfig, simulate_coarse, (0.4, 0.7)))


@dataclass
class SimulationResult:
    """Labels per frame (255 = unlabelled) and how much of the frames they cover."""

    kind: str
    labels: dict[int, np.ndarray]
    coverage: float  # labelled pixels / all pixels of the labelled frames
    class_coverage: dict[int, float]  # labelled / ground-truth pixels of each class
    absent_classes: list[int] = field(default_factory=list)  # no gt pixels in the chosen frames

    @property
    def frames(self) -> list[int]:
        return sorted(self.labels)

    def summary(self, class_names: list[str]) -> str:
        lines = [f"{self.kind}: {len(self.labels)} frames labelled, "
                 f"coverage {100 * self.coverage:.3f}% of their pixels"]
        for c, share in sorted(self.class_coverage.items()):
            lines.append(f"  {class_names[c]:<12} {100 * share:7.3f}% of its pixels")
        for c in self.absent_classes:
            lines.append(f"  {class_names[c]:<12} skipped: no pixels in the chosen frames")
        return "\n".join(lines)


def simulator(kind: str) -> Simulator:
    return SIMULATORS[kind]


def simulate_labels(gt_frames: dict[int, np.ndarray], kind: str, num_classes: int,
                    config=None, seed: int = 0) -> SimulationResult:
    """Simulate ``kind`` labels from dense ``gt_frames`` ({frame: (H,W) u8}).

    A class with no pixels in any chosen frame is skipped with a warning and listed in
    ``absent_classes`` (its coverage is undefined).
    """
    sim = simulator(kind)
    config = config if config is not None else sim.config_type()
    if not isinstance(config, sim.config_type):
        raise InputError(f"{kind} labels need a {sim.config_type.__name__}, "
                         f"got {type(config).__name__}")
    config.validate()
    labels, gt_counts, label_counts = {}, np.zeros(256), np.zeros(256)
    for frame, gt in sorted(gt_frames.items()):
        gt = np.asarray(gt)
        out = sim.run(gt, np.random.default_rng([seed, frame]), config)
        labels[frame] = out
        gt_counts += np.bincount(gt.ravel(), minlength=256)
        label_counts += np.bincount(out.ravel(), minlength=256)
    total = sum(g.size for g in gt_frames.values())
    coverage = float((total - label_counts[IGNORE]) / max(total, 1))
    present = [c for c in range(num_classes) if gt_counts[c] > 0]
    absent = [c for c in range(num_classes) if gt_counts[c] == 0]
    if absent:
        warnings.warn(f"classes {absent} have no pixels in the chosen frames; skipped",
                      UserWarning, stacklevel=2)
    per_class = {c: float(label_counts[c] / gt_counts[c]) for c in present}
    return SimulationResult(kind, labels, coverage, per_class, absent)


def simulate_scene_labels(project: Project, scene_name: str, kind: str,
                          selection: FrameSelection | None = None, config=None, seed: int = 0,
                          overwrite: bool = False) -> SimulationResult:
    """Simulate labels for a stored scene and write them into its annotations.

    Everything is checked and computed before the first write, so bad input leaves the store
    as it was. Existing labels are kept unless ``overwrite`` (then all of them are replaced).
    """
    simulator(kind)
    scene = project.scene(scene_name)
    if not scene.has_gt:
        raise InputError(f"scene {scene.name!r} has no dense ground truth (frames/gt), which "
                         "label simulators start from; use a synthetic scene (`rewis3d sample`) "
                         "or import a dataset with labels")
    frames = (selection or FrameSelection()).resolve(scene.num_frames)
    annotations = scene.annotations
    if annotations.labelled_frames() and not overwrite:
        raise InputError(f"scene {scene.name!r} already has labels on "
                         f"{len(annotations.labelled_frames())} frames; pass overwrite=True "
                         "(CLI: --overwrite) to replace them")
    result = simulate_labels({f: np.asarray(scene.gt[f]) for f in frames}, kind,
                             project.num_classes, config, seed)
    if overwrite:
        annotations.clear()
    for frame, labels in result.labels.items():
        annotations.set_frame(frame, labels, source=f"simulated-{kind}")
    return result
