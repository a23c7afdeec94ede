"""The trainer follows the released Rewis3d code: optimiser groups, per-branch KL reductions,
classes without 3D points, and a stop on a non-finite loss."""

import math

import pytest
import torch

from rewis3d.errors import NonFiniteLossError
from rewis3d.store import Project
from rewis3d.train import preset, run_training
from rewis3d.train import trainer as trainer_module
from rewis3d.train.checkpoint import latest_checkpoint
from rewis3d.train.trainer import Trainer


def _trainer(tiny_project, config, tmp_path):
    return Trainer(Project.open(tiny_project), config, tmp_path / "run")


def test_paper_presets_train_2d_blocks_at_the_released_rate(tiny_project, tiny_config, tmp_path):
    """Released ``engines/train.py`` passes ``param_dicts`` (keyword "block", lr 2e-4) to the 2D
    optimiser too: every SegFormer parameter named "...block..." trains at 2e-4, the rest at
    the base rate (3e-5 KITTI-360)."""
    config = tiny_config
    config.method.baseline = "ema"
    config.optim = preset("paper-kitti360").optim
    config.optim.epochs, config.optim.steps = None, 4
    trainer = _trainer(tiny_project, config, tmp_path)
    lr_of = {id(p): g["lr"] for g in trainer.opt_2d.param_groups for p in g["params"]}
    named = list(trainer.models["student_2d"].named_parameters())
    assert len(lr_of) == len(named)
    for name, p in named:
        assert lr_of[id(p)] == pytest.approx(2e-4 if "block" in name else 3e-5), name
    in_blocks = sum(p.numel() for n, p in named if "block" in n)
    assert in_blocks > 0.5 * sum(p.numel() for _, p in named)


def test_cpu_quick_uses_one_2d_rate(tiny_project, tiny_config, tmp_path):
    tiny_config.method.baseline = "ema"
    trainer = _trainer(tiny_project, tiny_config, tmp_path)
    assert {g["lr"] for g in trainer.opt_2d.param_groups} == {tiny_config.optim.lr_2d}


def test_each_branch_uses_its_released_kl_reduction(tiny_project, tiny_config, tmp_path,
                                                    monkeypatch):
    calls = []
    real = trainer_module.mean_teacher_loss

    def spy(student, teacher, labels, *args, **kwargs):
        calls.append(kwargs.get("kl_reduction"))
        return real(student, teacher, labels, *args, **kwargs)

    monkeypatch.setattr(trainer_module, "mean_teacher_loss", spy)
    trainer = _trainer(tiny_project, tiny_config, tmp_path)
    trainer.train_step()
    assert calls == ["mean", "batchmean"]  # 2D: sum / (pixels x classes); 3D: sum / points


def test_the_3d_teacher_gives_no_2d_target_for_classes_without_3d_points(
        tiny_project, tiny_config, tmp_path):
    """Released KITTI-360: the 3D head never predicts sky; ours has the class, so a 3D teacher
    predicting it must not become a 3D->2D target."""
    tiny_config.method.cmc_start = 0.0
    tiny_config.method.conf = "none"
    trainer = _trainer(tiny_project, tiny_config, tmp_path)
    sky = trainer.class_names.index("sky")
    head = trainer.models["teacher_3d"].seg_head
    with torch.no_grad():  # the teacher predicts sky everywhere
        head.weight.zero_()
        head.bias.fill_(-10.0)
        head.bias[sky] = 10.0
    stats = trainer.train_step()
    assert stats["cmc_weight_2d"] > 0
    assert stats["cmc_2d"] == 0.0


def test_a_non_finite_loss_stops_with_the_step_and_term_and_keeps_the_last_checkpoint(
        tiny_project, tiny_config, monkeypatch):
    """detectron2 raises FloatingPointError; a NaN must not be logged as null and trained on."""
    tiny_config.optim.steps = 4
    tiny_config.run.checkpoint_every = 1
    tiny_config.method.cmc_start = 0.0
    real = trainer_module.weighted_ce
    calls = []

    def nan_from_the_third_step(logits, targets, weights):
        calls.append(1)  # two calls per step: cmc_2d, then cmc_3d
        out = real(logits, targets, weights)
        return out * math.nan if len(calls) == 5 else out

    monkeypatch.setattr(trainer_module, "weighted_ce", nan_from_the_third_step)
    with pytest.raises(NonFiniteLossError, match=r"step 3: .*cmc_2d is nan") as info:
        run_training(tiny_project, tiny_config, run="nan")
    run_dir = tiny_project / "runs" / "nan"
    assert latest_checkpoint(run_dir).name == "step-000002"
    assert "step 2" in str(info.value)  # names the checkpoint to resume from


def test_scoring_the_3d_teacher_during_training_changes_nothing_learnt(tiny_project, tiny_config):
    from safetensors.torch import load_file

    from rewis3d.train.events import read_events

    tiny_config.optim.steps = 2
    plain = run_training(tiny_project, tiny_config, run="plain")
    tiny_config.run.eval_every = 1
    tiny_config.run.eval_3d_teacher = True
    scored = run_training(tiny_project, tiny_config, run="scored")
    evals = read_events(scored.run_dir, "eval")
    assert [e["step"] for e in evals] == [1, 2]
    assert all("iou_3d_teacher" in e and "road" in e["iou_3d_teacher"] for e in evals)
    a = load_file(str(latest_checkpoint(plain.run_dir) / "models.safetensors"))
    b = load_file(str(latest_checkpoint(scored.run_dir) / "models.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_zero_loss_is_logged_as_zero_not_minus_zero():
    """``supervised_ce`` of a batch without labels is ``logits.sum() * 0.0``: -0.0 when the sum
    is negative, which the events showed as -0.0."""
    assert repr(trainer_module._num(torch.tensor(-1.0) * 0.0)) == "0.0"
