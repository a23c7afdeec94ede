import os

import numpy as np
import pytest
from click.testing import CliRunner

from rewis3d.cli import main
from rewis3d.store import Project
from tests.conftest import tree_snapshot
from tests.io.datasets import make_7scenes


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def project(tmp_path):
    src = make_7scenes(tmp_path / "seq", n=3)
    result = run("import", "7scenes", src, tmp_path / "proj", "--scene", "k")
    assert result.exit_code == 0, result.output
    return tmp_path / "proj"


def test_import_info_and_stride(project, tmp_path):
    assert Project.open(project).scene("k").num_frames == 3
    result = run("import", "7scenes", tmp_path / "seq", project, "--scene", "k2", "--stride", "2")
    assert result.exit_code == 0 and "imported 2 frames (32x24)" in result.output
    info = run("info", project).output
    assert "k: 3 frames 32x24, with poses, depth" in info and "k2: 2 frames" in info


def test_import_existing_scene_refused_unless_overwrite(project, tmp_path):
    before = tree_snapshot(project)
    result = run("import", "7scenes", tmp_path / "seq", project, "--scene", "k")
    assert result.exit_code == 2 and "exists" in result.output and "--overwrite" in result.output
    assert tree_snapshot(project) == before
    result = run("import", "7scenes", tmp_path / "seq", project, "--scene", "k", "--overwrite",
                 "--max-frames", "1")
    assert result.exit_code == 0
    assert Project.open(project).scene("k").num_frames == 1


def test_import_bad_source_creates_nothing(tmp_path):
    result = run("import", "7scenes", tmp_path / "none", tmp_path / "proj", "--scene", "k")
    assert result.exit_code == 2 and "no such folder" in result.output
    assert not (tmp_path / "proj").exists()
    src = make_7scenes(tmp_path / "seq", n=2)
    (src / "frame-000001.pose.txt").write_text("1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 0\n")
    result = run("import", "7scenes", src, tmp_path / "proj2", "--scene", "k")
    assert result.exit_code == 2 and "frame-000001" in result.output
    assert not (tmp_path / "proj2" / "rewis3d.zarr").exists()


def test_a_first_import_that_fails_mid_way_leaves_nothing_and_the_retry_works(tmp_path):
    from PIL import Image

    src = tmp_path / "photos"
    src.mkdir()
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(src / "0.png")
    (src / "1.png").write_bytes(b"not a png")  # found by the listing, fails when decoded
    result = run("import", "images", src, tmp_path / "proj", "--scene", "k")
    assert result.exit_code == 2 and "1.png" in result.output
    assert not (tmp_path / "proj").exists() or not any((tmp_path / "proj").iterdir())
    (src / "1.png").unlink()
    result = run("import", "images", src, tmp_path / "proj", "--scene", "k")  # the retry
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("flag, value", [("--max-frames", "-3"), ("--max-frames", "0"),
                                         ("--stride", "0")])
def test_import_counts_below_one_are_refused(tmp_path, flag, value):
    src = make_7scenes(tmp_path / "seq", n=2)
    result = run("import", "7scenes", src, tmp_path / "proj", "--scene", "k", flag, value)
    assert result.exit_code == 2 and f"Invalid value for '{flag}'" in result.output
    assert "x>=1" in result.output and not (tmp_path / "proj").exists()


def test_import_into_non_project_folder_refused(tmp_path):
    src = make_7scenes(tmp_path / "seq", n=1)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.tex").write_text("x")
    result = run("import", "7scenes", src, tmp_path / "busy", "--scene", "k")
    assert result.exit_code == 2 and "not a Rewis3d project" in result.output


def test_info_errors(tmp_path):
    result = run("info", tmp_path)
    assert result.exit_code == 2 and "not a Rewis3d project" in result.output
    assert "Traceback" not in result.output


def test_classes_commands(project):
    assert run("classes", project, "add", "wall").exit_code == 0
    assert run("classes", project, "add", "floor", "--color", "#00ff00").exit_code == 0
    assert run("classes", project, "rename", "wall", "Wall").exit_code == 0
    assert run("classes", project, "color", "0", "10,20,30").exit_code == 0
    listing = run("classes", project, "list").output.splitlines()
    assert listing == ["0\tWall\t#0a141e", "1\tfloor\t#00ff00"]
    before = tree_snapshot(project)
    for args, message in [
        (("add", "Wall"), "used twice"),
        (("rename", "7", "x"), "no class '7'"),
        (("color", "0", "red"), "not valid"),
    ]:
        result = run("classes", project, *args)
        assert result.exit_code == 2 and message in result.output, result.output
    assert tree_snapshot(project) == before


def test_gt_class_outside_class_list_rejected(tmp_path):
    project = Project.create(tmp_path / "p", ["a"])
    from rewis3d.errors import InputError

    with pytest.raises(InputError, match="class id 3 is outside"), project.scene_writer("s") as w:
        w.append(np.zeros((4, 4, 3), np.uint8), np.diag([5.0, 5, 1]), np.eye(4),
                 gt=np.full((4, 4), 3, np.uint8))
    assert project.scene_names() == []


def test_a_full_disk_during_a_first_import_is_one_line_and_leaves_nothing(tmp_path,
                                                                         monkeypatch):
    import errno

    import rewis3d.io

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rewis3d.io, "import_frames", disk_full)
    src = make_7scenes(tmp_path / "seq", n=2)
    result = run("import", "7scenes", src, tmp_path / "proj", "--scene", "k")
    assert result.exit_code == 2
    assert "error: the disk is full; the project keeps its last complete state" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "proj").exists()


@pytest.mark.parametrize("code, said", [(30, "the file system is read-only"),
                                        (13, "permission denied")])
def test_a_read_only_project_is_one_line(project, monkeypatch, code, said):
    """EROFS / EACCES as a read-only mount or a foreign owner raise them (this machine runs
    as root, where file modes stop nothing, so the error is injected where classes are
    written)."""
    import errno

    from rewis3d.store import Project as StoreProject

    assert code in (errno.EROFS, errno.EACCES)
    before = tree_snapshot(project)

    def refuse(self, classes):
        raise OSError(code, os.strerror(code), str(self.path / "rewis3d.zarr" / "zarr.json"))

    monkeypatch.setattr(StoreProject, "set_classes", refuse)
    result = run("classes", project, "add", "fence")
    assert result.exit_code == 2 and f"error: {said} writing " in result.output
    assert "Traceback" not in result.output and tree_snapshot(project) == before
