"""A project folder: the zarr store (frames, labels, reconstructions, predictions) and runs/."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import zarr

from rewis3d.errors import (
    NotAProjectError,
    SchemaVersionError,
    StoreError,
    StoreValidationError,
)
from rewis3d.store.annotations import Annotations
from rewis3d.store.atomic import clean_staging, remove_directory, write_aside
from rewis3d.store.classes import (
    IGNORE_INDEX,
    ClassInfo,
    classes_from_json,
    classes_to_json,
    default_color,
    parse_color,
    validate_classes,
)
from rewis3d.store.frames import FrameWriter
from rewis3d.store.scene import Scene, check_name, list_children
from rewis3d.store.schema import SCHEMA_VERSION, STORE_NAME

ClassSpec = ClassInfo | str | tuple[str, Sequence[int]]


class Project:
    """Open with ``Project.open(path)`` or make with ``Project.create(path, classes)``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.store_path = self.path / STORE_NAME
        self.staging = self.path / ".staging"
        self._root = zarr.open_group(str(self.store_path), mode="r+")
        self._classes = classes_from_json(self._root.attrs.get("classes", []), str(self.store_path))
        self.ignore_index = int(self._root.attrs.get("ignore_index", IGNORE_INDEX))

    # -- create / open ---------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, classes: Sequence[ClassSpec] = ()) -> Project:
        path = Path(path)
        if (path / STORE_NAME).exists():
            raise StoreError(f"{path} is already a Rewis3d project; open it instead")
        parsed = _parse_class_specs(classes)
        path.mkdir(parents=True, exist_ok=True)
        with write_aside(path / STORE_NAME, directory=True, staging_root=path / ".staging",
                         overwrite=False) as stage:
            root = zarr.open_group(str(stage), mode="w")
            root.attrs.update({
                "rewis3d": {"schema_version": SCHEMA_VERSION},
                "classes": classes_to_json(parsed),
                "ignore_index": IGNORE_INDEX,
            })
            zarr.open_group(str(stage / "scenes"), mode="w")
        (path / "runs").mkdir(exist_ok=True)
        return cls(path)

    @classmethod
    def open(cls, path: str | Path) -> Project:
        path = Path(path)
        if path.name == STORE_NAME:
            path = path.parent
        meta = path / STORE_NAME / "zarr.json"
        if path.is_file():
            raise NotAProjectError(f"{path} is a file, not a project folder; give the folder "
                                   "that holds rewis3d.zarr")
        if not path.is_dir():
            raise NotAProjectError(f"{path}: no such folder. Create a project with "
                                   "`rewis3d import ...` or `rewis3d sample ...`")
        if not meta.is_file():
            raise NotAProjectError(
                f"{path} is not a Rewis3d project (no {STORE_NAME}/zarr.json). Create one with "
                "`rewis3d import ... PROJECT` or `rewis3d sample PROJECT`, or pick its folder"
            )
        try:
            attrs = json.loads(meta.read_text()).get("attributes", {})
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
            raise StoreValidationError(f"{meta}: unreadable metadata ({exc}); restore it") from None
        version = attrs.get("rewis3d", {}).get("schema_version") if isinstance(attrs, dict) else None
        if not isinstance(version, int):
            raise NotAProjectError(
                f"{path}: {STORE_NAME} has no rewis3d.schema_version attribute; it is a zarr "
                "store but not a Rewis3d project"
            )
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{path} was written by a newer Rewis3d (store schema {version}; this version "
                f"reads up to {SCHEMA_VERSION}). Upgrade: pip install -U rewis3d"
            )
        project = cls(path)
        clean_staging(project.staging)
        return project

    # -- classes ---------------------------------------------------------------------------
    @property
    def classes(self) -> list[ClassInfo]:
        return list(self._classes)

    @property
    def num_classes(self) -> int:
        return len(self._classes)

    def class_by(self, key: int | str) -> ClassInfo:
        for c in self._classes:
            if c.name == key or (isinstance(key, int) and c.id == key) or str(c.id) == str(key):
                return c
        names = ", ".join(f"{c.id}:{c.name}" for c in self._classes) or "none yet"
        raise StoreValidationError(f"no class {key!r} (classes: {names})")

    def add_class(self, name: str, color=None) -> ClassInfo:
        new = ClassInfo(len(self._classes), name,
                        parse_color(color) if color is not None else default_color(len(self._classes)))
        self.set_classes([*self._classes, new])
        return new

    def rename_class(self, key: int | str, new_name: str) -> ClassInfo:
        old = self.class_by(key)
        self.set_classes([ClassInfo(c.id, new_name, c.color) if c.id == old.id else c
                          for c in self._classes])
        return self._classes[old.id]

    def set_class_color(self, key: int | str, color) -> ClassInfo:
        old = self.class_by(key)
        rgb = parse_color(color)
        self.set_classes([ClassInfo(c.id, c.name, rgb) if c.id == old.id else c
                          for c in self._classes])
        return self._classes[old.id]

    def set_classes(self, classes: Sequence[ClassInfo]) -> None:
        classes = list(classes)
        before = {c.name for c in self._classes}
        validate_classes(classes, "classes", new_names={c.name for c in classes} - before)
        self._root.attrs["classes"] = classes_to_json(classes)  # one atomic zarr.json write
        self._classes = classes

    # -- scenes ----------------------------------------------------------------------------
    def scene_names(self) -> list[str]:
        return list_children(self.store_path / "scenes")

    def damaged_scene_names(self) -> list[str]:
        """Scene folders whose group metadata is gone (deleted by hand, a disk fault): not
        scenes any more, but not free names either."""
        root = self.store_path / "scenes"
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir()
                      if p.is_dir() and not p.name.startswith(".")
                      and not (p / "zarr.json").is_file())

    def scene(self, name: str) -> Scene:
        path = self.store_path / "scenes" / name
        if not (path / "zarr.json").is_file():
            if path.is_dir() and name in self.damaged_scene_names():
                raise StoreValidationError(
                    f"{path}: the scene's zarr.json is missing, so it cannot be opened; restore "
                    "the file from a backup, or delete the folder and import the scene again")
            have = ", ".join(self.scene_names()) or "none"
            raise StoreError(f"project {self.path} has no scene {name!r} (scenes: {have})")
        scene = Scene(path, self.staging, lambda: self.num_classes)
        scene.annotations.recover()
        return scene

    @contextlib.contextmanager
    def scene_writer(
        self, name: str, overwrite: bool = False, source: dict | None = None
    ) -> Iterator[FrameWriter]:
        """Add a scene frame by frame; it appears only when the block ends without error."""
        check_name(name, "scene")
        final = self.store_path / "scenes" / name
        if final.exists() and not overwrite and not (final / "zarr.json").is_file():
            raise StoreError(
                f"{final} is a damaged scene (its zarr.json is missing); pass --overwrite to "
                "replace it, or restore the file from a backup")
        if final.exists() and not overwrite:
            raise StoreError(
                f"scene {name!r} exists in {self.path}; pass --overwrite to replace it "
                "(its annotations, reconstructions and predictions go with it)"
            )
        with write_aside(final, directory=True, staging_root=self.staging,
                         overwrite=overwrite) as stage:
            group = zarr.open_group(str(stage), mode="w")
            writer = FrameWriter(stage, self.num_classes)
            yield writer
            count, size = writer.finish()
            group.attrs.update({"source": source or {}, "frame_names": writer.names})
            Annotations.create(stage / "annotations", count, size)
            for sub in ("reconstructions", "predictions"):
                zarr.open_group(str(stage / sub), mode="w")

    def delete_scene(self, name: str) -> None:
        self.scene(name)  # raises a clear error when absent
        remove_directory(self.store_path / "scenes" / name, self.staging)

    # -- runs ------------------------------------------------------------------------------
    @property
    def runs_dir(self) -> Path:
        return self.path / "runs"

    def run_names(self) -> list[str]:
        if not self.runs_dir.is_dir():
            return []
        return sorted(p.name for p in self.runs_dir.iterdir() if p.is_dir())


def _parse_class_specs(specs: Sequence[ClassSpec]) -> list[ClassInfo]:
    out = []
    for i, spec in enumerate(specs):
        if isinstance(spec, ClassInfo):
            out.append(ClassInfo(i, spec.name, spec.color))
        elif isinstance(spec, str):
            out.append(ClassInfo(i, spec, default_color(i)))
        else:
            name, color = spec
            out.append(ClassInfo(i, name, parse_color(color)))
    validate_classes(out, new_names={c.name for c in out})
    return out
