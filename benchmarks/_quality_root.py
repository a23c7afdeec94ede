"""Shared by the scripts that read a finished `rewis3d bench quality` root: its arguments and
the repetitions they name, so every such script is called the same way."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from rewis3d.bench.quality import QualitySetting
from rewis3d.store import Project


def quality_root_parser(doc: str, labels: str = "scribbles,points") -> argparse.ArgumentParser:
    """ROOT, the setting its runs were made with (by default README's runs: 1200 steps, 4096
    points, the bench's clip defaults) and the --seeds to read."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="the --root given to `rewis3d bench quality`")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--points", type=int, default=4096)
    parser.add_argument("--labels", default=labels, help="comma-separated: scribbles,points")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--scene", default="street")
    default = QualitySetting()
    parser.add_argument("--frames", type=int, default=default.frames)
    parser.add_argument("--size", default="{}x{}".format(*default.size), help="WxH")
    parser.add_argument("--label-every", type=int, default=default.label_every)
    parser.add_argument("--train-clips", type=int, default=default.train_clips)
    return parser


def settings(args: argparse.Namespace) -> Iterator[QualitySetting]:
    size = tuple(int(v) for v in args.size.lower().split("x"))
    for labels in args.labels.split(","):
        yield QualitySetting(args.scene, labels, frames=args.frames, size=size,
                             label_every=args.label_every, steps=args.steps, points=args.points,
                             train_clips=args.train_clips)


def repetitions(args: argparse.Namespace, setting: QualitySetting) -> Iterator[tuple[int, Project]]:
    """(seed, project) of each repetition; a missing one is named with the command that makes it."""
    for seed in (int(s) for s in args.seeds.split(",")):
        path = args.root / setting.project_name(seed)
        if not path.exists():
            raise SystemExit(f"{path}: no such repetition; run `rewis3d bench quality --root "
                             f"{args.root} --seeds {seed} --scenes {args.scene} --labels "
                             f"{setting.labels} --steps {args.steps}` first, or name the "
                             "setting it was run with (--frames, --train-clips, --points, ...)")
        yield seed, Project.open(path)
