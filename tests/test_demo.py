"""`make demo` runs the pipeline end to end (here on a tiny scene)."""

from rewis3d.demo import run_demo
from rewis3d.store import Project


def test_demo_runs_end_to_end(tmp_path, capsys):
    scores = run_demo(tmp_path / "demo", frames=6, size=(64, 48), steps=2, points=512)
    out = capsys.readouterr().out
    assert "propagate the scribbles through 3D" in out and "agree with gt" in out
    assert "| Rewis3d |" in out and set(scores) == {"ema", "rewis3d"}
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    scene = Project.open(tmp_path / "demo").scene("street")
    assert scene.reconstruction_names() == ["sensor-depth", "simulated"]
    assert scene.annotations.labelled_frames() == [0, 4]
    assert scene.prediction_names() == ["demo-ema", "demo-rewis3d"]
    from PIL import Image

    figure = Image.open(tmp_path / "demo" / "demo.png")
    assert figure.size == (4 * 64 + 3 * 4, 48)  # frame | gt | EMA | Rewis3d


def test_demo_refuses_a_folder_that_is_not_a_project(tmp_path):
    import pytest

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(SystemExit, match="not a Rewis3d project"):
        run_demo(tmp_path / "mine", frames=2, size=(32, 24))
    assert (tmp_path / "mine" / "thesis.tex").exists()
