"""Predict with a run's 2D student (the only network needed at inference) into
``predictions/<run>`` of each scene: labels, the max softmax probability and the normalised
2D entropy per pixel.

For a Rewis3d run (not the EMA baseline) whose reconstruction the scene has, the 3D teacher of
the last checkpoint also labels each frame's own points, and ``disagreement_3d`` marks the
pixels where it differs from the 2D prediction (0 agree, 1 differ, 255 no point). This is the
2D/3D teacher disagreement the review ranking uses; ``with_3d=False`` skips it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from rewis3d.store import Project
from rewis3d.store.predictions import NO_POINT
from rewis3d.train.augment3d import teacher_inputs
from rewis3d.train.checkpoint import latest_checkpoint, load_weights
from rewis3d.train.config import TrainConfig
from rewis3d.train.evaluate import predict_frame
from rewis3d.train.events import EventLog
from rewis3d.train.models import student_2d, student_3d
from rewis3d.train.progress import Progress
from rewis3d.train.run import load_run_config, run_dir_of

CHUNK_SEED = 0  # the points of a view are split into chunks in a fixed random order


def load_student_2d(project: Project, run: str) -> tuple[torch.nn.Module, Path]:
    """The run's trained 2D student (eval mode) and the checkpoint it came from."""
    run_dir = run_dir_of(project, run)
    config = load_run_config(run_dir)
    config.model.pretrained_2d = None  # the checkpoint holds every weight
    model = student_2d(config.model, [c.name for c in project.classes])
    path = latest_checkpoint(run_dir)
    load_weights(path, {"student_2d": model})
    return model.eval(), path


def load_teacher_3d(project: Project, run: str, role: str = "teacher_3d"
                    ) -> torch.nn.Module | None:
    """The run's 3D teacher (or ``role="student_3d"``) at its last checkpoint (eval mode);
    None for the EMA baseline."""
    run_dir = run_dir_of(project, run)
    config = load_run_config(run_dir)
    if config.method.baseline == "ema":
        return None
    model = student_3d(config.model, project.num_classes, pretrained=False)  # the run's own
    load_weights(latest_checkpoint(run_dir), {role: model})
    return model.eval()


def normalised_entropy(probs: torch.Tensor) -> np.ndarray:
    """Entropy of softmax probabilities (C, H, W) divided by log C: (H, W) float32 in [0, 1]."""
    num_classes = probs.shape[0]
    if num_classes < 2:
        return np.zeros(probs.shape[1:], np.float32)
    entropy = -torch.special.xlogy(probs, probs).sum(0) / math.log(num_classes)
    return entropy.clamp(0.0, 1.0).numpy().astype(np.float32)


@torch.no_grad()
def teacher_point_labels(model: torch.nn.Module, points: np.ndarray, colors: np.ndarray,
                         grid_size: float, chunk: int) -> np.ndarray:
    """The 3D model's class (N,) int64 for every point of one view.

    Features are built as in training (xy-centred xyz + rgb in [0, 1], centred over the whole
    view). The points are split, in a fixed random order, into chunks of at most ``chunk``
    (the run's training sample size): each chunk is a uniform subset of the view at a density
    like a training sample's, and memory stays bounded however many points a view has.
    """
    n = len(points)
    labels = np.empty(n, dtype=np.int64)
    if n == 0:
        return labels
    coord, feat = teacher_inputs(points, colors)
    order = np.random.default_rng(CHUNK_SEED).permutation(n)
    for rows in np.array_split(order, max(1, math.ceil(n / max(chunk, 1)))):
        labels[rows] = model(torch.from_numpy(feat[rows]), torch.from_numpy(coord[rows]),
                             grid_size=grid_size).argmax(1).numpy()
    return labels


def disagreement_map(labels_2d: np.ndarray, pixels: np.ndarray,
                     labels_3d: np.ndarray) -> np.ndarray:
    """(H, W) uint8: 1 where a point's 3D label differs from the 2D label at its pixel (v, u),
    0 where the points there agree, NO_POINT where no point was seen."""
    out = np.full(labels_2d.shape, NO_POINT, dtype=np.uint8)
    v, u = pixels[:, 0], pixels[:, 1]
    differ = labels_2d[v, u] != labels_3d
    out[v, u] = 0
    out[v[differ], u[differ]] = 1  # a pixel with several points: any one differing counts
    return out


def predict(project: Project | str | Path, run: str, scenes: list[str] | None = None,
            frames: list[int] | None = None, window: int | None = None,
            progress=None, with_3d: bool = True,
            chunk_points: int | None = None) -> dict[str, int]:
    """Write predictions of ``run`` for ``scenes`` (default all); returns frames per scene.

    ``progress(scene, frame)`` is called after each frame. ``with_3d=False`` skips the 3D
    teacher (no ``disagreement_3d``), as does a scene without the run's reconstruction.
    ``chunk_points`` bounds the points per 3D forward (default: the run's ``data.points``).
    """
    project = project if isinstance(project, Project) else Project.open(project)
    run_dir = run_dir_of(project, run)
    config: TrainConfig = load_run_config(run_dir)
    with Progress(EventLog(run_dir).write) as live:  # "predicting" events in the run's log
        live.enter("predicting")
        return _predict(project, run, config, scenes, frames, window, progress, with_3d,
                        chunk_points, live)


def _predict(project: Project, run: str, config: TrainConfig, scenes, frames, window,
             progress, with_3d: bool, chunk_points, live: Progress) -> dict[str, int]:
    model, path = load_student_2d(project, run)
    teacher = load_teacher_3d(project, run) if with_3d else None
    window = window or config.data.eval_window
    chunk_points = chunk_points or config.data.points
    done = {}
    for name in scenes or project.scene_names():
        scene = project.scene(name)
        recon_name = config.data.reconstruction
        recon = (scene.reconstruction(recon_name)
                 if teacher is not None and recon_name in scene.reconstruction_names() else None)
        todo = frames if frames is not None else range(scene.num_frames)
        with scene.prediction_writer(run) as writer:
            for i, f in enumerate(todo):
                live.advance(f"scene {name}: frame {i + 1}/{len(todo)}")
                probs = predict_frame(model, scene.rgb[f], project.num_classes, window,
                                      torch.device("cpu"))
                conf, labels = probs.max(0)
                labels = labels.numpy().astype(np.uint8)
                disagreement = None
                if recon is not None:
                    view = recon.view(f)
                    labels_3d = teacher_point_labels(teacher, view["points"], view["colors"],
                                                     config.model.grid_size, chunk_points)
                    disagreement = disagreement_map(labels, np.asarray(view["pixel"]), labels_3d)
                writer.write(f, labels, conf.numpy(), entropy=normalised_entropy(probs),
                             disagreement_3d=disagreement)
                if progress:
                    progress(name, f)
            attrs = {"run": run, "checkpoint": path.name}
            if recon is not None:
                attrs["reconstruction_3d"] = recon_name
            writer.set_attrs(**attrs)
        done[name] = len(todo)
    return done
