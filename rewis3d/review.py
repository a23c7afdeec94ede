"""The review loop without a screen: rank frames by how unsure a run's predictions are, take a
prediction into the annotations inside a region, and set up a retraining run from a checkpoint.

What is ranked, per frame, over its predicted pixels (the terms add up):

- 2D uncertainty: the mean normalised entropy that ``predict`` stores; predictions written
  before it stored entropy fall back to the mean of ``1 - max probability`` (least-confidence).
- 2D/3D teacher disagreement, when stored: the share of pixels with a reconstruction point
  where the run's 3D teacher predicts another class than the 2D student.
- Disagreement with a compared run (e.g. the EMA baseline vs Rewis3d), when one is chosen: the
  share of pixels both predict where they predict different classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from rewis3d.errors import InputError
from rewis3d.store import IGNORE_INDEX, Scene
from rewis3d.store.predictions import NO_POINT

ACCEPT_TOOL = "accept-prediction"
UNSURE_BELOW = 0.5  # a pixel whose max probability is below this counts as unsure
ENTROPY = "entropy"
LEAST_CONFIDENCE = "1 - max p"


@dataclass(frozen=True)
class FrameScore:
    """How much a frame needs a person's look: higher ``score`` = look first."""

    frame: int
    uncertainty: float  # mean of ``uncertainty_from`` over predicted pixels
    unsure_share: float  # share of predicted pixels with max probability < UNSURE_BELOW
    disagreement: float | None  # share of pixels where the compared run predicts another class
    labelled: bool  # the frame already has annotations
    disagreement_3d: float | None = None  # share of pixels with a point where the 3D teacher differs
    uncertainty_from: str = LEAST_CONFIDENCE  # ENTROPY, or LEAST_CONFIDENCE without stored entropy

    @property
    def score(self) -> float:
        return self.uncertainty + (self.disagreement_3d or 0.0) + (self.disagreement or 0.0)


def frame_score(frame: int, labels: np.ndarray, confidence: np.ndarray,
                other_labels: np.ndarray | None = None, labelled: bool = False,
                entropy: np.ndarray | None = None,
                disagreement_3d: np.ndarray | None = None) -> FrameScore:
    """Score one frame from its predicted labels and confidence ((H, W) each), and the
    normalised entropy and 3D disagreement maps when the run stored them."""
    labels = np.asarray(labels)
    predicted = labels != IGNORE_INDEX
    kind = LEAST_CONFIDENCE if entropy is None else ENTROPY
    conf = np.asarray(confidence, dtype=np.float32)[predicted]
    if conf.size == 0:
        return FrameScore(frame, 0.0, 0.0, None, labelled, None, kind)
    if entropy is None:
        uncertainty = float(np.mean(1.0 - conf))
    else:
        uncertainty = float(np.mean(np.asarray(entropy, dtype=np.float32)[predicted]))
    return FrameScore(frame, uncertainty, float(np.mean(conf < UNSURE_BELOW)),
                      _share_differing(labels, other_labels, predicted), labelled,
                      _share_3d_differing(disagreement_3d, predicted), kind)


def _share_differing(labels: np.ndarray, other_labels: np.ndarray | None,
                     predicted: np.ndarray) -> float | None:
    if other_labels is None:
        return None
    other_labels = np.asarray(other_labels)
    both = predicted & (other_labels != IGNORE_INDEX)
    return float(np.mean(labels[both] != other_labels[both])) if both.any() else None


def _share_3d_differing(disagreement_3d: np.ndarray | None,
                        predicted: np.ndarray) -> float | None:
    if disagreement_3d is None:
        return None
    disagreement_3d = np.asarray(disagreement_3d)
    seen = predicted & (disagreement_3d != NO_POINT)
    return float(np.mean(disagreement_3d[seen] == 1)) if seen.any() else None


def rank_frames(scene: Scene, run: str, compare_run: str | None = None) -> list[FrameScore]:
    """Every frame of ``scene`` scored from ``run``'s predictions, most uncertain first."""
    prediction = scene.predictions(run)
    other = scene.predictions(compare_run) if compare_run else None
    labelled = set(scene.annotations.labelled_frames())

    def frame_of(array, f):
        return None if array is None else array[f]

    scores = [
        frame_score(f, prediction.labels[f], prediction.confidence[f],
                    None if other is None else other.labels[f], f in labelled,
                    frame_of(prediction.entropy, f), frame_of(prediction.disagreement_3d, f))
        for f in range(scene.num_frames)
    ]
    return sorted(scores, key=lambda s: (-s.score, s.frame))


def score_terms(ranking: list[FrameScore]) -> list[str]:
    """The terms the ranking's scores add up, for a heading: e.g. ["mean entropy",
    "2D/3D teacher disagreement", "disagreement with the compared run"]."""
    terms = []
    if any(s.uncertainty_from == ENTROPY for s in ranking):
        terms.append("mean entropy")
    if any(s.uncertainty_from == LEAST_CONFIDENCE for s in ranking):
        terms.append("mean 1 − max probability")
    if any(s.disagreement_3d is not None for s in ranking):
        terms.append("2D/3D teacher disagreement")
    if any(s.disagreement is not None for s in ranking):
        terms.append("disagreement with the compared run")
    return terms


def next_uncertain_frame(ranking: list[FrameScore], seen: set[int]) -> int | None:
    """The most uncertain frame not yet seen (None when every frame was looked at)."""
    return next((s.frame for s in ranking if s.frame not in seen), None)


def accept_prediction(scene: Scene, run: str, frame: int, region: np.ndarray,
                      tool: str = ACCEPT_TOOL) -> dict[int, int]:
    """Copy ``run``'s predicted classes inside ``region`` ((H, W) bool) into the annotations.

    One journalled stroke per class, so the accepted labels are as crash-safe and undoable as
    drawn ones. Returns pixels accepted per class id.
    """
    region = np.asarray(region, dtype=bool)
    if region.shape != tuple(scene.image_size):
        raise InputError(f"the region is {region.shape}, frame {frame} is {scene.image_size}")
    predicted = np.asarray(scene.predictions(run).labels[frame])
    accepted = {}
    for class_id in np.unique(predicted[region]):
        if class_id == IGNORE_INDEX:
            continue  # pixels the run did not predict stay as they are
        mask = region & (predicted == class_id)
        scene.annotations.add_stroke(frame, int(class_id), mask, tool=tool)
        accepted[int(class_id)] = int(mask.sum())
    return accepted


def retrain_config(run_dir: Path, weights_dir: Path, out: Path) -> Path:
    """A config for a new run: ``run_dir``'s settings, starting from its exported 2D weights.

    A finished run cannot train further under its own config (resuming refuses changed
    settings), so corrections are learnt by a new run that starts from the old 2D student.
    """
    source = Path(run_dir) / "config.yaml"
    if not source.is_file():
        raise InputError(f"run {Path(run_dir).name!r} has no config.yaml; retrain needs a "
                         "training run")
    config = yaml.safe_load(source.read_text()) or {}
    config.setdefault("model", {})["pretrained_2d"] = str(Path(weights_dir).absolute())
    out.write_text(yaml.safe_dump(config, sort_keys=False))
    return out


def next_run_name(existing: list[str], run: str) -> str:
    """``run-r1``, ``run-r2``, ...: the first retraining name not taken."""
    base = run.rsplit("-r", 1)[0] if run.rsplit("-r", 1)[-1].isdigit() else run
    n = 1
    while f"{base}-r{n}" in existing:
        n += 1
    return f"{base}-r{n}"
