"""Training batches: per labelled frame a 2D crop (student + teacher views, sparse labels), a
view-aware 3D sample (xyz + rgb features, lifted labels, reconstruction confidence) and the
pixel <-> point correspondences between them.

Everything a batch needs is drawn from a generator seeded by (run seed, step), so a batch is a
pure function of the step: resuming at step k rebuilds exactly the batches k, k+1, ...

The scene's points are never loaded whole: sampling uses the reconstruction's stored,
memory-mapped `SamplingIndex`, and a batch reads only its sampled rows' colours and
confidences. What stays in memory per scene is one byte per point (the confidence-drop mask)
plus the lifted labels of the labelled views, so 60M-point scenes train in bounded memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from rewis3d.derived.sampling_index import load_sampling_index
from rewis3d.errors import InputError
from rewis3d.geometry import SamplingConfig, SamplingIndex, lift_view, view_aware_sample
from rewis3d.reconstruct.filtering import confident_in_view
from rewis3d.store import IGNORE_INDEX, Project
from rewis3d.store.annotations import check_label_ids
from rewis3d.train.augment2d import NO_POINT, View2D, shared_geometry, student_photometric
from rewis3d.train.augment3d import student_coords, teacher_inputs
from rewis3d.train.config import DataConfig

SAMPLING_METHODS = {"view-aware": "sphere", "random": "random", "single-view": "single-view"}


@dataclass
class SceneData:
    """One scene: its labelled frames in memory and (for Rewis3d) lazy access to its points."""

    name: str
    frames: list[int]
    rgb: dict[int, np.ndarray]
    labels: dict[int, np.ndarray]
    reconstruction: object | None = None  # the stored reconstruction (lazy zarr arrays)
    index: SamplingIndex | None = None
    keep: np.ndarray | None = None  # (N,) bool, False = dropped for low confidence
    view_labels: dict[int, np.ndarray] | None = None  # labelled frame -> its points' labels

    def point_labels(self, rows: np.ndarray) -> np.ndarray:
        """Lifted labels (int64) of point rows; IGNORE_INDEX outside the labelled views."""
        out = np.full(len(rows), IGNORE_INDEX, dtype=np.int64)
        frame_ptr = self.index.frame_ptr
        frame = np.searchsorted(frame_ptr, rows, side="right") - 1
        for f, labels in self.view_labels.items():
            mine = frame == f
            out[mine] = labels[rows[mine] - frame_ptr[f]]
        return out


@dataclass
class Batch:
    student_image: torch.Tensor  # (B, 3, h, w) in [0, 1]
    teacher_image: torch.Tensor
    labels: torch.Tensor  # (B, h, w) long
    valid: torch.Tensor  # (B, h, w) bool, False = crop padding (excluded from every loss)
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


def load_scenes(project: Project, config: DataConfig, with_3d: bool,
                no_3d_classes: tuple[int, ...] = (),
                phase: Callable[[str, str], None] | None = None) -> list[SceneData]:
    """The scenes to train on, checked: labels exist and use known classes; points exist.
    ``phase(name, detail)`` hears where the work is (``preparing data``, ``building sampling
    index``). ``no_3d_classes`` (sky) are ignore in the lifted 3D labels, as in the released code: their
    points are reconstruction noise, not geometry."""
    names = config.scenes or project.scene_names()
    scenes = []
    for name in names:
        if phase:
            phase("preparing data", f"scene {name}")
        scene = project.scene(name)
        frames = scene.annotations.labelled_frames()
        if not frames:
            if config.scenes:
                raise InputError(f"scene {name!r} has no labelled frames; draw labels in the "
                                 "GUI or run `rewis3d simulate-labels PROJECT --scene " + name + "`")
            continue
        labels = {f: scene.annotations.frame(f) for f in frames}
        for f, lab in labels.items():
            check_label_ids(lab, project.num_classes, f"scene {name!r} frame {f}")
        data = SceneData(name, frames, {f: np.asarray(scene.rgb[f]) for f in frames}, labels)
        if with_3d:
            if phase:
                phase("building sampling index", f"scene {name}")
            _attach_points(data, scene, config, no_3d_classes)
        scenes.append(data)
    if not scenes:
        raise InputError(f"project {project.path} has no labelled frames in "
                         f"{', '.join(names) or 'any scene'}: training needs sparse labels; draw "
                         "some in the GUI or run `rewis3d simulate-labels PROJECT --scene S`")
    return scenes


def _attach_points(data: SceneData, scene, config: DataConfig,
                   no_3d_classes: tuple[int, ...]) -> None:
    recon = scene.reconstruction(config.reconstruction)  # names the command when missing
    if not recon.num_points:
        raise InputError(f"reconstruction {scene.name}/{config.reconstruction} has no points; "
                         f"reconstruct again (`rewis3d reconstruct PROJECT --scene {scene.name}`)")
    data.reconstruction = recon
    data.index = load_sampling_index(recon)
    data.keep = _confident_rows(recon, config.conf_drop)
    data.view_labels = {}
    for f in data.frames:
        lifted = lift_view(data.labels[f], np.asarray(recon.pixel[recon.view_slice(f)]))
        lifted[np.isin(lifted, no_3d_classes)] = IGNORE_INDEX
        data.view_labels[f] = lifted


def _confident_rows(recon, fraction: float) -> np.ndarray:
    """Per view, the released filter (`confident_in_view`), read one view at a time; nothing
    is dropped when the reconstruction was filtered when it was made (attrs ``drop_low_conf``,
    MapAnything's default), so the drop happens once."""
    keep = np.ones(recon.num_points, dtype=bool)
    done = float(recon.attrs.get("drop_low_conf") or 0)
    if done > 0 and fraction not in (0, done):
        warnings.warn(f"reconstruction {recon.path.name!r} was filtered when it was made "
                      f"(drop_low_conf {done}); data.conf_drop {fraction} is not applied on top",
                      stacklevel=2)
    if fraction <= 0 or done > 0:
        return keep
    for f in range(len(recon.frame_ptr) - 1):
        s = recon.view_slice(f)
        keep[s] = confident_in_view(np.asarray(recon.conf[s]), fraction)
    return keep


def _confident_fill(keep: np.ndarray, taken: np.ndarray, count: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct confident rows not in ``taken``, by rejection (no O(N) index list)."""
    out: list[int] = []
    seen = set(taken.tolist())
    while len(out) < count:
        for row in rng.integers(0, len(keep), size=2 * (count - len(out)) + 8).tolist():
            if keep[row] and row not in seen and len(out) < count:
                seen.add(row)
                out.append(row)
    return np.asarray(out, dtype=np.int64)


def _read_rows(array, rows: np.ndarray) -> np.ndarray:
    """array[rows] for unsorted rows, read in sorted order (one pass over the chunks)."""
    order = np.argsort(rows, kind="stable")
    out = np.empty((len(rows), *array.shape[1:]), dtype=array.dtype)
    out[order] = np.asarray(array[rows[order]])
    return out


class TrainingData:
    """Draws batches of (scene, labelled frame) samples."""

    def __init__(self, scenes: list[SceneData], config: DataConfig, with_3d: bool):
        self.scenes = scenes
        self.config = config
        self.with_3d = with_3d
        self.samples = [(i, f) for i, s in enumerate(scenes) for f in s.frames]

    def __len__(self) -> int:
        return len(self.samples)

    def batch(self, rng: np.random.Generator, shard: slice = slice(None)) -> Batch:
        """The global batch's items in ``shard`` (a data-parallel rank's share). Each item has
        its own stream spawned from the step's generator, so a rank draws only its items."""
        picks = rng.choice(len(self.samples), size=self.config.batch_size,
                           replace=len(self.samples) < self.config.batch_size)
        streams = rng.spawn(len(picks))
        items = [self._item(*self.samples[int(p)], r)
                 for p, r in list(zip(picks, streams, strict=True))[shard]]
        return self._collate(items)

    def _item(self, scene_index: int, frame: int, rng: np.random.Generator) -> dict:
        scene = self.scenes[scene_index]
        c = self.config
        h, w = scene.labels[frame].shape
        corr = torch.full((h, w), NO_POINT, dtype=torch.long)
        item: dict = {}
        if self.with_3d:
            rows, correspondences = self._sample_points(scene, frame, rng)
            pos, v, u = (torch.from_numpy(correspondences[:, k]) for k in range(3))
            corr[v, u] = pos
            recon = scene.reconstruction
            pts = _read_rows(recon.points, rows)
            teacher, teacher_feat = teacher_inputs(pts, _read_rows(recon.colors, rows))
            student = student_coords(pts, rng)
            item.update(
                teacher_coord=teacher, student_coord=student, teacher_feat=teacher_feat,
                student_feat=np.concatenate([student, teacher_feat[:, 3:]], 1),
                point_labels=scene.point_labels(rows),
                conf=_read_rows(recon.conf, rows).astype(np.float32),
            )
        image = torch.from_numpy(scene.rgb[frame]).permute(2, 0, 1).float() / 255.0
        labels = torch.from_numpy(scene.labels[frame].astype(np.int64))
        view = shared_geometry(View2D(image, labels, corr), rng, c.crop, c.rescale, c.aspect)
        item["teacher_image"] = view.image
        item["student_image"] = student_photometric(view.image, rng, c.blur_p, c.augmix_p, c.cutout)
        item["labels"] = view.labels
        item["valid"] = view.valid
        item["view"] = view
        return item

    def _sample_points(self, scene: SceneData, frame: int,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Rows of confident points (in sample order) and their correspondences (position,
        v, u). Draws ~15 % more than the confidence drop removes and keeps the first confident
        ones (the draw is randomly ordered, so that is a uniform subset); a rare shortfall is
        topped up with uniformly drawn confident points of the scene."""
        c = self.config
        n, kept = scene.index.num_points, int(np.count_nonzero(scene.keep))
        budget = min(c.points, kept)
        wanted = min(int(np.ceil(1.15 * budget * n / max(kept, 1))) + 16, n)
        sampling = SamplingConfig(budget=wanted, image_ratio=c.image_ratio,
                                  method=SAMPLING_METHODS[c.sampling])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a budget of the whole scene is fine here
            sample = view_aware_sample(scene.index, frame, sampling, rng)
        chosen = np.flatnonzero(scene.keep[sample.indices])[:budget]
        position = np.full(len(sample.indices), -1, dtype=np.int64)
        position[chosen] = np.arange(len(chosen))
        corr = sample.correspondences.copy()
        corr[:, 0] = position[corr[:, 0]]
        rows = sample.indices[chosen]
        if len(rows) < budget and c.sampling != "single-view":  # single-view: own points only
            rows = np.concatenate([rows, _confident_fill(scene.keep, rows, budget - len(rows),
                                                         rng)])
        return rows, corr[corr[:, 0] >= 0]

    def _collate(self, items: list[dict]) -> Batch:
        batch = Batch(
            student_image=torch.stack([i["student_image"] for i in items]),
            teacher_image=torch.stack([i["teacher_image"] for i in items]),
            labels=torch.stack([i["labels"] for i in items]),
            valid=torch.stack([i["valid"] for i in items]),
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
