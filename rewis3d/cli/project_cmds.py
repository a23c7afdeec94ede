"""`rewis3d import`, `rewis3d info`, `rewis3d classes`: getting data in and seeing what is there."""

from __future__ import annotations

from pathlib import Path

import click

from rewis3d.errors import InputError, NotAProjectError, StoreError
from rewis3d.store import Project


def open_or_create(path: Path) -> Project:
    """Open a project, creating an empty one when the folder has no store yet."""
    try:
        return Project.open(path)
    except NotAProjectError:
        if path.exists() and any(path.iterdir()) and not (path / "rewis3d.zarr").exists():
            raise NotAProjectError(
                f"{path} exists, is not empty and is not a Rewis3d project; pick a new folder"
            ) from None
        return Project.create(path)


@click.command("import")
@click.argument("fmt", metavar="FORMAT",
                type=click.Choice(["images", "video", "scannet", "7scenes", "tum"]))
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--scene", required=True, help="Name of the scene to create.")
@click.option("--stride", default=1, show_default=True, type=click.IntRange(min=1),
              help="Keep every K-th frame.")
@click.option("--max-frames", type=click.IntRange(min=1), default=None,
              help="Stop after this many frames.")
@click.option("--overwrite", is_flag=True, help="Replace an existing scene of that name.")
@click.option("--label-map", type=click.Path(path_type=Path), default=None,
              help="scannet: the scannetv2-labels.combined.tsv that maps label-filt/ ids to "
                   "NYU40 (default: looked for next to SRC and up to two folders above).")
@click.option("--no-labels", is_flag=True,
              help="scannet: ignore label-filt/ and import the frames without ground truth.")
def import_cmd(fmt, src, project, scene, stride, max_frames, overwrite, label_map, no_labels):
    """Import FORMAT data from SRC into PROJECT (created if missing) as a new scene.

    A ScanNet export with label-filt/ brings its labels as ground truth, mapped to NYU40 (the
    40 class names are added to the project). Other labels: `rewis3d import-labels`.
    """
    from tqdm import tqdm

    from rewis3d.io import READERS, import_frames

    reader = READERS[fmt]
    extra = {}
    if label_map is not None or no_labels:
        if fmt != "scannet":
            raise InputError("--label-map and --no-labels apply to FORMAT scannet only; import "
                             "other labels with `rewis3d import-labels`")
        extra = {"label_map": label_map, "labels": not no_labels}
    # lists and checks before writing
    source = reader(src, stride=stride, max_frames=max_frames, **extra)
    created = not (project / "rewis3d.zarr").exists()
    proj = open_or_create(project)
    if scene in proj.scene_names() and not overwrite:
        raise StoreError(f"scene {scene!r} exists in {project}; pass --overwrite to replace it")
    bar = tqdm(total=source.count or None, unit="frame", desc=f"import {fmt}")

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    try:
        result = import_frames(proj, scene, source, overwrite=overwrite, progress=progress)
    except BaseException:
        bar.close()
        if created:  # leave nothing behind a failed first import, so the retry can go ahead
            import shutil

            for folder in (proj.store_path, proj.staging, proj.runs_dir):
                shutil.rmtree(folder, ignore_errors=True)
            if project.is_dir() and not any(project.iterdir()):
                project.rmdir()
        raise
    bar.close()
    h, w = result.image_size
    click.echo(f"imported {result.num_frames} frames ({w}x{h}) into {project} scene {scene!r}")
    if source.classes is not None:
        click.echo(f"with ground truth on {source.source.get('labelled_frames', '?')} frames "
                   f"({len(source.classes)} classes: {source.source.get('labels', '')})")


@click.command("info")
@click.argument("project", type=click.Path(path_type=Path))
def info_cmd(project):
    """Show PROJECT's scenes, frames, classes, labels, reconstructions and runs."""
    proj = Project.open(project)
    click.echo(f"project {proj.path}")
    click.echo(f"classes ({proj.num_classes}): " + (", ".join(
        f"{c.id}:{c.name}" for c in proj.classes) or "none"))
    names = proj.scene_names()
    click.echo(f"scenes ({len(names)}):")
    for name in names:
        scene = proj.scene(name)
        h, w = scene.image_size
        extras = [x for x, ok in (("poses", True), ("depth", scene.has_depth),
                                  ("gt", scene.has_gt)) if ok]
        labelled = scene.annotations.labelled_counts()
        click.echo(f"  {name}: {scene.num_frames} frames {w}x{h}, with {', '.join(extras)}")
        click.echo(f"    labelled frames: {len(labelled)} ({sum(labelled.values())} pixels)")
        for rec_name in scene.reconstruction_names():
            rec = scene.reconstruction(rec_name)
            click.echo(f"    reconstruction {rec_name}: {rec.num_points} points "
                       f"(backend {rec.attrs.get('backend', '?')})")
        for run in scene.prediction_names():
            click.echo(f"    predictions {run}")
    for name in proj.damaged_scene_names():
        click.secho(f"  {name}: DAMAGED, its zarr.json is missing: restore it from a backup, "
                    f"or delete {proj.store_path / 'scenes' / name} and import the scene again",
                    fg="red")
    runs = proj.run_names()
    click.echo(f"runs ({len(runs)}): " + (", ".join(runs) or "none"))


@click.group("classes")
@click.argument("project", type=click.Path(path_type=Path))
@click.pass_context
def classes_cmd(ctx, project):
    """List or edit PROJECT's semantic classes: classes PROJECT {list,add,rename,color}."""
    ctx.obj = Project.open(project)


@classes_cmd.command("list")
@click.pass_obj
def classes_list(proj: Project):
    """Print id, name and colour of every class."""
    for c in proj.classes:
        click.echo(f"{c.id}\t{c.name}\t#{c.color[0]:02x}{c.color[1]:02x}{c.color[2]:02x}")


@classes_cmd.command("add")
@click.argument("name")
@click.option("--color", default=None, help="'#rrggbb' or 'r,g,b' (default: from the palette).")
@click.pass_obj
def classes_add(proj: Project, name, color):
    """Add a class NAME with the next free id."""
    c = proj.add_class(name, color)
    click.echo(f"added class {c.id}: {c.name}")


@classes_cmd.command("rename")
@click.argument("cls", metavar="CLASS")
@click.argument("new_name")
@click.pass_obj
def classes_rename(proj: Project, cls, new_name):
    """Rename CLASS (its id or current name) to NEW_NAME."""
    c = proj.rename_class(cls, new_name)
    click.echo(f"class {c.id} is now {c.name}")


@classes_cmd.command("color")
@click.argument("cls", metavar="CLASS")
@click.argument("color")
@click.pass_obj
def classes_color(proj: Project, cls, color):
    """Set CLASS's colour ('#rrggbb' or 'r,g,b')."""
    c = proj.set_class_color(cls, color)
    click.echo(f"class {c.id} ({c.name}) colour is now {c.color}")


@click.command("check")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--repair", is_flag=True,
              help="Delete damaged or stale derived indices (rebuilt on next use); nothing "
                   "else is ever changed.")
def check_cmd(project, repair):
    """Read every frame, label, reconstruction and prediction of PROJECT once; report what is
    missing or damaged and what to do (exit 2 when something is left to fix)."""
    from rewis3d.check import check_project

    proj = Project.open(project)
    findings = check_project(proj, repair=repair,
                             progress=lambda scene: click.echo(f"checking scene {scene} ...",
                                                               err=True))
    for finding in findings:
        click.secho(finding.line(), fg="green" if finding.repaired else "red")
    left = [f for f in findings if not f.repaired]
    if not findings:
        click.echo(f"{proj.path}: everything reads back")
    if left:
        raise SystemExit(2)


COMMANDS = [import_cmd, info_cmd, classes_cmd, check_cmd]
