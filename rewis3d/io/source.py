"""What every reader returns, and the one function that writes it into a project."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from rewis3d.io.common import FrameRecord
from rewis3d.io.label_maps import plan_classes
from rewis3d.store import Project, Scene


@dataclass
class FrameSource:
    """Frames listed and checked for consistency up front; pixels are read lazily."""

    count: int
    frames: Iterator[FrameRecord]
    source: dict = field(default_factory=dict)
    # names of the ids in the records' ``gt`` (id i = classes[i]); matched to the project's
    # classes by name, and the missing ones added, when the scene is written
    classes: list[str] | None = None


def import_frames(
    project: Project,
    scene: str,
    source: FrameSource,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Scene:
    """Write all frames of ``source`` as ``scene``; on any error the project is unchanged."""
    lut, restore = None, lambda: None
    if source.classes is not None:
        plan = plan_classes(project, source.classes, add=True, where=source.source.get("path", ""))
        lut = plan.lut()
        restore = plan.apply(project)  # before the writer, which checks gt ids against them
    try:
        with project.scene_writer(scene, overwrite=overwrite, source=source.source) as writer:
            for i, rec in enumerate(source.frames):
                gt = rec.gt if rec.gt is None or lut is None else lut[rec.gt]
                writer.append(rec.rgb, rec.intrinsics, rec.pose, depth=rec.depth, gt=gt,
                              name=rec.name, sources=rec.sources)
                if progress is not None:
                    progress(i + 1, source.count)
    except BaseException:
        restore()
        raise
    return project.scene(scene)
