"""Put a synthetic scene into a project: frames with depth and ground truth, plus a
``simulated`` reconstruction. Arguments are checked before anything is written."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from rewis3d.errors import InputError
from rewis3d.store import Project, ReconstructionData
from rewis3d.store.schema import STORE_NAME
from rewis3d.synthetic.generate import SceneConfig, family, iter_frames
from rewis3d.synthetic.imperfect import ReconstructionNoise, simulate_view, view_rng

RECONSTRUCTION_NAME = "simulated"


@dataclass
class SampleResult:
    project: Path
    scene: str
    frames: int
    size: tuple[int, int]  # (H, W)
    points: int
    created_project: bool


def sample_into_project(
    path: str | Path,
    config: SceneConfig,
    scene: str | None = None,
    overwrite: bool = False,
    noise: ReconstructionNoise | None = None,
) -> SampleResult:
    """Render ``config`` into ``path`` (created with the family's classes when absent)."""
    config.validate()
    noise = noise or ReconstructionNoise()
    noise.validate()
    fam = family(config.kind)
    path = Path(path)
    _check_disk(path, config)
    created = not (path / STORE_NAME).exists()
    if created and path.is_dir() and any(path.iterdir()):
        raise InputError(f"{path} exists, is not empty and is not a Rewis3d project; "
                         "pick a new folder (or an existing project)")
    existed = path.exists()
    project = Project.create(path, fam.classes) if created else Project.open(path)
    try:
        return _write(project, config, scene or config.kind, overwrite, noise, created)
    except BaseException:
        if created:  # leave no empty project behind a failed first sample
            shutil.rmtree(path, ignore_errors=True)
            if existed:
                path.mkdir()
        raise


def _write(project: Project, config: SceneConfig, scene: str, overwrite: bool,
           noise: ReconstructionNoise, created: bool) -> SampleResult:
    fam = family(config.kind)
    _check_classes(project, fam.name, [name for name, _ in fam.classes])
    views = {}
    source = {"kind": "synthetic", "family": config.kind, "config": asdict(config)}
    with project.scene_writer(scene, overwrite=overwrite, source=source) as writer:
        for index, frame in enumerate(iter_frames(config)):
            writer.append(rgb=frame.rgb, intrinsics=frame.intrinsics, pose=frame.pose,
                          depth=frame.depth, gt=frame.gt, name=f"{index:06d}")
            views[index] = simulate_view(frame.depth, frame.rgb, frame.intrinsics, frame.pose,
                                         noise, view_rng(config.seed, index))
    data = ReconstructionData.from_views(config.frames, views)
    attrs = {"backend": "simulated", "conf_kind": "mapanything-like",
             "parameters": {**asdict(noise), "seed": config.seed}}
    project.scene(scene).write_reconstruction(RECONSTRUCTION_NAME, data, attrs)
    return SampleResult(project.path, scene, config.frames, (config.height, config.width),
                        len(data.points), created)


def _check_classes(project: Project, kind: str, names: list[str]) -> None:
    have = [c.name for c in project.classes]
    if have[: len(names)] != names:
        raise InputError(
            f"project {project.path} has classes {have or 'none'}, but {kind!r} scenes need "
            f"{names} (in that order); sample into a new project folder instead"
        )


def _check_disk(path: Path, config: SceneConfig) -> None:
    """Refuse before rendering a scene whose store would not fit on the disk."""
    from rewis3d.synthetic.generate import BYTES_PER_PIXEL

    need = config.frames * config.width * config.height * BYTES_PER_PIXEL
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    free = shutil.disk_usage(existing).free
    if need > free:
        raise InputError(f"{config.frames} frames of {config.width}x{config.height} need about "
                         f"{need / 1e9:.1f} GB but {existing} has {free / 1e9:.1f} GB free; use "
                         "fewer frames or a smaller --size")
