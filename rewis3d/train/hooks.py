"""Training hooks (detectron2's ``HookBase`` shape): everything the loop does besides the step
itself is a hook, so a run's behaviour is the list of its hooks.

``Trainer.fit`` calls, on every hook in order: ``before_train``; per step ``before_step``, then
``after_loss(total, stats)`` (between the forward pass and the weight update: the place to
refuse a bad loss), then ``after_step(stats)``; ``after_train`` at the end (not after an
error). ``on_event(event)`` receives every event the run writes (``step``, ``eval``,
``progress``, ``stopped``): the CLI's progress bar and a job's listeners are event hooks.
The defaults, in order: ``FiniteLoss``, ``ReportProgress``, ``LogSteps``, ``Evaluate``,
``Checkpoint``; hooks given to the Trainer run after them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from rewis3d.train.trainer import Trainer


class HookBase:
    """Override what you need; ``self.trainer`` is set when the Trainer takes the hook."""

    trainer: Trainer

    def before_train(self) -> None:
        pass

    def before_step(self) -> None:
        pass

    def after_loss(self, total: torch.Tensor, stats: dict) -> None:
        pass

    def after_step(self, stats: dict) -> None:
        pass

    def after_train(self) -> None:
        pass

    def on_event(self, event: dict) -> None:
        pass


class EventListener(HookBase):
    """A plain ``fn(trainer, event)`` as a hook (how the CLI and tests listen)."""

    def __init__(self, fn: Callable[[Trainer, dict], None]):
        self.fn = fn

    def on_event(self, event: dict) -> None:
        self.fn(self.trainer, event)


class FiniteLoss(HookBase):
    """Stop before a NaN/Inf reaches the weights (under DDP all ranks stop together)."""

    def after_loss(self, total: torch.Tensor, stats: dict) -> None:
        self.trainer.check_finite(total, stats)


class ReportProgress(HookBase):
    """Step timing for the ``progress`` events (phase, step, ETA) a job and the GUI show."""

    def before_step(self) -> None:
        self.trainer.progress.step_started(self.trainer.step, self.trainer.total_steps)

    def after_step(self, stats: dict) -> None:
        self.trainer.progress.step_done(self.trainer.step)


class LogSteps(HookBase):
    """A ``step`` event every ``run.log_every`` steps, for the first 3 steps of a fit (so
    curves start at once), at the fit's last step and at the run's last."""

    def before_train(self) -> None:
        self.first = self.trainer.step + 1

    def after_step(self, stats: dict) -> None:
        t = self.trainer
        if (t.step % max(t.config.run.log_every, 1) == 0 or t.step < self.first + 3
                or t.step in (t.total_steps, t.fit_until)):
            t.emit(t.events.write("step", step=t.step, total_steps=t.total_steps, **stats))


class Evaluate(HookBase):
    """Held-out evaluation every ``run.eval_every`` steps and at the end, on the main rank
    only, skipped once a stop was asked (the run checkpoints and leaves instead)."""

    def after_step(self, stats: dict) -> None:
        t = self.trainer
        last = t.step == t.total_steps
        every = t.config.run.eval_every
        if ((every and t.step % every == 0) or last) and t.dist.is_main \
                and not t.stop.requested:
            t.progress.enter("evaluating")
            t.last_eval = t.evaluate(with_3d=last)
            if not last:
                t.progress.enter("training")


class Checkpoint(HookBase):
    """A checkpoint every ``run.checkpoint_every`` steps and at the end of the run."""

    def after_step(self, stats: dict) -> None:
        t = self.trainer
        every = t.config.run.checkpoint_every
        if (every and t.step % every == 0) or t.step == t.total_steps:
            t.save()


def default_hooks() -> list[HookBase]:
    return [FiniteLoss(), ReportProgress(), LogSteps(), Evaluate(), Checkpoint()]
