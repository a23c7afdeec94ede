"""`rewis3d check` reads every part of a project once and names what is damaged; --repair
deletes only derived indices, which are rebuilt on use."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from rewis3d.cli import main
from rewis3d.reconstruct import reconstruct_scene
from rewis3d.store import Project


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_healthy_project_reads_back(tiny_project):
    reconstruct_scene(tiny_project.scene("s"), "sensor-depth")
    out = run("check", tiny_project.path)
    assert out.exit_code == 0 and "everything reads back" in out.output


def test_damage_is_named_with_what_to_do_and_only_derived_data_is_repaired(tiny_project):
    import shutil

    from rewis3d.derived.preview_index import load_preview_index

    scene = tiny_project.scene("s")
    scene.annotations.add_stroke(1, 1, np.array([[2, 3]]))
    rec = reconstruct_scene(scene, "sensor-depth")
    load_preview_index(rec, 0.05, scene.image_size)  # a derived index of this reconstruction
    shutil.rmtree(scene.path / "frames" / "rgb" / "c" / "2")  # a deleted frame
    chunk = next((scene.annotations.path / "labels" / "c" / "1").rglob("*"))
    while chunk.is_dir():
        chunk = next(chunk.iterdir())
    chunk.write_bytes(b"\x00garbage")  # a corrupted label chunk
    with open(scene.annotations.path / "strokes.jsonl", "ab") as fh:
        fh.write(b'{"seq": 99, "fra\n{"seq": 100}\n')  # a torn line in the middle
    points = next(p for p in (rec.path / "points").rglob("*") if p.is_file())
    points.write_bytes(points.read_bytes())  # rewritten: the index is now stale

    out = run("check", tiny_project.path)
    assert out.exit_code == 2, out.output
    assert "s rgb: frame(s) 2 cannot be read" in out.output and "import the frames again" in out.output
    assert "s labels: frame(s) 1 cannot be read" in out.output
    assert "1 journal line(s) cannot be read" in out.output
    assert "preview_index: stale" in out.output

    before = sorted(p.name for p in rec.path.iterdir())
    out = run("check", tiny_project.path, "--repair")
    assert "preview_index: stale (built from an earlier version of the reconstruction) " \
           "(repaired)" in out.output
    assert out.exit_code == 2  # the frames and labels are still damaged: never touched
    after = sorted(p.name for p in rec.path.iterdir())
    assert set(before) - set(after) == {"preview_index"}
    assert Project.open(tiny_project.path).scene("s").reconstruction_names() == ["sensor-depth"]
