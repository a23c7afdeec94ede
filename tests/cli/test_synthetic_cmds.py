"""`rewis3d sample` and `rewis3d simulate-labels`, checked through the store they leave."""

import pytest
from click.testing import CliRunner

from rewis3d.cli import main
from rewis3d.store import Project


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "proj"
    result = run("sample", path, "--kind", "street", "--frames", 4, "--size", "64x48",
                 "--seed", 3)
    assert result.exit_code == 0, result.output
    return path


def test_sample_creates_project_scene_and_reconstruction(project):
    proj = Project.open(project)
    assert proj.classes[0].name == "road" and proj.num_classes == 7
    scene = proj.scene("street")
    assert scene.num_frames == 4 and scene.image_size == (48, 64) and scene.has_gt
    assert scene.reconstruction("simulated").num_points > 0


def test_sample_second_scene_by_name_and_overwrite(project):
    result = run("sample", project, "--kind", "street", "--frames", 2, "--size", "32x24")
    assert result.exit_code == 2 and "overwrite" in result.output
    assert Project.open(project).scene("street").num_frames == 4
    result = run("sample", project, "--frames", 2, "--size", "32x24", "--scene", "b")
    assert result.exit_code == 0, result.output
    result = run("sample", project, "--frames", 2, "--size", "64x48", "--overwrite")
    assert result.exit_code == 0, result.output
    proj = Project.open(project)
    assert proj.scene_names() == ["b", "street"] and proj.scene("street").num_frames == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "forest"], "forest"),
        (["--frames", "0"], "frames"),
        (["--size", "0x48"], "size"),
        (["--size", "big"], "WIDTHxHEIGHT"),
    ],
)
def test_sample_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    result = run("sample", tmp_path / "p", *args)
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()


def test_simulate_labels_prints_coverage_and_stores_labels(project):
    result = run("simulate-labels", project, "--scene", "street", "--kind", "scribbles",
                 "--every", 2, "--seed", 1)
    assert result.exit_code == 0, result.output
    assert "coverage" in result.output and "road" in result.output
    labels = Project.open(project).scene("street").annotations
    assert labels.labelled_frames() == [0, 2]
    result = run("simulate-labels", project, "--scene", "street", "--kind", "points",
                 "--frames", "1,3", "--overwrite")
    assert result.exit_code == 0, result.output
    assert labels.labelled_frames() == [1, 3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "dots"], "dots"),
        (["--kind", "points", "--frames", "1,9"], "0..3"),
        (["--kind", "points", "--every", "0"], "every"),
        (["--kind", "points", "--width", "3"], "--width"),
        (["--kind", "coarse", "--coverage", "0.9"], "coverage"),
    ],
)
def test_simulate_labels_bad_input_leaves_labels_alone(project, args, message):
    result = run("simulate-labels", project, "--scene", "street", *args)
    assert result.exit_code == 2 and message in result.output
    assert Project.open(project).scene("street").annotations.labelled_frames() == []


def test_simulate_labels_needs_ground_truth(project):
    import numpy as np

    proj = Project.open(project)
    with proj.scene_writer("nogt") as writer:
        writer.append(rgb=np.zeros((8, 8, 3), np.uint8), intrinsics=np.eye(3), pose=np.eye(4))
    result = run("simulate-labels", project, "--scene", "nogt", "--kind", "coarse")
    assert result.exit_code == 2 and "ground truth" in result.output


@pytest.mark.parametrize("args, message", [
    (["--frames", "100000000"], "100000000 frames is too many for a synthetic scene"),
    (["--size", "100000x100000"], "is too large for a synthetic scene"),
])
def test_unbounded_samples_are_refused_before_any_work(tmp_path, args, message):
    from click.testing import CliRunner

    from rewis3d.cli import main

    out = CliRunner().invoke(main, ["sample", str(tmp_path / "p"), *args])
    assert out.exit_code == 2 and message in out.output
    assert not (tmp_path / "p").exists()


def test_a_sample_larger_than_the_free_disk_is_refused(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    from rewis3d.errors import InputError
    from rewis3d.synthetic import SceneConfig, sample_into_project

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**9, 10**9 - 10**6, 10**6))
    with pytest.raises(InputError, match=r"need about 0\.1 GB but .* has 0\.0 GB free"):
        sample_into_project(tmp_path / "p", SceneConfig(frames=100, width=160, height=120))
    assert not (tmp_path / "p").exists()


def test_a_file_given_as_the_project_says_so(tmp_path):
    from rewis3d.errors import NotAProjectError
    from rewis3d.store import Project

    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(NotAProjectError, match="is a file, not a project folder"):
        Project.open(tmp_path / "notes.txt")
