"""``rewis3d import-labels``: a folder of per-frame PNG label maps into a scene.

Two phases. *Check*: every file is listed, matched to its frame, read, size-checked and its ids
resolved (``--ignore``, ``--map``, ``--classes``) into a staging array under ``.staging/``;
nothing in the store changes, so any error leaves the project as it was. *Write*: classes the
files need are added (``--add-classes``), then

- ``gt``: a complete new ``frames/gt`` array is built aside and renamed into place (frames
  without a label file keep their old ground truth, or 255 = none when the scene had none);
- ``annotations``: each labelled frame goes through ``Annotations.set_frame`` (one atomic chunk
  write plus a journal entry per frame); frames without a label file are not touched. A crash
  in this phase (nothing in the check phase can cause one) leaves every frame either before or
  after its import.

Frames that already hold labels are refused unless ``on_existing`` is "replace" (the file's
labels replace the frame's) or "merge" (the file's labelled pixels are drawn over the old ones).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import zarr

from rewis3d.errors import InputError
from rewis3d.io.label_maps import (
    UNLABELLED,
    ClassPlan,
    IdResolver,
    list_label_files,
    match_label_files,
    parse_id_map,
    plan_classes,
    read_class_names,
    read_label_png,
)
from rewis3d.store import IGNORE_INDEX, Project, Scene
from rewis3d.store.atomic import staging_name, write_aside

TARGETS = ("gt", "annotations")
ON_EXISTING = ("refuse", "replace", "merge")
Progress = Callable[[str, int, int], None]  # (phase "check" | "write", done, total)


@dataclass
class LabelImportResult:
    scene: str
    target: str
    matched_by: str  # "name" or "order"
    pairs: list[tuple[int, str]]  # (frame, label file name) of the imported frames
    labelled_pixels: int
    added_classes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # label files naming no frame


def import_label_maps(
    project: Project,
    scene_name: str,
    src: Path,
    target: str,
    *,
    classes_file: Path | None = None,
    id_map: str | dict[int, int] | None = None,
    ignore: int = IGNORE_INDEX,
    add_classes: bool = False,
    on_existing: str = "refuse",
    skip_unmatched: bool = False,
    progress: Progress | None = None,
) -> LabelImportResult:
    """Import the PNG label maps in ``src`` into ``scene_name``'s ``target`` ("gt" or
    "annotations"); see the module docstring. On any error the store is unchanged."""
    if target not in TARGETS:
        raise InputError(f"--as must be one of {', '.join(TARGETS)} (got {target!r})")
    if on_existing not in ON_EXISTING:
        raise ValueError(on_existing)
    scene = project.scene(scene_name)
    files = list_label_files(Path(src))
    names = scene.frame_names if len(scene.frame_names) == scene.num_frames else []
    match = match_label_files(files, names or [f"{i:06d}" for i in range(scene.num_frames)],
                              scene.name, skip_unmatched)
    id_map = id_map if isinstance(id_map, dict) else parse_id_map(id_map)
    class_names = read_class_names(classes_file) if classes_file is not None else None
    if class_names is not None:
        n = len(class_names)
        resolver = IdResolver(n, ignore, id_map, f"an id named in {classes_file} (0..{n - 1})",
                              classes_file)
    else:
        n = project.num_classes
        what = (f"a class of the project (ids 0..{n - 1})" if n
                else "a class of the project (it has no classes yet)")
        resolver = IdResolver(n, ignore, id_map, what)
    report = progress or (lambda phase, done, total: None)
    existing = _existing_labels(scene, target, match.pairs) if on_existing == "refuse" else []
    if existing:
        raise InputError(
            f"scene {scene.name!r} already has {_what(target)} on {len(existing)} of the "
            f"{len(match.pairs)} frames to import (first: frame {existing[0]} "
            f"{_frame_name(scene, existing[0])!r}); pass --replace to replace them with the "
            "files' labels, or --merge to draw the files' labels over them"
        )

    with _scratch(project) as scratch:
        keys, used = _check_files(scene, match.pairs, resolver, scratch, report)
        if class_names is not None:
            where = f"{classes_file} (classes used by the label maps)"
            plan = plan_classes(project, [class_names[k] if k in used else None
                                          for k in range(len(class_names))], add_classes, where)
        else:
            plan = ClassPlan(list(range(project.num_classes)), [])
        lut = plan.lut()
        lut[UNLABELLED] = IGNORE_INDEX
        restore = plan.apply(project)
        try:
            write = _write_gt if target == "gt" else _write_annotations
            pixels = write(project, scene, match.pairs, keys, lut, on_existing, report)
        except BaseException:
            restore()
            raise
    return LabelImportResult(
        scene.name, target, match.by, [(f, p.name) for f, p in match.pairs], pixels,
        [c.name for c in plan.new], [p.name for p in match.skipped],
    )


# -- check ---------------------------------------------------------------------------------
def _check_files(scene: Scene, pairs, resolver: IdResolver, scratch: Path, report):
    """Read every file, check its size and ids; keys go to a scratch array. Returns it + used keys."""
    h, w = scene.image_size
    keys = zarr.create_array(store=str(scratch / "keys"), shape=(scene.num_frames, h, w),
                             dtype="uint16", chunks=(1, h, w), fill_value=UNLABELLED)
    used: set[int] = set()
    for done, (frame, path) in enumerate(pairs, 1):
        raw = read_label_png(path)
        if raw.shape != (h, w):
            raise InputError(
                f"{path}: is {raw.shape[1]}x{raw.shape[0]} but the frames of scene "
                f"{scene.name!r} are {w}x{h}; a label map must have its frame's size (resize "
                "it with nearest-neighbour, never bilinear, which invents ids)"
            )
        frame_keys = resolver.keys(raw, path)
        used.update(int(k) for k in np.unique(frame_keys) if k != UNLABELLED)
        keys[frame] = frame_keys
        report("check", done, len(pairs))
    return keys, used


def _existing_labels(scene: Scene, target: str, pairs) -> list[int]:
    """Frames to import that already hold labels (of ``target``)."""
    frames = [f for f, _ in pairs]
    if target == "annotations":
        labelled = scene.annotations.labelled_counts()
        return [f for f in frames if f in labelled]
    if scene.gt is None:
        return []
    return [f for f in frames if (np.asarray(scene.gt[f]) != IGNORE_INDEX).any()]


# -- write ---------------------------------------------------------------------------------
def _new_labels(keys, frame: int, lut: np.ndarray, old: np.ndarray | None, on_existing: str):
    new = lut[np.asarray(keys[frame])]
    if old is not None and on_existing == "merge":
        new = np.where(new == IGNORE_INDEX, old, new).astype(np.uint8)
    return new


def _write_gt(project, scene: Scene, pairs, keys, lut, on_existing, report) -> int:
    """Build the whole gt array aside (old frames copied), then rename it into place."""
    h, w = scene.image_size
    files = dict(pairs)
    pixels = 0
    with write_aside(scene.path / "frames" / "gt", directory=True, staging_root=project.staging,
                     overwrite=True) as stage:
        gt = zarr.create_array(store=str(stage), shape=(scene.num_frames, h, w), dtype="uint8",
                               chunks=(1, h, w), fill_value=IGNORE_INDEX)
        for frame in range(scene.num_frames):
            old = np.asarray(scene.gt[frame]) if scene.gt is not None else None
            if frame in files:
                labels = _new_labels(keys, frame, lut, old, on_existing)
                pixels += int(np.count_nonzero(labels != IGNORE_INDEX))
            else:
                labels = old
            if labels is not None and (labels != IGNORE_INDEX).any():
                gt[frame] = labels
            report("write", frame + 1, scene.num_frames)
    return pixels


def _write_annotations(project, scene: Scene, pairs, keys, lut, on_existing, report) -> int:
    """One ``set_frame`` per labelled frame: an atomic chunk write and a journal entry."""
    annotations = scene.annotations
    pixels = 0
    for done, (frame, path) in enumerate(pairs, 1):
        old = annotations.frame(frame)
        labels = _new_labels(keys, frame, lut, old, on_existing)
        pixels += int(np.count_nonzero(labels != IGNORE_INDEX))
        if not np.array_equal(labels, old):
            annotations.set_frame(frame, labels, source=f"import-labels:{path.name}")
        report("write", done, len(pairs))
    return pixels


# -- helpers -------------------------------------------------------------------------------
@contextlib.contextmanager
def _scratch(project: Project) -> Iterator[Path]:
    """A private folder under ``.staging/`` (removed after; a crash's leftover is cleaned on open)."""
    path = project.staging / staging_name("import-labels")
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _what(target: str) -> str:
    return "ground truth" if target == "gt" else "annotations"


def _frame_name(scene: Scene, frame: int) -> str:
    return scene.frame_names[frame] if frame < len(scene.frame_names) else f"{frame:06d}"
