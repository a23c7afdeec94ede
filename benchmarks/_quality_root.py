"""Shared by the scripts that read a finished `rewis3d bench quality` root: its arguments and
the repetitions they name, so every such script is called the same way."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from rewis3d.bench.quality import QualitySetting
from rewis3d.store import Project


def quality_root_parser(doc: str, labels: str = "scribbles,points") -> argparse.ArgumentParser:
    """ROOT plus the setting (--scene/--labels/--steps/--points) and --seeds of its runs."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="the --root given to `rewis3d bench quality`")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--points", type=int, default=4096)
    parser.add_argument("--labels", default=labels, help="comma-separated: scribbles,points")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--scene", default="street")
    return parser


def settings(args: argparse.Namespace) -> Iterator[QualitySetting]:
    for labels in args.labels.split(","):
        yield QualitySetting(args.scene, labels, steps=args.steps, points=args.points)


def repetitions(args: argparse.Namespace, setting: QualitySetting) -> Iterator[tuple[int, Project]]:
    """(seed, project) of each repetition; a missing one is named with the command that makes it."""
    for seed in (int(s) for s in args.seeds.split(",")):
        path = args.root / setting.project_name(seed)
        if not path.exists():
            raise SystemExit(f"{path}: no such repetition; run `rewis3d bench quality --root "
                             f"{args.root} --seeds {seed} --scenes {args.scene} --labels "
                             f"{setting.labels} --steps {args.steps}` first")
        yield seed, Project.open(path)
