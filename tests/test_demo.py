"""`make demo` runs the benchmark's default setting end to end (here tiny)."""

import pytest

from rewis3d.demo import run_demo
from rewis3d.store import Project


def test_demo_runs_both_evaluations_over_seeds(tmp_path, capsys):
    scores = run_demo(tmp_path / "demo", frames=4, size=(64, 48), seeds=(0, 1), steps=2,
                      points=256)
    out = capsys.readouterr().out
    assert "propagate the scribbles through 3D" in out and "agree with gt" in out
    assert "same clip vs EMA [95 % CI]" in out and "unseen clip vs EMA [95 % CI]" in out
    assert "| street | scribbles | rewis3d | 2 |" in out
    assert set(scores) == {"ema_same_clip", "ema_unseen_clip", "rewis3d_same_clip",
                           "rewis3d_unseen_clip"}
    assert all(len(v) == 2 and all(0.0 <= x <= 1.0 for x in v) for v in scores.values())
    projects = sorted(p.name for p in (tmp_path / "demo").iterdir() if p.is_dir())
    assert projects == ["street-scribbles-4f-64x48-every3-seed0",
                        "street-scribbles-4f-64x48-every3-seed1"]
    scene = Project.open(tmp_path / "demo" / projects[0]).scene("train")
    assert scene.annotations.labelled_frames() == [0, 3]
    assert sorted(scene.prediction_names()) == ["ema-2steps-256pts", "rewis3d-2steps-256pts"]
    from PIL import Image

    figure = Image.open(tmp_path / "demo" / "demo.png")
    assert figure.size[0] > 4 * figure.size[1]  # five titled panels side by side

    # a second demo into the same folder starts fresh
    run_demo(tmp_path / "demo", frames=4, size=(64, 48), seeds=(2,), steps=1, points=256)
    assert [p.name for p in (tmp_path / "demo").iterdir() if p.is_dir()] == [
        "street-scribbles-4f-64x48-every3-seed2"]


def test_demo_refuses_a_folder_that_is_not_its_own(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(SystemExit, match="not a Rewis3d demo folder"):
        run_demo(tmp_path / "mine", frames=2, size=(32, 24))
    assert (tmp_path / "mine" / "thesis.tex").exists()
