"""What every reader returns, and the one function that writes it into a project."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from rewis3d.io.common import FrameRecord
from rewis3d.store import Project, Scene


@dataclass
class FrameSource:
    """Frames listed and checked for consistency up front; pixels are read lazily."""

    count: int
    frames: Iterator[FrameRecord]
    source: dict = field(default_factory=dict)


def import_frames(
    project: Project,
    scene: str,
    source: FrameSource,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Scene:
    """Write all frames of ``source`` as ``scene``; on any error the project is unchanged."""
    with project.scene_writer(scene, overwrite=overwrite, source=source.source) as writer:
        for i, rec in enumerate(source.frames):
            writer.append(rec.rgb, rec.intrinsics, rec.pose, depth=rec.depth, name=rec.name,
                          sources=rec.sources)
            if progress is not None:
                progress(i + 1, source.count)
    return project.scene(scene)
