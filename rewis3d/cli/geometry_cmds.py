"""`rewis3d reconstruct`, `rewis3d propagate`, `rewis3d export-ply`: 3D from frames and back."""

from __future__ import annotations

from pathlib import Path

import click

from rewis3d.store import Project


def _parse_options(pairs: tuple[str, ...]) -> dict:
    """``key=value`` pairs; values read as YAML scalars (numbers, true/false, null)."""
    import yaml

    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: use KEY=VALUE", param_hint="--option")
        options[key.strip().replace("-", "_")] = yaml.safe_load(value)
    return options


@click.command("reconstruct")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--scene", required=True, help="Scene to reconstruct.")
@click.option("--backend", default="sensor-depth", show_default=True,
              help="Installed reconstruction backend (entry-point group rewis3d.reconstructors).")
@click.option("--name", default=None, help="Name of the reconstruction [default: the backend].")
@click.option("--conf", type=click.Choice(["constant", "consistency"]), default=None,
              help="sensor-depth confidence: constant 1 (real 3D) or multi-view consistency.")
@click.option("--stride", type=int, default=None, help="Use every K-th pixel in v and u.")
@click.option("--option", "-o", "extra", multiple=True, metavar="KEY=VALUE",
              help="Any other backend option (repeatable), e.g. -o voxel_size=0.02.")
@click.option("--drop-low-conf/--keep-all-conf", default=None,
              help="Drop each view's 10% least confident points [default: the backend's].")
@click.option("--overwrite", is_flag=True, help="Replace a reconstruction of the same name.")
def reconstruct_cmd(project, scene, backend, name, conf, stride, extra, drop_low_conf, overwrite):
    """Reconstruct SCENE of PROJECT in 3D with a backend and store it."""
    from tqdm import tqdm

    from rewis3d.reconstruct import reconstruct_scene

    options = _parse_options(extra)
    if conf is not None:
        options["conf"] = conf
    if stride is not None:
        options["stride"] = stride
    sc = Project.open(project).scene(scene)
    bar = tqdm(total=sc.num_frames, unit="frame", desc=f"reconstruct {backend}")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        rec = reconstruct_scene(sc, backend, name=name, options=options,
                                drop_low_conf=drop_low_conf, progress=progress,
                                overwrite=overwrite)
    finally:
        bar.close()
    empty = int((rec.frame_ptr[1:] == rec.frame_ptr[:-1]).sum())
    click.echo(f"reconstruction {rec.name!r}: {rec.num_points:,} points from "
               f"{sc.num_frames - empty}/{sc.num_frames} frames (conf: {rec.attrs['conf_kind']})")


@click.command("propagate")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--scene", required=True)
@click.option("--reconstruction", default=None, help="Which reconstruction [default: the only "
              "one, or sensor-depth].")
@click.option("--voxel-size", type=float, default=0.05, show_default=True, help="Metres.")
@click.option("--radius", type=float, default=0.3, show_default=True,
              help="How far (metres) a label spreads from the voxels it was drawn on.")
@click.option("--png-dir", type=click.Path(path_type=Path), default=None,
              help="Also write one label PNG per frame (class ids, 255 = none) here.")
def propagate_cmd(project, scene, reconstruction, voxel_size, radius, png_dir):
    """Spread SCENE's labels through 3D into every frame; save as predictions preview-NAME."""
    from rewis3d.derived.preview import pick_reconstruction, run_preview
    from rewis3d.geometry.export import write_label_pngs
    from rewis3d.geometry.propagation import PropagationConfig

    proj = Project.open(project)
    sc = proj.scene(scene)
    rec = pick_reconstruction(sc, reconstruction)
    config = PropagationConfig(voxel_size=voxel_size, radius=radius)
    preview, stats = run_preview(sc, rec, proj.num_classes, config)
    click.echo(f"preview-{rec.name}: {stats.filled_pixels:,} pixels filled in {stats.frames} "
               f"frames from {stats.labelled_pixels:,} labelled pixels; agreement with the "
               f"labels {stats.agreement_with_labels:.1%}"
               + ("" if stats.agreement_with_gt is None
                  else f", with ground truth {stats.agreement_with_gt:.1%}"))
    if png_dir is not None:
        written = write_label_pngs(preview, png_dir, sc.frame_names or None)
        click.echo(f"wrote {len(written)} label PNGs to {png_dir}")


@click.command("export-ply")
@click.argument("project", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--scene", required=True)
@click.option("--reconstruction", default=None)
@click.option("--labels", "label_kind", type=click.Choice(["propagated", "lifted", "none"]),
              default="propagated", show_default=True, help="Which per-point labels to write.")
def export_ply_cmd(project, out, scene, reconstruction, label_kind):
    """Write SCENE's reconstruction to OUT.ply with colour, label and confidence."""
    import numpy as np

    from rewis3d.derived.preview import open_preview, pick_reconstruction
    from rewis3d.errors import InputError
    from rewis3d.geometry.export import write_ply
    from rewis3d.geometry.lifting import lift_labels

    if out.is_dir():  # found before the propagation, not after it
        raise InputError(f"{out} is a folder; give the .ply file to write, e.g. {out / scene}.ply")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: no such folder to write {out.name} into")
    proj = Project.open(project)
    sc = proj.scene(scene)
    rec = pick_reconstruction(sc, reconstruction)
    labels = None
    if label_kind != "none" and sc.annotations.labelled_frames():
        if label_kind == "lifted":
            labels = lift_labels(sc, rec).labels
        else:
            labels = open_preview(sc, rec, proj.num_classes).point_labels()
    write_ply(out, np.asarray(rec.points[:]), np.asarray(rec.colors[:]), labels,
              np.asarray(rec.conf[:]))
    click.echo(f"wrote {rec.num_points:,} points to {out}")


COMMANDS = [reconstruct_cmd, propagate_cmd, export_ply_cmd]
