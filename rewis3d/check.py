"""``rewis3d check``: read every part of a project once and say what is damaged.

Opening a project validates its metadata and shapes, but a chunk that was deleted or corrupted
later is found only when something reads it, possibly in the middle of a training run. The
check reads each frame of every scene array, every reconstruction array, every prediction,
parses the stroke journal, and compares the derived indices (sampling index, preview index,
display subset) with the reconstruction they were built from. ``repair`` deletes only what
can be rebuilt (a damaged or stale derived index, built again on next use); damaged frames,
labels, reconstructions and predictions are reported with what to do, never touched.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rewis3d.derived.cache import fingerprint, read_attrs
from rewis3d.derived.display_subset import LOD_FOLDER
from rewis3d.derived.preview_index import PREVIEW_FOLDER
from rewis3d.derived.sampling_index import INDEX_FOLDER
from rewis3d.errors import Rewis3dError

DERIVED_FOLDERS = (INDEX_FOLDER, PREVIEW_FOLDER, LOD_FOLDER)  # rebuilt on use; safe to delete



@dataclass
class Finding:
    path: Path
    problem: str
    fix: str
    repaired: bool = False

    def line(self) -> str:
        done = " (repaired)" if self.repaired else ""
        return f"{self.path}: {self.problem}{done}; {self.fix}"


def check_project(project, repair: bool = False,
                  progress: Callable[[str], None] | None = None) -> list[Finding]:
    """Every problem found in ``project`` (an open :class:`~rewis3d.store.Project`)."""
    findings: list[Finding] = []
    for name in project.damaged_scene_names():
        findings.append(Finding(project.store_path / "scenes" / name, "the scene's zarr.json "
                                "is missing", "restore it from a backup, or delete the folder "
                                "and import the scene again"))
    for name in project.scene_names():
        if progress:
            progress(name)
        findings.extend(_check_scene(project, name, repair))
    return findings


def _check_scene(project, name: str, repair: bool) -> Iterator[Finding]:
    try:
        scene = project.scene(name)
    except Rewis3dError as exc:
        yield Finding(project.store_path / "scenes" / name, str(exc), "restore the scene")
        return
    arrays = {"rgb": scene.rgb, "depth": scene.depth, "gt": scene.gt,
              "labels": scene.annotations.labels}
    for key, array in arrays.items():
        if array is not None:
            yield from _read_frames(array, scene.num_frames, f"{name} {key}",
                                    "import the frames again" if key != "labels"
                                    else "restore the scene's annotations from a backup")
    yield from _check_journal(scene.annotations.path / "strokes.jsonl")
    for rec_name in scene.reconstruction_names():
        yield from _check_reconstruction(scene, rec_name, repair)
    for run in scene.prediction_names():
        try:
            prediction = scene.predictions(run)
            yield from _read_frames(prediction.labels, scene.num_frames,
                                    f"{name} predictions {run}",
                                    f"predict again (`rewis3d predict PROJECT --run {run}`)")
        except Rewis3dError as exc:
            yield Finding(scene.path / "predictions" / run, str(exc),
                          f"predict again (`rewis3d predict PROJECT --run {run}`)")


def _read_frames(array, num_frames: int, what: str, fix: str) -> Iterator[Finding]:
    bad = []
    for f in range(num_frames):
        try:
            array[f]
        except Rewis3dError:
            bad.append(f)
        except Exception:  # noqa: BLE001 - any read failure of a frame is what we look for
            bad.append(f)
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else "")
        yield Finding(Path(getattr(array, "_path", what)), f"{what}: frame(s) {shown} cannot be "
                      "read (missing or corrupted chunks)", fix)


def _check_journal(path: Path) -> Iterator[Finding]:
    if not path.is_file():
        return
    lines = path.read_bytes().split(b"\n")
    torn = [i + 1 for i, line in enumerate(lines[:-1]) if line.strip() and not _parses(line)]
    if torn:
        yield Finding(path, f"{len(torn)} journal line(s) cannot be read (first: line {torn[0]})",
                      "those strokes are lost; the labels keep every stroke applied before")


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
        return True
    except ValueError:
        return False


def _check_reconstruction(scene, name: str, repair: bool) -> Iterator[Finding]:
    path = scene.path / "reconstructions" / name
    fix = f"reconstruct again (`rewis3d reconstruct PROJECT --scene {scene.name}`)"
    try:
        rec = scene.reconstruction(name)
        ptr = rec.frame_ptr
        if len(ptr) != scene.num_frames + 1 or ptr[0] != 0 or (ptr[1:] < ptr[:-1]).any() \
                or ptr[-1] != rec.num_points:
            yield Finding(path, "frame_ptr does not group the points by frame", fix)
        for key in ("points", "colors", "conf", "pixel"):
            array = getattr(rec, key)
            step = int(array.chunks[0]) or 1
            for start in range(0, rec.num_points, step):
                array[start:start + step]
    except Exception as exc:  # noqa: BLE001 - a reconstruction that cannot be read whole
        yield Finding(path, f"cannot be read ({exc})", fix)
        return
    current = fingerprint(rec)
    for folder in DERIVED_FOLDERS:
        derived = path / folder
        if not derived.exists():
            continue
        try:
            stale = read_attrs(derived).get("fingerprint") != current
            problem = "stale (built from an earlier version of the reconstruction)"
        except Exception as exc:  # noqa: BLE001 - damaged metadata of a derived index
            stale, problem = True, f"damaged ({exc})"
        if stale:
            if repair:
                shutil.rmtree(derived)
            yield Finding(derived, problem, "it is rebuilt on next use (`--repair` deletes it "
                          "now)", repaired=repair)
