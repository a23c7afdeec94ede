"""Per-frame label maps on disk: reading PNGs, matching them to frames, turning ids into classes.

The pieces of ``rewis3d import-labels`` (see :mod:`rewis3d.io.labels`) and of the dataset readers
that bring labels along (ScanNet's ``label-filt/``). Every check raises
:class:`~rewis3d.errors.InputError` naming the file or option at fault and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rewis3d.errors import InputError
from rewis3d.io.common import natural_key, open_image
from rewis3d.store.classes import IGNORE_INDEX, MAX_CLASSES, ClassInfo, default_color

ID_SPACE = 1 << 16  # label maps hold 8- or 16-bit ids
UNLABELLED = ID_SPACE - 1  # "unlabelled" in the uint16 space between reading and the store
# A trailing ".color" / ".label" tag is dropped when matching names: frame-000000.color.png
# (a 7-Scenes frame) matches frame-000000.png and frame-000000.label.png.
ROLE_TAGS = {"color", "colour", "rgb", "image", "label", "labels", "gt", "seg", "mask"}
_NAME_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}


# -- reading -------------------------------------------------------------------------------
def read_label_png(path: Path) -> np.ndarray:
    """A PNG of class ids as (H, W) uint8/uint16: palette index, or the 8/16-bit grey value."""
    fmt, mode, raw = open_image(path, "label file", "PNG",
                                "re-export it or take it out of the folder")
    if fmt != "PNG":
        raise InputError(
            f"{path}: is a {fmt} file, not a PNG; label maps must be lossless PNGs ({fmt} "
            "compression would change the ids); re-export it as PNG"
        )
    if mode in ("P", "L", "1"):
        return raw.astype(np.uint8)
    if mode.startswith("I;16"):
        return raw.astype(np.uint16)
    if mode == "I" and (raw.size == 0 or (raw.min() >= 0 and raw.max() < ID_SPACE)):
        return raw.astype(np.uint16)
    raise InputError(
        f"{path}: is a {mode} image; a label map holds one class id per pixel: a palette-mode "
        "PNG (ids = palette indices) or an 8/16-bit greyscale PNG. Convert colour-coded labels "
        "to ids first"
    )


def list_label_files(src: Path) -> list[Path]:
    """The ``.png`` files directly in ``src``, in natural order (``2.png`` before ``10.png``)."""
    from rewis3d.io.common import require_folder

    src = require_folder(src, "a folder of PNG label maps, one per frame")
    files = [p for p in src.iterdir() if p.is_file()]
    pngs = sorted((p for p in files if p.suffix.lower() == ".png"), key=natural_key)
    if not pngs:
        others = ", ".join(p.name for p in sorted(files)[:3])
        raise InputError(
            f"{src}: no .png label maps (found {len(files)} other files: {others}); label maps "
            "must be PNGs named after their frames"
        )
    return pngs


# -- matching files to frames --------------------------------------------------------------
def name_key(name: str) -> str:
    """A file or frame name without its image suffix and a trailing role tag (``.color``)."""
    stem = name
    suffix = Path(name).suffix
    if suffix.lower() in _NAME_SUFFIXES:
        stem = name[: -len(suffix)]
    head, dot, tag = stem.rpartition(".")
    if dot and head and tag.lower() in ROLE_TAGS:
        stem = head
    return stem


@dataclass
class FrameMatch:
    """Which file labels which frame, and how that was decided."""

    pairs: list[tuple[int, Path]]  # (frame index, file), in frame order
    by: str  # "name" or "order"
    skipped: list[Path]  # files naming no frame, skipped on request


def match_label_files(
    files: Sequence[Path], frame_names: Sequence[str], scene: str, skip_unmatched: bool = False
) -> FrameMatch:
    """Match by name (``name_key`` equal); when no file names a frame, by sorted order."""
    num_frames = len(frame_names)
    frame_of: dict[str, int] = {}
    ambiguous: set[str] = set()
    for i, name in enumerate(frame_names):
        key = name_key(name)
        if key in frame_of:
            ambiguous.add(key)
        frame_of[key] = i
    seen: dict[str, Path] = {}
    for path in files:
        key = name_key(path.name)
        if key in seen:
            raise InputError(
                f"{path}: labels the same frame as {seen[key].name}; keep one of the two files"
            )
        seen[key] = path
        if key in ambiguous:
            raise InputError(f"{path}: names more than one frame of scene {scene!r}; rename it")
    named = {path: frame_of[name_key(path.name)] for path in files if name_key(path.name) in frame_of}
    if named:
        unmatched = [p for p in files if p not in named]
        if unmatched and not skip_unmatched:
            examples = ", ".join(frame_names[:3])
            raise InputError(
                f"{unmatched[0]}: matches no frame of scene {scene!r} ({len(unmatched)} of "
                f"{len(files)} label files do not; frames are named like {examples}). Name each "
                "file after its frame, or pass --skip-unmatched to skip label files of frames "
                "that are not in the scene (e.g. a scene imported with --stride)"
            )
        pairs = sorted(((f, p) for p, f in named.items()), key=lambda fp: fp[0])
        return FrameMatch(pairs, "name", unmatched)
    if len(files) > num_frames:
        raise InputError(
            f"{files[num_frames]}: one label file too many: {len(files)} label files for the "
            f"{num_frames} frames of scene {scene!r}, and no file is named after a frame; remove "
            "the extra files or name each file after its frame"
        )
    if len(files) < num_frames:
        example = name_key(frame_names[0]) + ".png" if frame_names else "000000.png"
        raise InputError(
            f"{files[0].parent}: no label file is named after a frame of scene {scene!r}, so the "
            f"files would be matched by sorted order, which needs one file per frame: "
            f"{len(files)} files for {num_frames} frames. Name each file after its frame "
            f"(e.g. {example})"
        )
    return FrameMatch(list(enumerate(files)), "order", [])


# -- ids -----------------------------------------------------------------------------------
def parse_id_map(text: str | None) -> dict[int, int]:
    """``"old:new,old:new"`` -> {old: new}; ``new`` 255 or ``ignore`` = unlabelled (``UNLABELLED``)."""
    mapping: dict[int, int] = {}
    if not text:
        return mapping
    for item in (part.strip() for part in text.split(",")):
        old, sep, new = item.partition(":")
        try:
            if not sep:
                raise ValueError
            old_id = int(old)
            new_id = UNLABELLED if new.strip().lower() in ("ignore", str(IGNORE_INDEX)) else int(new)
        except ValueError:
            raise InputError(
                f"--map: {item!r} is not OLD:NEW (e.g. --map 0:255,7:3; NEW 255 or 'ignore' "
                "= unlabelled)"
            ) from None
        if not (0 <= old_id < ID_SPACE and 0 <= new_id < ID_SPACE):
            raise InputError(f"--map: {item!r}: ids must be 0..{ID_SPACE - 1}")
        if old_id in mapping:
            raise InputError(f"--map: id {old_id} is mapped twice")
        mapping[old_id] = new_id
    return mapping


def read_class_names(path: Path) -> list[str]:
    """A classes file: one class name per line, line 1 = id 0 in the label maps."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: classes file not found (--classes); check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: unreadable classes file ({exc})") from None
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise InputError(f"{path}: the classes file is empty; write one class name per line")
    names = [line.strip() for line in lines]
    for i, name in enumerate(names):
        if not name:
            raise InputError(
                f"{path}:{i + 1}: empty line; line i names id i-1, so every line up to the last "
                "needs a name (map unused ids away with --map ID:255)"
            )
    return names


class IdResolver:
    """File ids -> "keys" (``--ignore``, ``--map``), then keys -> store class ids.

    Without a classes file a key is a project class id; with one, a line of that file, whose
    name is looked up in the project later (only for the keys the files use).
    """

    def __init__(self, num_keys: int, ignore: int, id_map: dict[int, int], describe_keys: str,
                 classes_file: Path | None = None):
        if not 0 <= ignore < ID_SPACE:
            raise InputError(f"--ignore must be 0..{ID_SPACE - 1} (got {ignore})")
        self.num_keys = num_keys
        self.ignore = ignore
        self.id_map = id_map
        self._describe_keys = describe_keys
        self._classes_file = classes_file
        for old, new in id_map.items():
            if new != UNLABELLED and new >= num_keys:
                raise InputError(f"--map {old}:{new}: {new} is not {describe_keys} nor 255")
        lut = np.arange(ID_SPACE, dtype=np.int32)
        lut[lut >= num_keys] = -1
        for old, new in id_map.items():
            lut[old] = new
        if ignore not in id_map:
            lut[ignore] = UNLABELLED
        self.lut = lut

    def keys(self, raw: np.ndarray, path: Path) -> np.ndarray:
        """(H, W) uint16 keys of one file, ``UNLABELLED`` where unlabelled; bad ids raise."""
        keys = self.lut[raw]
        if (keys < 0).any():
            bad = int(raw[keys < 0].min())
            raise InputError(f"{path}: {self.explain(bad)}")
        return keys.astype(np.uint16)

    def explain(self, raw_id: int) -> str:
        fix = f"remap it with --map {raw_id}:NEW (NEW 255 = unlabelled)"
        if self._classes_file is not None:
            return (f"label id {raw_id} has no line in {self._classes_file} ({self.num_keys} "
                    f"lines name ids 0..{self.num_keys - 1}); add a line for it or {fix}")
        return (f"label id {raw_id} is not {self._describe_keys} (--ignore {self.ignore} = "
                f"unlabelled); add the missing classes (`rewis3d classes PROJECT add NAME`), "
                f"{fix}, or name the file's ids with --classes classes.txt")


# -- classes -------------------------------------------------------------------------------
@dataclass
class ClassPlan:
    """Store ids for a list of names, and the names that must be added to the project first."""

    ids: list[int]
    new: list[ClassInfo]

    def lut(self) -> np.ndarray:
        """Key (index into the names) -> store id; ``UNLABELLED`` -> 255."""
        lut = np.full(ID_SPACE, IGNORE_INDEX, np.uint8)
        lut[: len(self.ids)] = self.ids
        return lut

    def apply(self, project) -> Callable[[], None]:
        """Add the new classes; returns the function that restores the class list."""
        old = project.classes
        if self.new:
            project.set_classes([*old, *self.new])

        def restore() -> None:
            if self.new and project.classes != old:
                project.set_classes(old)

        return restore


def plan_classes(project, names: Sequence[str | None], add: bool, where: str) -> ClassPlan:
    """Map ``names`` (None = unused) to the project's class ids by name.

    Names the project lacks get the next free ids when ``add``; otherwise they are an error that
    names them and the command that adds them.
    """
    by_name = {c.name: c.id for c in project.classes}
    missing = list(dict.fromkeys(n for n in names if n is not None and n not in by_name))
    if missing and not add:
        shown = ", ".join(repr(n) for n in missing[:8]) + (" ..." if len(missing) > 8 else "")
        raise InputError(
            f"{where}: {len(missing)} class(es) are not in the project: {shown}; add them with "
            f"`rewis3d classes {project.path} add {missing[0]}` (one per class), or pass "
            "--add-classes to add them all"
        )
    if project.num_classes + len(missing) > MAX_CLASSES:
        raise InputError(
            f"{where}: adding {len(missing)} classes would exceed {MAX_CLASSES} classes "
            "(255 = unlabelled); map unneeded ids to 255 with --map"
        )
    new = []
    for name in missing:
        cid = project.num_classes + len(new)
        new.append(ClassInfo(cid, name, default_color(cid)))
        by_name[name] = cid
    ids = [by_name[n] if n is not None else IGNORE_INDEX for n in names]
    return ClassPlan(ids, new)
