import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from rewis3d.cli import main
from rewis3d.io.scannet import LABEL_MAP_NAME
from rewis3d.store import Project
from tests.conftest import tree_snapshot
from tests.io.test_scannet_labels import _scan_with_labels


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def error_line(result) -> str:
    """The `error: ...` line (progress bars share the captured output)."""
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def labelled(tiny_project, tmp_path):
    """tiny_project (classes road car sky; scene s: f0 f1 f2, 16x12) and a folder of labels."""
    src = tmp_path / "labels"
    src.mkdir()
    for i in range(3):
        lab = np.full((12, 16), 255, np.uint8)
        lab[:, :4] = i
        Image.fromarray(lab).save(src / f"f{i}.png")
    return tiny_project.path, src


def test_import_labels_as_gt_and_annotations(labelled):
    project, src = labelled
    result = run("import-labels", project, src, "--scene", "s", "--as", "gt")
    assert result.exit_code == 0, result.output
    assert ("imported ground truth for 3 of 3 frames of scene 's' (matched by name; "
            "144 labelled pixels)") in result.output
    result = run("import-labels", project, src, "--scene", "s", "--as", "annotations",
                 "--map", "2:255")
    assert result.exit_code == 0, result.output
    assert "imported annotations for 3 of 3 frames" in result.output
    scene = Project.open(project).scene("s")
    assert [int(scene.gt[i][0, 0]) for i in range(3)] == [0, 1, 2]
    assert scene.annotations.labelled_counts() == {0: 48, 1: 48}  # 2 mapped to unlabelled
    assert "labelled frames: 2 (96 pixels)" in run("info", project).output


def test_import_labels_by_order_and_added_classes(labelled, tmp_path):
    project, src = labelled
    for i in range(3):
        (src / f"f{i}.png").rename(src / f"label_{i:03d}.png")
    (tmp_path / "classes.txt").write_text("tree\nroad\nbush\n")
    result = run("import-labels", project, src, "--scene", "s", "--as", "gt",
                 "--classes", tmp_path / "classes.txt")
    assert result.exit_code == 2
    assert "2 class(es) are not in the project: 'tree', 'bush'" in error_line(result)
    assert "--add-classes" in error_line(result)
    result = run("import-labels", project, src, "--scene", "s", "--as", "gt",
                 "--classes", tmp_path / "classes.txt", "--add-classes")
    assert result.exit_code == 0, result.output
    assert "matched by order" in result.output
    assert "label_000.png -> frame 0, label_001.png -> frame 1" in result.output
    assert "added classes: tree, bush" in result.output
    assert [c.name for c in Project.open(project).classes] == ["road", "car", "sky", "tree",
                                                                 "bush"]
    gt = Project.open(project).scene("s").gt
    assert [int(gt[i][0, 0]) for i in range(3)] == [3, 0, 4]


@pytest.mark.parametrize("case", ["non-project", "unknown scene", "missing folder",
                                  "wrong size", "existing labels"])
def test_import_labels_errors_exit_2_and_change_nothing(labelled, tmp_path, case):
    project, src = labelled
    args = [project, src, "--scene", "s", "--as", "gt"]
    if case == "non-project":
        args[0] = tmp_path / "labels"
        message = f"{tmp_path / 'labels'} is not a Rewis3d project"
    elif case == "unknown scene":
        args[3] = "nope"
        message = f"project {project} has no scene 'nope' (scenes: s)"
    elif case == "missing folder":
        args[1] = tmp_path / "nope"
        message = f"{tmp_path / 'nope'}: no such folder"
    elif case == "wrong size":
        Image.fromarray(np.zeros((12, 12), np.uint8)).save(src / "f1.png")
        message = f"{src / 'f1.png'}: is 12x12 but the frames of scene 's' are 16x12"
    else:
        assert run("import-labels", *args).exit_code == 0
        message = "scene 's' already has ground truth on 3 of the 3 frames to import"
    before = tree_snapshot(project)
    result = run("import-labels", *args)
    assert result.exit_code == 2, result.output
    assert error_line(result).startswith(f"error: {message}"), result.output
    assert "Traceback" not in result.output
    assert tree_snapshot(project) == before


def test_import_labels_help_and_bad_flags(labelled):
    project, src = labelled
    result = run("import-labels", "--help")
    assert result.exit_code == 0 and "--as [gt|annotations]" in result.output
    assert "matched to frames by name" in result.output
    result = run("import-labels", project, src, "--scene", "s", "--as", "gt", "--map", "x")
    assert result.exit_code == 2 and error_line(result).startswith("error: --map: 'x' is not OLD:NEW")


def test_import_scannet_with_label_filt(tmp_path):
    root = _scan_with_labels(tmp_path)
    result = run("import", "scannet", root, tmp_path / "proj", "--scene", "k")
    assert result.exit_code == 0, result.output
    assert "imported 3 frames (32x24)" in result.output
    assert "with ground truth on 2 frames (40 classes: label-filt/ as NYU40)" in result.output
    project = Project.open(tmp_path / "proj")
    assert project.num_classes == 40 and project.scene("k").has_gt
    assert "k: 3 frames 32x24, with poses, depth, gt" in run("info", tmp_path / "proj").output


def test_import_scannet_label_errors(tmp_path):
    root = _scan_with_labels(tmp_path)
    (tmp_path / "scans" / LABEL_MAP_NAME).unlink()
    result = run("import", "scannet", root, tmp_path / "proj", "--scene", "k")
    assert result.exit_code == 2
    assert f"need {LABEL_MAP_NAME}" in error_line(result) and "--no-labels" in error_line(result)
    assert not (tmp_path / "proj").exists()
    result = run("import", "scannet", root, tmp_path / "proj", "--scene", "k", "--no-labels")
    assert result.exit_code == 0 and "ground truth" not in result.output
    assert not Project.open(tmp_path / "proj").scene("k").has_gt
    result = run("import", "images", root / "color", tmp_path / "proj", "--scene", "i",
                 "--no-labels")
    assert result.exit_code == 2 and "apply to FORMAT scannet only" in error_line(result)
