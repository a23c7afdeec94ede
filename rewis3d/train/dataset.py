"""Training batches: per labelled frame a 2D crop (student + teacher views, sparse labels), a
view-aware 3D sample (xyz + rgb features, lifted labels, reconstruction confidence) and the
pixel <-> point correspondences between them.

Everything a batch needs is drawn from a generator seeded by (run seed, step), so a batch is a
pure function of the step: resuming at step k rebuilds exactly the batches k, k+1, ...
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from rewis3d.geometry import SamplingConfig, SamplingIndex, lift_view, view_aware_sample
from rewis3d.reconstruct.filtering import drop_lowest_confidence
from rewis3d.store import IGNORE_INDEX, InputError, Project
from rewis3d.train.augment2d import NO_POINT, View2D, shared_geometry, student_photometric
from rewis3d.train.augment3d import center_xy, student_coords
from rewis3d.train.config import DataConfig

SAMPLING_METHODS = {"view-aware": "sphere", "random": "random"}


@dataclass
class SceneData:
    """One scene held in memory: its labelled frames and (for Rewis3d) its filtered points."""

    name: str
    frames: list[int]
    rgb: dict[int, np.ndarray]
    labels: dict[int, np.ndarray]
    points: np.ndarray | None = None
    colors: np.ndarray | None = None
    conf: np.ndarray | None = None
    point_labels: np.ndarray | None = None
    index: SamplingIndex | None = None


@dataclass
class Batch:
    student_image: torch.Tensor  # (B, 3, h, w) in [0, 1]
    teacher_image: torch.Tensor
    labels: torch.Tensor  # (B, h, w) long
    # 3D part (None for the EMA baseline)
    student_feat: torch.Tensor | None = None  # (N, 6) xyz + rgb
    student_coord: torch.Tensor | None = None
    teacher_feat: torch.Tensor | None = None
    teacher_coord: torch.Tensor | None = None
    point_labels: torch.Tensor | None = None  # (N,) long
    conf: torch.Tensor | None = None  # (N,) reconstruction confidence
    offset: torch.Tensor | None = None  # (B,) cumulative point counts
    corr_point: torch.Tensor | None = None  # (K,) index into the N points
    corr_pixel: torch.Tensor | None = None  # (K,) flat index into B*h*w pixels

    @property
    def size(self) -> int:
        return int(self.labels.shape[0])


def load_scenes(project: Project, config: DataConfig, with_3d: bool) -> list[SceneData]:
    """The scenes to train on, checked: labels exist and use known classes; points exist."""
    names = config.scenes or project.scene_names()
    scenes = []
    for name in names:
        scene = project.scene(name)
        frames = scene.annotations.labelled_frames()
        if not frames:
            if config.scenes:
                raise InputError(f"scene {name!r} has no labelled frames; draw labels in the "
                                 "GUI or run `rewis3d simulate-labels PROJECT --scene " + name + "`")
            continue
        labels = {f: scene.annotations.frame(f) for f in frames}
        _check_class_ids(labels, project.num_classes, name)
        data = SceneData(name, frames, {f: np.asarray(scene.rgb[f]) for f in frames}, labels)
        if with_3d:
            _attach_points(data, scene, config)
        scenes.append(data)
    if not scenes:
        raise InputError(f"project {project.path} has no labelled frames in "
                         f"{', '.join(names) or 'any scene'}: training needs sparse labels; draw "
                         "some in the GUI or run `rewis3d simulate-labels PROJECT --scene S`")
    return scenes


def _check_class_ids(labels: dict[int, np.ndarray], num_classes: int, scene: str) -> None:
    for f, lab in labels.items():
        bad = np.unique(lab[(lab != IGNORE_INDEX) & (lab >= num_classes)])
        if bad.size:
            raise InputError(f"scene {scene!r} frame {f}: label ids {bad.tolist()} are beyond "
                             f"the project's {num_classes} classes (0..{num_classes - 1}); add "
                             "the classes (`rewis3d classes add`) or fix the labels")


def _attach_points(data: SceneData, scene, config: DataConfig) -> None:
    recon = scene.reconstruction(config.reconstruction)  # names the command when missing
    full = recon.load()
    if config.conf_drop > 0:
        full = drop_lowest_confidence(full, config.conf_drop)
    labels = np.full(len(full.points), IGNORE_INDEX, dtype=np.uint8)
    for f in data.frames:
        s = slice(int(full.frame_ptr[f]), int(full.frame_ptr[f + 1]))
        labels[s] = lift_view(data.labels[f], full.pixel[s])
    if not len(full.points):
        raise InputError(f"reconstruction {scene.name}/{config.reconstruction} has no points; "
                         f"reconstruct again (`rewis3d reconstruct PROJECT --scene {scene.name}`)")
    data.points, data.colors, data.conf, data.point_labels = (
        full.points, full.colors, full.conf, labels)
    data.index = SamplingIndex.build(full.points, full.frame_ptr, full.pixel)


class TrainingData:
    """Draws batches of (scene, labelled frame) samples."""

    def __init__(self, scenes: list[SceneData], config: DataConfig, with_3d: bool):
        self.scenes = scenes
        self.config = config
        self.with_3d = with_3d
        self.samples = [(i, f) for i, s in enumerate(scenes) for f in s.frames]

    def __len__(self) -> int:
        return len(self.samples)

    def batch(self, rng: np.random.Generator) -> Batch:
        picks = rng.choice(len(self.samples), size=self.config.batch_size,
                           replace=len(self.samples) < self.config.batch_size)
        items = [self._item(*self.samples[int(p)], rng) for p in picks]
        return self._collate(items)

    def _item(self, scene_index: int, frame: int, rng: np.random.Generator) -> dict:
        scene = self.scenes[scene_index]
        c = self.config
        h, w = scene.labels[frame].shape
        corr = torch.full((h, w), NO_POINT, dtype=torch.long)
        item: dict = {}
        if self.with_3d:
            sample = self._sample_points(scene, frame, rng)
            pos, v, u = (torch.from_numpy(sample.correspondences[:, k]) for k in range(3))
            corr[v, u] = pos
            pts = scene.points[sample.indices]
            rgb = scene.colors[sample.indices].astype(np.float32) / 255.0
            teacher = center_xy(pts.astype(np.float32))
            student = student_coords(pts, rng)
            item.update(
                teacher_coord=teacher, student_coord=student,
                teacher_feat=np.concatenate([teacher, rgb], 1),
                student_feat=np.concatenate([student, rgb], 1),
                point_labels=scene.point_labels[sample.indices].astype(np.int64),
                conf=scene.conf[sample.indices].astype(np.float32),
            )
        image = torch.from_numpy(scene.rgb[frame]).permute(2, 0, 1).float() / 255.0
        labels = torch.from_numpy(scene.labels[frame].astype(np.int64))
        view = shared_geometry(View2D(image, labels, corr), rng, c.crop, c.rescale, c.aspect)
        item["teacher_image"] = view.image
        item["student_image"] = student_photometric(view.image, rng, c.blur_p, c.augmix_p, c.cutout)
        item["labels"] = view.labels
        item["view"] = view
        return item

    def _sample_points(self, scene: SceneData, frame: int, rng: np.random.Generator):
        c = self.config
        sampling = SamplingConfig(budget=min(c.points, scene.index.num_points),
                                  image_ratio=c.image_ratio, method=SAMPLING_METHODS[c.sampling])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a budget of the whole scene is fine here
            return view_aware_sample(scene.index, frame, sampling, rng)

    def _collate(self, items: list[dict]) -> Batch:
        batch = Batch(
            student_image=torch.stack([i["student_image"] for i in items]),
            teacher_image=torch.stack([i["teacher_image"] for i in items]),
            labels=torch.stack([i["labels"] for i in items]),
        )
        if not self.with_3d:
            return batch
        counts = [len(i["point_labels"]) for i in items]
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        h, w = batch.labels.shape[1:]
        points, pixels = [], []
        for b, (item, start) in enumerate(zip(items, starts, strict=True)):
            pos, pix = item["view"].correspondences()
            points.append(pos + int(start))
            pixels.append(pix + b * h * w)

        def cat(key):
            return torch.from_numpy(np.concatenate([i[key] for i in items]))

        batch.student_feat, batch.teacher_feat = cat("student_feat"), cat("teacher_feat")
        batch.student_coord, batch.teacher_coord = cat("student_coord"), cat("teacher_coord")
        batch.point_labels, batch.conf = cat("point_labels"), cat("conf")
        batch.offset = torch.tensor(np.cumsum(counts), dtype=torch.long)
        batch.corr_point, batch.corr_pixel = torch.cat(points), torch.cat(pixels)
        return batch
