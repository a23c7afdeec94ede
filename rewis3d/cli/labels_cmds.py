"""`rewis3d import-labels`: per-frame PNG label maps into a scene's ground truth or annotations."""

from __future__ import annotations

from pathlib import Path

import click

from rewis3d.store import Project


@click.command("import-labels")
@click.argument("project", type=click.Path(path_type=Path))
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--scene", required=True, help="The scene whose frames the label maps belong to.")
@click.option("--as", "target", required=True, type=click.Choice(["gt", "annotations"]),
              help="gt: dense ground truth (evaluation only); annotations: training labels "
                   "(journalled, editable in napari).")
@click.option("--classes", "classes_file", type=click.Path(path_type=Path), default=None,
              help="Text file naming the files' ids: line 1 = id 0, line 2 = id 1, ... Names "
                   "are matched to the project's classes.")
@click.option("--add-classes", is_flag=True,
              help="With --classes: add the names the project lacks instead of refusing.")
@click.option("--map", "id_map", default=None, metavar="OLD:NEW,...",
              help="Remap file ids before anything else (NEW 255 or 'ignore' = unlabelled), "
                   "e.g. --map 0:255,7:3.")
@click.option("--ignore", default=255, show_default=True, type=int,
              help="File value that means unlabelled.")
@click.option("--replace", "on_existing", flag_value="replace",
              help="Frames that already have labels get the file's labels instead.")
@click.option("--merge", "on_existing", flag_value="merge",
              help="Draw the file's labelled pixels over a frame's existing labels.")
@click.option("--skip-unmatched", is_flag=True,
              help="Skip label files named after no frame of the scene (scene imported with "
                   "--stride) instead of refusing.")
def import_labels_cmd(project, src, scene, target, classes_file, add_classes, id_map, ignore,
                      on_existing, skip_unmatched):
    """Import a folder SRC of PNG label maps (one per frame) into PROJECT's --scene.

    \b
    Files are matched to frames by name (f12.png labels frame f12.jpg; a trailing .color/.label
    tag is ignored), or by sorted order when no file is named after a frame (then one file per
    frame). PNGs hold one class id per pixel: palette-mode (the palette index) or 8/16-bit grey.
    Ids are project class ids unless --classes names them; --map remaps them first, and the
    --ignore value (default 255) is unlabelled. Every file is checked (size = the frames' size,
    known ids, one file per frame) before anything is written; an error leaves the project
    unchanged. Frames without a label file are left as they are (gt: 255 = no ground truth
    where the scene had none). Frames that already have labels need --replace or --merge.
    """
    from tqdm import tqdm

    from rewis3d.io.labels import import_label_maps

    proj = Project.open(project)
    bars: dict[str, tqdm] = {}

    def progress(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[phase] = tqdm(total=total, unit="frame", desc=f"labels: {phase}")
        bar.update(done - bar.n)

    try:
        result = import_label_maps(
            proj, scene, src, target, classes_file=classes_file, id_map=id_map, ignore=ignore,
            add_classes=add_classes, on_existing=on_existing or "refuse",
            skip_unmatched=skip_unmatched, progress=progress,
        )
    finally:
        for bar in bars.values():
            bar.close()
    what = "ground truth" if target == "gt" else "annotations"
    click.echo(f"imported {what} for {len(result.pairs)} of {proj.scene(scene).num_frames} "
               f"frames of scene {scene!r} (matched by {result.matched_by}; "
               f"{result.labelled_pixels} labelled pixels)")
    if result.matched_by == "order":
        first = ", ".join(f"{name} -> frame {frame}" for frame, name in result.pairs[:3])
        click.echo(f"note: no file is named after a frame; matched by sorted order ({first}, ...)")
    if result.added_classes:
        click.echo("added classes: " + ", ".join(result.added_classes))
    if result.skipped:
        click.echo(f"skipped {len(result.skipped)} label files named after no frame "
                   f"(first: {result.skipped[0]})")


COMMANDS = [import_labels_cmd]
