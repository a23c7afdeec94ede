"""`rewis3d sample` and `rewis3d simulate-labels`: synthetic scenes and simulated sparse labels."""

from __future__ import annotations

import re
from pathlib import Path

import click

from rewis3d.errors import InputError


def _parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(-?\d+)\s*[xX]\s*(-?\d+)\s*", text)
    if not match:
        raise InputError(f"--size {text!r} is not WIDTHxHEIGHT, e.g. --size 320x240")
    width, height = int(match[1]), int(match[2])
    if width <= 0 or height <= 0:
        raise InputError(f"--size {text!r}: width and height must be positive")
    return width, height


def _parse_frames(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InputError(f"--frames {text!r} is not a comma-separated list of frame numbers, "
                         "e.g. --frames 0,5,10") from None


@click.command("sample")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--kind", default="street", show_default=True, help="Scene family: street | room.")
@click.option("--frames", default=30, show_default=True, type=int, help="Number of frames.")
@click.option("--size", default="320x240", show_default=True, help="Image size WIDTHxHEIGHT.")
@click.option("--seed", default=0, show_default=True, type=int, help="Layout and noise seed.")
@click.option("--spacing", type=float, default=None,
              help="Metres between frames (default: street 1.0, room 0.2).")
@click.option("--scene", default=None, help="Scene name (default: the kind).")
@click.option("--overwrite", is_flag=True, help="Replace an existing scene of that name.")
def sample(project, kind, frames, size, seed, spacing, scene, overwrite):
    """Render a synthetic scene with ground truth into PROJECT (created if missing), and a
    `simulated` reconstruction of it."""
    from rewis3d.synthetic import SceneConfig, sample_into_project

    width, height = _parse_size(size)
    config = SceneConfig(kind=kind, frames=frames, width=width, height=height, seed=seed,
                         spacing=spacing)
    result = sample_into_project(project, config, scene=scene, overwrite=overwrite)
    verb = "created project" if result.created_project else "added to"
    click.echo(f"{verb} {result.project}: scene {result.scene!r}, {result.frames} frames "
               f"{width}x{height} with depth and ground truth; reconstruction 'simulated' "
               f"with {result.points} points")


@click.command("simulate-labels")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--scene", required=True, help="Scene with dense ground truth.")
@click.option("--kind", required=True, help="points | scribbles | coarse.")
@click.option("--every", type=int, default=None, help="Label every K-th frame.")
@click.option("--frames", "frame_list", default=None, help="Label these frames, e.g. 0,5,10.")
@click.option("--share", type=float, default=None, help="Label this share of frames, at random.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--per-region", type=int, default=None, help="points: clicks per region (1).")
@click.option("--width", type=int, default=None, help="scribbles: stroke width in pixels.")
@click.option("--length", type=float, default=None,
              help="scribbles: share of the region's skeleton covered (0.4).")
@click.option("--coverage", type=float, default=None, help="coarse: target share (0.55).")
@click.option("--overwrite", is_flag=True, help="Replace the scene's existing labels.")
def simulate_labels(project, scene, kind, every, frame_list, share, seed, per_region, width,
                    length, coverage, overwrite):
    """Simulate sparse labels of KIND from the scene's ground truth and store them."""
    from rewis3d.annotations import (
        CoarseConfig,
        FrameSelection,
        PointsConfig,
        ScribblesConfig,
        simulate_scene_labels,
    )
    from rewis3d.annotations.simulate import simulator
    from rewis3d.store import Project

    simulator(kind)
    options = {
        "points": (PointsConfig, {"per_region": per_region}),
        "scribbles": (ScribblesConfig, {"width": width, "length": length}),
        "coarse": (CoarseConfig, {"coverage": coverage}),
    }
    config_type, given = options[kind]
    stray = [name for kinds, (_, opts) in options.items() if kinds != kind
             for name, value in opts.items() if value is not None]
    if stray:
        raise InputError(f"--{stray[0].replace('_', '-')} does not apply to --kind {kind}")
    config = config_type(**{k: v for k, v in given.items() if v is not None})
    selection = FrameSelection(every=every, frames=_parse_frames(frame_list), share=share,
                               seed=seed)
    proj = Project.open(project)
    result = simulate_scene_labels(proj, scene, kind, selection, config, seed, overwrite)
    click.echo(result.summary([c.name for c in proj.classes]))


COMMANDS = [sample, simulate_labels]
