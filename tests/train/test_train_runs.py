"""Whole runs on a tiny project: exact resume, overfitting one frame, bad input."""

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from rewis3d.errors import CheckpointError, InputError, StoreError
from rewis3d.store import Project
from rewis3d.train import run_training
from rewis3d.train.checkpoint import latest_checkpoint
from rewis3d.train.events import read_events


def weights(run_dir):
    return load_file(str(latest_checkpoint(run_dir) / "models.safetensors"))


def test_resume_continues_exactly(tiny_project, tiny_config):
    tiny_config.optim.steps = 3
    full = run_training(tiny_project, tiny_config, run="full")
    part = run_training(tiny_project, tiny_config, run="part", until=1)
    assert part.steps == 1
    resumed = run_training(tiny_project, tiny_config, run="part", resume=True)
    assert resumed.steps == 3
    a, b = weights(full.run_dir), weights(resumed.run_dir)
    assert a.keys() == b.keys() and {k.split(".")[0] for k in a} == {
        "student_2d", "teacher_2d", "student_3d", "teacher_3d"}
    for key in a:
        assert torch.equal(a[key], b[key]), key
    steps = [e["step"] for e in read_events(resumed.run_dir, "step")]
    assert steps == [1, 2, 3]
    event = read_events(full.run_dir, "step")[-1]
    assert event["cmc_weight_2d"] > 0 and {"sup_2d", "cons_3d", "cmc_3d", "lr_3d", "w_t_2d",
                                           "samples_per_s"} <= event.keys()
    evals = read_events(full.run_dir, "eval")
    assert evals and "miou_3d" in evals[-1] and "road" in evals[-1]["iou_2d"]
    assert (full.run_dir / "config.yaml").is_file()


def test_resume_refuses_changed_config(tiny_project, tiny_config):
    tiny_config.method.baseline = "ema"
    run_training(tiny_project, tiny_config, run="r", until=1)
    tiny_config.method.lambda_2d = 0.5
    with pytest.raises(InputError, match="method.lambda_2d"):
        run_training(tiny_project, tiny_config, run="r", resume=True)


def test_existing_run_name_is_refused(tiny_project, tiny_config):
    tiny_config.method.baseline = "ema"
    run_training(tiny_project, tiny_config, run="dup", until=1)
    with pytest.raises(InputError, match="--resume dup"):
        run_training(tiny_project, tiny_config, run="dup")


def test_truncated_checkpoint_is_a_clear_error(tiny_project, tiny_config):
    tiny_config.method.baseline = "ema"
    result = run_training(tiny_project, tiny_config, run="t", until=1)
    path = latest_checkpoint(result.run_dir)
    data = (path / "models.safetensors").read_bytes()
    (path / "models.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        run_training(tiny_project, tiny_config, run="t", resume=True)
    (path / "models.safetensors").write_bytes(data)
    (path / "state.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="state.pt"):
        run_training(tiny_project, tiny_config, run="t", resume=True)


def test_tiny_run_overfits_one_frame(tiny_project, tiny_config):
    project = Project.open(tiny_project)
    scene = project.scene("street")
    scene.annotations.clear()
    gt = np.asarray(scene.gt[0])
    scene.annotations.set_frame(0, gt)
    c = tiny_config
    c.method.baseline = "ema"
    c.data.crop, c.data.rescale, c.data.aspect = (48, 64), (1.0, 1.0), (1.0, 1.0)
    c.data.blur_p = c.data.augmix_p = 0.0
    c.data.cutout = 0
    c.data.batch_size = 1
    c.optim.steps, c.optim.lr_2d = 40, 4e-3
    c.run.log_every = 1
    result = run_training(project, c, run="overfit")
    from rewis3d.train.evaluate import predict_frame
    from rewis3d.train.predict import load_student_2d

    model, _ = load_student_2d(project, "overfit")
    pred = predict_frame(model, scene.rgb[0], project.num_classes, 512, torch.device("cpu"))
    accuracy = float((pred.argmax(0).numpy() == gt).mean())
    assert accuracy > 0.8, accuracy  # thin poles are below the 1/4-res logits
    losses = [e["sup_2d"] for e in read_events(result.run_dir, "step")]
    assert losses[-1] < 0.3 * losses[0]


def test_no_labelled_frames(tiny_project, tiny_config):
    Project.open(tiny_project).scene("street").annotations.clear()
    with pytest.raises(InputError, match="no labelled frames.*simulate-labels"):
        run_training(tiny_project, tiny_config, run="x")


def test_labels_beyond_class_list(tiny_project, tiny_config):
    scene = Project.open(tiny_project).scene("street")
    frame = scene.annotations.labelled_frames()[0]
    labels = scene.annotations.frame(frame)
    labels[0, :5] = 9
    scene.annotations.labels[frame] = labels  # as if classes had been removed since
    with pytest.raises(InputError, match=r"label ids \[9\] are beyond"):
        run_training(tiny_project, tiny_config, run="x")


def test_missing_reconstruction_names_command(tiny_project, tiny_config):
    tiny_config.data.reconstruction = "mapanything"
    with pytest.raises(StoreError, match="rewis3d reconstruct PROJECT --scene street"):
        run_training(tiny_project, tiny_config, run="x")


def test_retraining_starts_from_the_exported_2d_student(tiny_project, tiny_config):
    """The review loop's retrain: export the run's 2D student, write the new run's config, and
    the new run's 2D student and teacher begin as exactly those weights (then keep training)."""
    from rewis3d.review import retrain_config
    from rewis3d.train.config import load
    from rewis3d.train.export import export_run
    from rewis3d.train.trainer import Trainer

    tiny_config.method.baseline = "ema"
    tiny_config.optim.steps = 2
    first = run_training(tiny_project, tiny_config, run="first")
    exported = export_run(tiny_project, "first", first.run_dir / "weights-2d")
    config_path = retrain_config(first.run_dir, exported, first.run_dir / "retrain.yaml")
    config = load(config_path)
    assert config.model.pretrained_2d == str(exported.absolute())

    trained = {k.removeprefix("student_2d."): v for k, v in weights(first.run_dir).items()
               if k.startswith("student_2d.")}
    fresh = Trainer(Project.open(tiny_project), config, tiny_project / "runs" / "probe")
    for name in ("student_2d", "teacher_2d"):
        start = fresh.models[name].state_dict()
        assert start.keys() == trained.keys()
        for key, value in trained.items():
            assert torch.equal(start[key], value), (name, key)

    second = run_training(tiny_project, config, run="first-r1")
    assert second.steps == 2
    moved = weights(second.run_dir)
    assert any(not torch.equal(moved[f"student_2d.{k}"], v) for k, v in trained.items())


def test_a_run_being_trained_is_refused_to_a_second_process(tiny_project, tiny_config):
    """The claim is held for the whole training (here: taken by this test as the other process
    would), so a second `train --run same` stops at once with a clear error."""
    from rewis3d.store.locking import claim

    tiny_config.method.baseline = "ema"
    with claim(tiny_project / "runs" / "same"):
        import subprocess
        import sys

        import yaml

        config_file = tiny_project / "c.yaml"
        config_file.write_text(yaml.safe_dump(tiny_config.to_dict()))
        out = subprocess.run([sys.executable, "-m", "rewis3d.cli", "train", str(tiny_project),
                              "--config", str(config_file), "--run", "same"],
                             capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert "run 'same' is being trained by another process right now" in out.stderr
    assert not (tiny_project / "runs" / "same").exists()  # the refused start wrote nothing
    assert run_training(tiny_project, tiny_config, run="same").steps == tiny_config.optim.steps


def test_a_start_that_never_reached_a_checkpoint_can_start_again(tiny_project, tiny_config):
    tiny_config.method.baseline = "ema"
    run_dir = tiny_project / "runs" / "failed"
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text("left by a start that crashed at step 1\n")
    (run_dir / "events.jsonl").write_text('{"kind": "step", "step": 1}\n')
    with pytest.warns(UserWarning, match="never reached a checkpoint"):
        result = run_training(tiny_project, tiny_config, run="failed")
    assert result.steps == tiny_config.optim.steps
    assert [e["step"] for e in read_events(run_dir, "step")] == list(
        range(1, tiny_config.optim.steps + 1))
