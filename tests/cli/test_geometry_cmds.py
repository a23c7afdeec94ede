"""`rewis3d reconstruct / propagate / export-ply` on a tiny project."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from rewis3d.cli import main
from rewis3d.geometry.export import read_ply


def test_reconstruct_propagate_export(tiny_project, tmp_path):
    runner = CliRunner()
    path = str(tiny_project.path)
    result = runner.invoke(main, ["reconstruct", path, "--scene", "s", "--conf", "consistency"])
    assert result.exit_code == 0, result.output
    assert "576 points from 3/3 frames (conf: consistency)" in result.output
    tiny_project.scene("s").annotations.add_stroke(0, 1, np.array([[5, 5], [5, 6]]))
    result = runner.invoke(main, ["propagate", path, "--scene", "s", "--png-dir",
                                  str(tmp_path / "png")])
    assert result.exit_code == 0, result.output
    assert "agreement with the labels 100.0%" in result.output
    assert len(list((tmp_path / "png").glob("*.labels.png"))) == 3
    preds = tiny_project.scene("s").predictions("preview-sensor-depth")
    assert preds.attrs["kind"] == "propagation-preview"
    out = tmp_path / "cloud.ply"
    result = runner.invoke(main, ["export-ply", path, "--scene", "s", str(out)])
    assert result.exit_code == 0, result.output
    cloud = read_ply(out)
    assert len(cloud["points"]) == 576 and (cloud["labels"] == 1).sum() >= 2
    assert ((cloud["conf"] > 0) & (cloud["conf"] <= 1)).all()


def test_unknown_backend_is_one_clear_line(tiny_project):
    result = CliRunner().invoke(main, ["reconstruct", str(tiny_project.path), "--scene", "s",
                                       "--backend", "nosuch"])
    assert result.exit_code == 2
    assert "unknown reconstruction backend 'nosuch'; available: sensor-depth" in result.output


def test_propagate_without_reconstruction_says_what_to_run(tiny_project):
    result = CliRunner().invoke(main, ["propagate", str(tiny_project.path), "--scene", "s"])
    assert result.exit_code == 2 and "rewis3d reconstruct" in result.output


def test_export_ply_to_a_folder_or_a_missing_folder_says_so_before_any_work(tiny_project,
                                                                           tmp_path):
    runner, path = CliRunner(), str(tiny_project.path)
    assert runner.invoke(main, ["reconstruct", path, "--scene", "s"]).exit_code == 0
    result = runner.invoke(main, ["export-ply", path, "--scene", "s", str(tmp_path)])
    assert result.exit_code == 2 and f"{tmp_path} is a folder; give the .ply file" in result.output
    result = runner.invoke(main, ["export-ply", path, "--scene", "s",
                                  str(tmp_path / "nope" / "c.ply")])
    assert result.exit_code == 2 and "no such folder to write c.ply into" in result.output


def test_out_of_range_training_values_name_the_key(tiny_project, tmp_path):
    (tmp_path / "bad.yaml").write_text("data:\n  batch_size: -3\n")
    result = CliRunner().invoke(main, ["train", str(tiny_project.path), "--preset", "cpu-quick",
                                       "--config", str(tmp_path / "bad.yaml")])
    assert result.exit_code == 2
    assert "data.batch_size must be >= 1, got -3" in result.output
    assert not (tiny_project.path / "runs").exists() or not any(
        p.is_dir() for p in (tiny_project.path / "runs").iterdir())


def test_propagate_with_a_label_beyond_the_class_list_names_it(tiny_project):
    runner, path = CliRunner(), str(tiny_project.path)
    assert runner.invoke(main, ["reconstruct", path, "--scene", "s"]).exit_code == 0
    labels = np.full((12, 16), 255, np.uint8)
    labels[2:4, 2:4] = 9  # written by another tool: the project has 3 classes
    tiny_project.scene("s").annotations.labels[1] = labels
    result = runner.invoke(main, ["propagate", path, "--scene", "s"])
    assert result.exit_code == 2
    assert "scene 's' frame 1: label ids [9] are beyond the project's 3 classes" in result.output
