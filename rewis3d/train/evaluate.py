"""Evaluation: the 2D student on full held-out frames (sliding window when wide) against dense
ground truth, and the 3D student on those frames' own points against the gt at their pixels.

Held-out frames are the frames with ground truth that carry no labels; a scene whose every
frame is labelled is evaluated on all its frames (and says so in ``note``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from rewis3d.errors import InputError
from rewis3d.models.models2d import segment_logits
from rewis3d.store import IGNORE_INDEX, Project
from rewis3d.train.augment3d import teacher_inputs
from rewis3d.train.metrics import ConfusionMatrix, sliding_window_probs
from rewis3d.train.models import normalise

EVAL_POINTS_SEED = 12345


@dataclass
class EvalResult:
    miou_2d: float
    iou_2d: list[float]
    miou_3d: float | None = None
    iou_3d: list[float] | None = None
    frames: dict[str, list[int]] = field(default_factory=dict)
    note: str = ""
    confusion_2d: np.ndarray | None = None  # (C, C) pixel counts, ground truth x prediction

    def as_event(self, class_names: list[str]) -> dict:
        out = {"miou_2d": self.miou_2d, "iou_2d": dict(zip(class_names, self.iou_2d, strict=True))}
        if self.miou_3d is not None:
            out["miou_3d"] = self.miou_3d
            out["iou_3d"] = dict(zip(class_names, self.iou_3d, strict=True))
        return out


def held_out_frames(scene) -> tuple[list[int], str]:
    if not scene.has_gt:
        return [], f"scene {scene.name!r} has no ground truth; skipped"
    labelled = set(scene.annotations.labelled_frames())
    frames = [f for f in range(scene.num_frames) if f not in labelled]
    if frames:
        return frames, ""
    return list(range(scene.num_frames)), f"scene {scene.name!r}: every frame is labelled, " \
                                          "evaluated on all (not held out)"


@torch.no_grad()
def predict_frame(model, rgb: np.ndarray, num_classes: int, window: int,
                  device: torch.device) -> torch.Tensor:
    """Softmax (C, H, W) of the 2D model for one frame (H, W, 3) u8."""
    image = torch.from_numpy(np.asarray(rgb)).permute(2, 0, 1).float().to(device) / 255.0
    image = normalise(image[None])[0]
    return sliding_window_probs(lambda x: segment_logits(model, x), image, num_classes, window)


@torch.no_grad()
def evaluate(project: Project, scenes: list[str], model_2d, model_3d=None, window: int = 512,
             reconstruction: str = "simulated", points: int = 20000,
             grid_size: float = 0.05, device: torch.device | None = None,
             max_frames: int | None = None) -> EvalResult:
    device = device or torch.device("cpu")
    c = project.num_classes
    cm2, cm3 = ConfusionMatrix(c), ConfusionMatrix(c)
    was_training = model_2d.training
    model_2d.eval()
    if model_3d is not None:
        model_3d.eval()
    used, notes = {}, []
    for name in scenes:
        scene = project.scene(name)
        frames, note = held_out_frames(scene)
        if note:
            notes.append(note)
        frames = frames[:max_frames] if max_frames else frames
        used[name] = frames
        recon = scene.reconstruction(reconstruction) if model_3d is not None and frames else None
        for f in frames:
            gt = np.asarray(scene.gt[f])
            probs = predict_frame(model_2d, scene.rgb[f], c, window, device)
            cm2.update(probs.argmax(0).cpu().numpy(), gt)
            if recon is not None:
                _eval_view_points(model_3d, recon.view(f), gt, points, grid_size, device, cm3)
    model_2d.train(was_training)
    if not any(used.values()):
        raise InputError("nothing to evaluate: no scene has dense ground truth (frames/gt)")
    result = EvalResult(cm2.miou(), cm2.iou().tolist(), frames=used, note="; ".join(notes),
                        confusion_2d=cm2.counts)
    if model_3d is not None:
        with_points = [i for i in range(c) if cm3.counts[i].sum() > 0]
        result.miou_3d = cm3.miou(with_points)
        result.iou_3d = cm3.iou().tolist()
    return result


def view_point_logits(model_3d, view: dict, budget: int, grid_size: float, device="cpu",
                      rng: np.random.Generator | None = None) -> tuple[torch.Tensor, np.ndarray]:
    """The 3D model's logits on up to ``budget`` of a view's points, and which points they are.

    The benchmarks that read a 3D model use it too, so they see what evaluation sees; the draw
    is the evaluation's fixed one unless ``rng`` is given.
    """
    n = len(view["points"])
    rng = np.random.default_rng(EVAL_POINTS_SEED) if rng is None else rng
    keep = np.sort(rng.choice(n, size=min(n, budget), replace=False))
    coord, feat = teacher_inputs(view["points"][keep], view["colors"][keep])
    return model_3d(torch.from_numpy(feat).to(device), torch.from_numpy(coord).to(device),
                    grid_size=grid_size), keep


def _eval_view_points(model_3d, view: dict, gt: np.ndarray, budget: int, grid_size: float,
                      device, cm: ConfusionMatrix) -> None:
    if not len(view["points"]):
        return
    logits, keep = view_point_logits(model_3d, view, budget, grid_size, device)
    pix = view["pixel"][keep]
    point_gt = gt[pix[:, 0], pix[:, 1]]
    cm.update(logits.argmax(1).cpu().numpy(), np.where(point_gt == IGNORE_INDEX, 255, point_gt))
