"""Predict with a run's 2D student alone (the only network needed at inference) into
``predictions/<run>`` of each scene: labels and the max softmax probability per pixel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from rewis3d.store import Project
from rewis3d.train.checkpoint import latest_checkpoint, load_weights
from rewis3d.train.evaluate import predict_frame
from rewis3d.train.models import student_2d
from rewis3d.train.run import load_run_config, run_dir_of


def load_student_2d(project: Project, run: str) -> tuple[torch.nn.Module, Path]:
    """The run's trained 2D student (eval mode) and the checkpoint it came from."""
    run_dir = run_dir_of(project, run)
    config = load_run_config(run_dir)
    config.model.pretrained_2d = None  # the checkpoint holds every weight
    model = student_2d(config.model, [c.name for c in project.classes])
    path = latest_checkpoint(run_dir)
    load_weights(path, {"student_2d": model})
    return model.eval(), path


def predict(project: Project | str | Path, run: str, scenes: list[str] | None = None,
            frames: list[int] | None = None, window: int | None = None,
            progress=None) -> dict[str, int]:
    """Write predictions of ``run`` for ``scenes`` (default all); returns frames per scene."""
    project = project if isinstance(project, Project) else Project.open(project)
    model, path = load_student_2d(project, run)
    window = window or load_run_config(run_dir_of(project, run)).data.eval_window
    done = {}
    for name in scenes or project.scene_names():
        scene = project.scene(name)
        todo = frames if frames is not None else range(scene.num_frames)
        with scene.prediction_writer(run) as writer:
            for f in todo:
                probs = predict_frame(model, scene.rgb[f], project.num_classes, window,
                                      torch.device("cpu"))
                conf, labels = probs.max(0)
                writer.write(f, labels.numpy().astype(np.uint8), conf.numpy())
                if progress:
                    progress(name, f)
            writer.set_attrs(run=run, checkpoint=path.name)
        done[name] = len(todo)
    return done
