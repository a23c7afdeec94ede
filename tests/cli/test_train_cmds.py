"""`rewis3d train | eval | predict | export` end to end on a tiny project (EMA baseline: fast)."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from rewis3d.cli import main
from rewis3d.store import Project
from tests.train.conftest import tiny_project, tiny_project_template  # noqa: F401  (fixtures)

TINY = """\
data:
  crop: [32, 48]
  points: 256
  cutout: 8
optim:
  steps: 3
run:
  log_every: 1
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def tiny_yaml(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_train_eval_predict_export(tiny_project, tiny_yaml, tmp_path):  # noqa: F811
    out = run("train", tiny_project, "--preset", "cpu-quick", "--config", tiny_yaml,
              "--baseline", "ema", "--run", "b")
    assert out.exit_code == 0, out.output
    assert "run b: 3 steps" in out.output and "2D mIoU" in out.output
    assert "baseline: ema" in (tiny_project / "runs/b/config.yaml").read_text()

    out = run("eval", tiny_project, "--run", "b")
    assert out.exit_code == 0, out.output
    assert "road" in out.output and "2D mIoU" in out.output

    out = run("predict", tiny_project, "--run", "b")
    assert out.exit_code == 0, out.output
    preds = Project.open(tiny_project).scene("street").predictions("b")
    assert preds.labels.shape == (4, 48, 64) and (np.asarray(preds.labels) < 7).all()
    conf = np.asarray(preds.confidence)
    assert (conf > 0).all() and (conf <= 1).all()

    out = run("export", tiny_project, tmp_path / "hf", "--run", "b")
    assert out.exit_code == 0, out.output
    from transformers import SegformerForSemanticSegmentation

    exported = SegformerForSemanticSegmentation.from_pretrained(tmp_path / "hf").eval()
    assert exported.config.id2label[0] == "road"
    from rewis3d.train.predict import load_student_2d

    model, _ = load_student_2d(Project.open(tiny_project), "b")
    x = torch.rand(1, 3, 48, 64)
    with torch.no_grad():
        assert torch.equal(exported(pixel_values=x).logits, model(pixel_values=x).logits)


def test_bad_preset_and_missing_run(tiny_project):  # noqa: F811
    out = run("train", tiny_project, "--preset", "fast")
    assert out.exit_code == 2 and "available: cpu-quick, paper-kitti360" in out.output
    out = run("eval", tiny_project, "--run", "nope")
    assert out.exit_code == 2 and "has no run 'nope'" in out.output
    out = run("train", tiny_project)
    assert out.exit_code == 2 and "--preset" in out.output


def test_resume_via_cli_refuses_missing_checkpoint(tiny_project):  # noqa: F811
    (tiny_project / "runs" / "empty").mkdir(parents=True)
    (tiny_project / "runs" / "empty" / "config.yaml").write_text("preset: cpu-quick\n")
    out = run("train", tiny_project, "--resume", "empty")
    assert out.exit_code == 2 and "no checkpoint yet" in out.output


def test_train_uses_the_scenes_only_reconstruction_and_takes_threads(tiny_project, tiny_yaml):  # noqa: F811
    """An imported RGB-D scene has only `sensor-depth`: training says so and uses it."""
    scene = Project.open(tiny_project).scene("street")
    data = scene.reconstruction("simulated").load()
    scene.write_reconstruction("sensor-depth", data, {"backend": "sensor-depth"})
    scene.delete("reconstructions", "simulated")
    threads = torch.get_num_threads()
    try:
        out = run("train", tiny_project, "--preset", "cpu-quick", "--config", tiny_yaml,
                  "--run", "only", "--threads", "1")
    finally:
        torch.set_num_threads(threads)
    assert out.exit_code == 0, out.output
    assert "training on the scenes' only one, 'sensor-depth'" in out.output
    saved = (tiny_project / "runs/only/config.yaml").read_text()
    assert "reconstruction: sensor-depth" in saved and "threads: 1" in saved


def test_train_reconstruction_option_and_its_errors(tiny_project, tiny_yaml):  # noqa: F811
    out = run("train", tiny_project, "--preset", "cpu-quick", "--config", tiny_yaml,
              "--run", "x", "--reconstruction", "nosuch")
    assert out.exit_code == 2
    assert "no reconstruction 'nosuch' (have: simulated); use one of those" in out.output
    assert "--reconstruction NAME" in out.output
    assert not (tiny_project / "runs" / "x").exists()  # a run that never started leaves nothing
    out = run("train", tiny_project, "--preset", "cpu-quick", "--threads", "0")
    assert out.exit_code == 2 and "--threads" in out.output


def test_resume_refuses_settings_it_would_ignore(tiny_project):  # noqa: F811
    (tiny_project / "runs" / "r").mkdir(parents=True)
    (tiny_project / "runs" / "r" / "config.yaml").write_text("preset: cpu-quick\n")
    out = run("train", tiny_project, "--resume", "r", "--steps", "5", "--seed", "0",
              "--allow-download")
    assert out.exit_code == 2
    assert ("with its own settings (runs/r/config.yaml); drop --steps, --seed, --allow-download"
            in out.output)


def test_eval_of_a_rewis3d_run_reports_3d_miou_as_the_final_training_eval(tiny_project,  # noqa: F811
                                                                         tiny_yaml):
    from rewis3d.train.events import read_events

    out = run("train", tiny_project, "--preset", "cpu-quick", "--config", tiny_yaml, "--run", "r")
    assert out.exit_code == 0, out.output
    final = read_events(tiny_project / "runs" / "r", "eval")[-1]
    out = run("eval", tiny_project, "--run", "r")
    assert out.exit_code == 0, out.output
    assert "  class             2D    3D" in out.output
    assert f"3D mIoU {100 * final['miou_3d']:.1f}" in out.output  # the same frames and points
    assert f"2D mIoU {100 * final['miou_2d']:.1f}" in out.output


def test_set_changes_any_config_field_and_refuses_bad_ones(tiny_project, tiny_yaml):  # noqa: F811
    out = run("train", tiny_project, "--preset", "cpu-quick", "--config", tiny_yaml,
              "--run", "s", "--baseline", "ema", "--set", "optim.steps=2",
              "--set", "method.lambda_2d=0.3", "--set", "data.crop=[40, 56]")
    assert out.exit_code == 0, out.output
    saved = (tiny_project / "runs/s/config.yaml").read_text()
    assert "steps: 2" in saved and "lambda_2d: 0.3" in saved and "- 40\n  - 56" in saved
    for pair, message in (
            ("optim.stpes=2", "--set: unknown key 'optim.stpes'; known keys of optim: amp, div_factor"),
            ("data.batch_size=0", "--set: data.batch_size must be >= 1, got 0"),
            ("data.sampling=everywhere", "--set: data.sampling: Input should be 'view-aware'"),
            ("optim.steps", "--set 'optim.steps': use KEY=VALUE")):
        out = run("train", tiny_project, "--preset", "cpu-quick", "--run", "bad", "--set", pair)
        assert out.exit_code == 2 and f"error: {message}" in out.output, out.output
        assert not (tiny_project / "runs" / "bad").exists()


@pytest.mark.parametrize("args, says", [
    (["--variants", "ema,magic"], "--variants: unknown ['magic']; available: ema, rewis3d"),
    (["--labels", "dots"], "--labels: unknown ['dots']"),
    (["--seeds", "0,x"], "--seeds: expected comma-separated integers"),
    (["--train-clips", "0"], "Invalid value for '--train-clips'"),
    (["--more-unseen", "10"], "more_unseen: expected 0 to 9 extra unseen streets, got 10"),
    (["--report-only"], "no results to report"),
])
def test_bench_quality_refuses_bad_arguments(tmp_path, args, says):
    out = run("bench", "quality", "--root", tmp_path / "bq", "--scenes", "street", *args)
    assert out.exit_code == 2 and says in out.output, out.output
    assert not list((tmp_path / "bq").glob("street-*"))  # nothing built


def test_bench_quality_reports_a_run_and_its_clip_count(tmp_path):
    root = tmp_path / "bq"
    out = run("bench", "quality", "--root", root, "--scenes", "street", "--labels", "points",
              "--variants", "ema", "--seeds", "0", "--steps", "1", "--frames", "2",
              "--points", "64", "--eval-every", "0", "--train-clips", "2")
    assert out.exit_code == 0, out.output
    assert "| street | points, 2 clips | ema | 1 |" in out.output
    assert {p.name for p in root.iterdir()} >= {"quality.md", "quality.csv", "quality.png",
                                               "street-points-2clips-2f-160x120-every3-seed0"}
