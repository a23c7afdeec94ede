"""Everything the loop does besides the step is a hook: the call order, events, and that a
run's behaviour is changed by its hook list alone."""

from __future__ import annotations

import pytest
import torch

from rewis3d.store import Project
from rewis3d.train.checkpoint import latest_checkpoint
from rewis3d.train.hooks import Checkpoint, Evaluate, FiniteLoss, HookBase, LogSteps
from rewis3d.train.trainer import Trainer


class Recorder(HookBase):
    def __init__(self):
        self.calls, self.events = [], []

    def before_train(self):
        self.calls.append(("before_train", self.trainer.step))

    def before_step(self):
        self.calls.append(("before_step", self.trainer.step))

    def after_loss(self, total, stats):
        self.calls.append(("after_loss", self.trainer.step))

    def after_step(self, stats):
        self.calls.append(("after_step", self.trainer.step))

    def after_train(self):
        self.calls.append(("after_train", self.trainer.step))

    def on_event(self, event):
        if event["kind"] in ("step", "eval"):
            self.events.append((event["kind"], event["step"]))


@pytest.fixture
def ema_config(tiny_config):
    tiny_config.method.baseline = "ema"  # 2D only: the hooks are the same, the test faster
    tiny_config.optim.steps = 3
    tiny_config.run.eval_every = 2
    return tiny_config


def test_hooks_are_called_in_order_around_every_step(tiny_project, ema_config, tmp_path):
    recorder = Recorder()
    trainer = Trainer(Project.open(tiny_project), ema_config, tmp_path / "run", hooks=[recorder])
    assert [type(h) for h in trainer.hooks[:5]] == [FiniteLoss, type(trainer.hooks[1]),
                                                    LogSteps, Evaluate, Checkpoint]
    trainer.fit()
    expected = [("before_train", 0)]
    for s in range(3):
        expected += [("before_step", s), ("after_loss", s), ("after_step", s + 1)]
    expected.append(("after_train", 3))
    assert recorder.calls == expected
    assert recorder.events == [("step", 1), ("step", 2), ("eval", 2), ("step", 3), ("eval", 3)]


def test_a_run_without_the_evaluate_and_checkpoint_hooks_does_neither(tiny_project, ema_config,
                                                                       tmp_path):
    trainer = Trainer(Project.open(tiny_project), ema_config, tmp_path / "run")
    trainer.hooks = [h for h in trainer.hooks if not isinstance(h, Evaluate | Checkpoint)]
    assert trainer.fit() is None
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_an_after_loss_hook_can_refuse_a_step_before_the_weights_change(tiny_project,
                                                                         ema_config, tmp_path):
    class RefuseSecondStep(HookBase):
        def after_loss(self, total, stats):
            if self.trainer.step == 1:
                raise RuntimeError("refused")

    trainer = Trainer(Project.open(tiny_project), ema_config, tmp_path / "run",
                      hooks=[RefuseSecondStep()])
    trainer.fit(until=1)  # a checkpoint at step 1, the fit's end
    # parameters only: the forward pass already moved the norm layers' running statistics
    before = {k: v.clone() for k, v in trainer.models["student_2d"].named_parameters()}
    with pytest.raises(RuntimeError, match="refused"):
        trainer.fit()
    after = dict(trainer.models["student_2d"].named_parameters())
    assert all(torch.equal(before[k], after[k]) for k in before) and trainer.step == 1
    assert latest_checkpoint(tmp_path / "run").name == "step-000001"
