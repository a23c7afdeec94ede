"""The Rewis3d trainer: a 2D and a 3D Mean Teacher, coupled by cross-modal consistency.

Stage 1 (steps < cmc_start): each branch alone (L_S + w_t L_U). Stage 2 adds the CMC terms with
weights ramped linearly to lambda_2D / lambda_3D. ``baseline: ema`` drops the 3D branch: the
paper's EMA baseline (the same 2D Mean Teacher, same labels, same steps).

Each step seeds numpy and torch from (seed, step), so a run is a pure function of its config
and a resumed run continues bit-for-bit on CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

import rewis3d.train.checkpoint as ckpt
import rewis3d.train.distributed as distributed
from rewis3d.errors import NonFiniteLossError
from rewis3d.store import Project
from rewis3d.train.config import TrainConfig
from rewis3d.train.dataset import Batch, TrainingData, load_scenes
from rewis3d.train.ema import ema_update, make_teacher
from rewis3d.train.evaluate import EvalResult, evaluate
from rewis3d.train.events import EventLog
from rewis3d.train.hooks import EventListener, HookBase, default_hooks
from rewis3d.train.losses import (
    cmc_targets,
    flatten_2d,
    mean_teacher_loss,
    weighted_ce,
)
from rewis3d.train.models import logits_2d, student_2d, student_3d
from rewis3d.train.progress import Progress
from rewis3d.train.schedule import cmc_weight, one_cycle_scheduler, poly_scheduler
from rewis3d.train.stopping import StopRequest, TrainingStopped

Hook = HookBase | Callable[["Trainer", dict], None]
BLOCK_KEYWORD = "block"  # the released param_dicts keyword, for both optimisers
CONF_FACTORS = {"none": (False, False), "pred": (True, False), "recon": (False, True),
                "dual": (True, True)}


def keyword_groups(model: torch.nn.Module, lr: float, keyword_lr: float | None) -> list[dict]:
    """The released ``build_optimizer`` groups: parameters whose name contains "block" at
    ``keyword_lr``, the rest at ``lr`` (one group when ``keyword_lr`` is None)."""
    params = list(model.named_parameters())
    if keyword_lr is None:
        return [{"params": [p for _, p in params], "lr": lr}]
    return [{"params": [p for n, p in params if BLOCK_KEYWORD not in n], "lr": lr},
            {"params": [p for n, p in params if BLOCK_KEYWORD in n], "lr": keyword_lr}]


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class Trainer:
    def __init__(self, project: Project, config: TrainConfig, run_dir: Path,
                 hooks: list[Hook] | None = None, stop: StopRequest | None = None):
        self.project, self.config, self.run_dir = project, config, Path(run_dir)
        self.hooks: list[HookBase] = []
        for hook in [*default_hooks(), *(hooks or [])]:
            self.register(hook)
        self.last_eval: EvalResult | None = None
        self.saved_step: int | None = None  # the step of the newest checkpoint this fit wrote
        self.fit_until = 0
        self.stop = stop or StopRequest()
        self._mid_step = False  # an interrupt inside a step would checkpoint a torn state
        self.dist = distributed.current()
        self.device = (distributed.device_for(self.dist, config.run.device)
                       or pick_device(config.run.device))
        self.with_3d = config.method.baseline != "ema"
        self.class_names = [c.name for c in project.classes]
        self.no_3d_classes = tuple(i for i, n in enumerate(self.class_names)
                                   if n in set(config.method.no_3d_classes))
        self.events = EventLog(self.run_dir, enabled=self.dist.is_main)
        self.progress = Progress(self.events.write, emit=self.emit)
        with self.progress:  # heartbeats while the data (and the sampling index) load
            self.progress.enter("preparing data")
            scenes = load_scenes(project, config.data, self.with_3d, self.no_3d_classes,
                                 phase=self.progress.enter)
        self.scene_names = [s.name for s in scenes]
        self.data = TrainingData(scenes, config.data, self.with_3d)
        self.total_steps = config.total_steps(len(self.data))
        self.cmc_start, self.cmc_ramp = config.cmc_steps(self.total_steps)
        self.amp = config.optim.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.step = 0
        self.shard = distributed.shard(config.data.batch_size, self.dist)
        self._build_models()
        self.nets = self._data_parallel()

    # -- construction -----------------------------------------------------------------------
    def _build_models(self) -> None:
        torch.manual_seed(self.config.run.seed)
        c, o = self.config, self.config.optim
        self.models: dict[str, torch.nn.Module] = {}
        self.models["student_2d"] = student_2d(c.model, self.class_names).to(self.device)
        self.models["teacher_2d"] = make_teacher(self.models["student_2d"])
        self.opt_2d = torch.optim.AdamW(
            keyword_groups(self.models["student_2d"], o.lr_2d, o.lr_2d_blocks),
            weight_decay=o.weight_decay_2d)
        self.sched_2d = poly_scheduler(self.opt_2d, self.total_steps, o.poly_power)
        self.opt_3d = self.sched_3d = None
        if self.with_3d:
            s3 = student_3d(c.model, len(self.class_names)).to(self.device)
            self.models["student_3d"] = s3
            self.models["teacher_3d"] = make_teacher(s3)
            self.opt_3d = torch.optim.AdamW(keyword_groups(s3, o.lr_3d, o.lr_3d_blocks),
                                            weight_decay=o.weight_decay_3d)
            self.sched_3d = one_cycle_scheduler(self.opt_3d, [o.lr_3d, o.lr_3d_blocks],
                                                self.total_steps, o.pct_start, o.div_factor,
                                                o.final_div_factor)
        teacher_mode = self.config.method.teacher_train_mode
        for name, model in self.models.items():
            model.train(teacher_mode if name.startswith("teacher") else True)

    def _data_parallel(self) -> dict[str, torch.nn.Module]:
        """What the forward passes call: DDP-wrapped students (synchronised BatchNorm in all
        four networks) under torchrun, else the models themselves."""
        if not self.dist.enabled:
            return dict(self.models)
        for model in self.models.values():
            distributed.synchronise_batchnorm(model, self.device)
        return {name: distributed.data_parallel(model, self.device)
                if name.startswith("student") else model for name, model in self.models.items()}

    # -- one step -------------------------------------------------------------------------
    def _seed(self, step: int) -> np.random.Generator:
        torch.manual_seed(self.config.run.seed * 1_000_003 + step + self.dist.rank * 2**40)
        return np.random.default_rng([self.config.run.seed, step])

    def train_step(self) -> dict:
        t0 = time.perf_counter()
        self._mid_step = True
        rng = self._seed(self.step)
        batch = _to(self.data.batch(rng, self.shard), self.device)
        autocast = (torch.autocast("cuda", dtype=torch.float16) if self.amp else nullcontext())
        with autocast:
            total, stats = self._losses(batch)
        for hook in self.hooks:
            hook.after_loss(total, stats)
        self.opt_2d.zero_grad(set_to_none=True)
        if self.opt_3d is not None:
            self.opt_3d.zero_grad(set_to_none=True)
        self.scaler.scale(total).backward()
        for opt in (self.opt_2d, self.opt_3d):
            if opt is not None:
                self.scaler.step(opt)
        self.scaler.update()
        stats["lr_2d"] = self.opt_2d.param_groups[0]["lr"]
        self.sched_2d.step()
        if self.sched_3d is not None:
            stats["lr_3d"] = self.opt_3d.param_groups[0]["lr"]
            self.sched_3d.step()
        alpha = self.config.method.alpha
        stats["ema_decay"] = ema_update(self.models["teacher_2d"], self.models["student_2d"],
                                        self.step, alpha)
        if self.with_3d:
            ema_update(self.models["teacher_3d"], self.models["student_3d"], self.step, alpha)
        stats["loss"] = float(total.detach())
        stats = distributed.mean_over_ranks(stats, self.dist, self.device)
        stats["samples_per_s"] = batch.size * self.dist.world_size / (time.perf_counter() - t0)
        self.step += 1
        self._mid_step = False
        return stats

    def _losses(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        m = self.config.method
        s2d = logits_2d(self.nets["student_2d"], batch.student_image)
        with torch.no_grad():
            t2d = logits_2d(self.models["teacher_2d"], batch.teacher_image)
        flat_s2d, flat_t2d = flatten_2d(s2d), flatten_2d(t2d)
        b2d = mean_teacher_loss(flat_s2d, flat_t2d, batch.labels.reshape(-1), m.tau, m.beta,
                                kl_reduction="mean", valid=batch.valid.reshape(-1))
        total = b2d.total
        stats = {"sup_2d": _num(b2d.supervised), "cons_2d": _num(b2d.consistency),
                 "w_t_2d": _num(b2d.w_t)}
        if not self.with_3d:
            return total, stats
        grid = self.config.model.grid_size
        s3d = self.nets["student_3d"](batch.student_feat, batch.student_coord,
                                        grid_size=grid, offset=batch.offset)
        with torch.no_grad():
            t3d = self.models["teacher_3d"](batch.teacher_feat, batch.teacher_coord,
                                            grid_size=grid, offset=batch.offset)
        b3d = mean_teacher_loss(s3d, t3d, batch.point_labels, m.tau, m.beta,
                                kl_reduction="batchmean")
        total = total + b3d.total
        stats.update(sup_3d=_num(b3d.supervised), cons_3d=_num(b3d.consistency),
                     w_t_3d=_num(b3d.w_t))
        w2 = cmc_weight(self.step, self.cmc_start, self.cmc_ramp, m.lambda_2d)
        w3 = cmc_weight(self.step, self.cmc_start, self.cmc_ramp, m.lambda_3d)
        stats.update(cmc_weight_2d=w2, cmc_weight_3d=w3, cmc_2d=0.0, cmc_3d=0.0)
        if w2 or w3:
            pred_conf, recon_conf = CONF_FACTORS[m.conf]
            conf = batch.conf[batch.corr_point]
            to_2d = cmc_targets(t3d, batch.corr_point, batch.corr_pixel, conf, len(flat_s2d),
                                pred_conf, recon_conf, self.no_3d_classes)
            to_3d = cmc_targets(flat_t2d, batch.corr_pixel, batch.corr_point, conf, len(s3d),
                                pred_conf, recon_conf, self.no_3d_classes)
            c2d = weighted_ce(flat_s2d, to_2d.targets, to_2d.weights)
            c3d = weighted_ce(s3d, to_3d.targets, to_3d.weights)
            total = total + w2 * c2d + w3 * c3d
            stats.update(cmc_2d=_num(c2d), cmc_3d=_num(c3d))
        return total, stats

    def check_finite(self, total: torch.Tensor, stats: dict) -> None:
        """Stop before a NaN/Inf reaches the weights: the error names the step (numbered as the
        events and checkpoints are) and the term; the last checkpoint stays the latest. Under
        DDP every rank learns whether any rank's loss is non-finite, and all stop together."""
        finite = bool(torch.isfinite(total.detach()))
        if distributed.all_ranks_agree(finite, self.dist, self.device):
            return
        bad = [f"{k} is {v}" for k, v in stats.items()
               if isinstance(v, float) and not np.isfinite(v)]
        bad = bad or [f"loss is {float(total)}" if not finite else "on another rank"]
        try:
            step = ckpt.latest_checkpoint(self.run_dir).name.removesuffix(ckpt.ASIDE)
            last = f"the last checkpoint is step {int(step.removeprefix('step-'))}"
        except ckpt.CheckpointError:
            last = "no checkpoint was written yet"
        raise NonFiniteLossError(
            f"step {self.step + 1}: the training loss is not finite ({', '.join(bad)}); stopped "
            f"before updating the weights; {last}. Lower the learning rate or check the labels "
            "and the reconstruction's confidences, then resume or start again")

    # -- loop -------------------------------------------------------------------------------
    def register(self, hook: Hook) -> HookBase:
        """Add a hook (a ``HookBase``, or ``fn(trainer, event)`` for events only)."""
        hook = hook if isinstance(hook, HookBase) else EventListener(hook)
        hook.trainer = self
        self.hooks.append(hook)
        return hook

    def fit(self, until: int | None = None) -> EvalResult | None:
        """Train to ``until`` (default: the end); the hooks log, evaluate and checkpoint.
        Returns the last evaluation of this fit, if any.

        A stop request (``self.stop``: a job's cancel, Ctrl-C) ends the loop after the step in
        flight with a checkpoint and :class:`TrainingStopped`; resuming continues bit-exactly.
        """
        self.fit_until = min(until or self.total_steps, self.total_steps)
        self.last_eval = None
        stopping = False
        try:
            with self.progress, self.stop.deferred():
                self.progress.enter("training")
                self._call("before_train")
                while self.step < self.fit_until and not stopping:
                    self._call("before_step")
                    stats = self.train_step()
                    self._call("after_step", stats)
                    stopping = self._stop_agreed()  # after the hooks: they may ask too
        except KeyboardInterrupt:
            if not self._mid_step:  # between steps the state is whole: keep it
                self.save()
            raise
        if stopping and self.step < self.total_steps:
            saved = self._checkpoint_of_this_step()
            self.emit(self.events.write("stopped", step=self.step, total_steps=self.total_steps,
                                        checkpoint=str(saved)))
            raise TrainingStopped(self.step, self.total_steps, saved)
        if self.step == self.fit_until < self.total_steps:
            self._checkpoint_of_this_step()
        self._call("after_train")
        return self.last_eval

    def _call(self, name: str, *args) -> None:
        for hook in self.hooks:
            getattr(hook, name)(*args)

    def _checkpoint_of_this_step(self) -> Path:
        if self.saved_step == self.step:
            return ckpt.checkpoint_dir(self.run_dir, self.step)
        return self.save()

    def _stop_agreed(self) -> bool:
        """A stop asked on any rank stops every rank at the same step (torchrun signals each
        process on its own; one rank leaving alone would block the others' next all-reduce)."""
        return not distributed.all_ranks_agree(not self.stop.requested, self.dist, self.device)

    def evaluate(self, max_frames: int | None = None, with_3d: bool = True) -> EvalResult:
        """2D mIoU, and the 3D student's when ``with_3d``: evaluations during a run are 2D
        only (the 3D forward over every held-out view costs more than many training steps on
        CPU); the final one, and `rewis3d eval`, include 3D. With ``run.eval_3d_teacher`` every
        evaluation also scores the 3D teacher (``iou_3d_teacher``: the source of the 3D->2D
        targets, to see what the 2D student could learn from it)."""
        result = self._score(self.models.get("student_3d") if with_3d else None, max_frames)
        event = result.as_event(self.class_names)
        if self.config.run.eval_3d_teacher and "teacher_3d" in self.models:
            teacher = self._score(self.models["teacher_3d"], max_frames)
            self.models["teacher_3d"].train(self.config.method.teacher_train_mode)
            event.update(miou_3d_teacher=teacher.miou_3d,
                         iou_3d_teacher=dict(zip(self.class_names, teacher.iou_3d, strict=True)))
        self.emit(self.events.write("eval", step=self.step, **event))
        return result

    def _score(self, model_3d, max_frames: int | None) -> EvalResult:
        d = self.config.data
        result = evaluate(self.project, self.scene_names, self.models["student_2d"],
                          model_3d, d.eval_window, d.reconstruction,
                          d.points, self.config.model.grid_size, self.device, max_frames)
        self.models["student_2d"].train()
        if "student_3d" in self.models:
            self.models["student_3d"].train()
        return result

    def emit(self, event: dict) -> None:
        """Hand a written event to every hook's ``on_event``."""
        for hook in self.hooks:
            hook.on_event(event)

    # -- checkpoints ------------------------------------------------------------------------
    def save(self) -> Path:
        self.saved_step = self.step
        if not self.dist.is_main:  # rank 0 holds the same weights and writes them
            return ckpt.checkpoint_dir(self.run_dir, self.step)
        state = {"optim_2d": self.opt_2d.state_dict(), "sched_2d": self.sched_2d.state_dict(),
                 "scaler": self.scaler.state_dict()}
        if self.with_3d:
            state.update(optim_3d=self.opt_3d.state_dict(), sched_3d=self.sched_3d.state_dict())
        return ckpt.save_checkpoint(self.run_dir, self.step, self.models, state)

    def restore(self, path: Path) -> None:
        ckpt.load_weights(path, self.models)
        state = ckpt.load_state(path)
        try:
            self.opt_2d.load_state_dict(state["optim_2d"])
            self.sched_2d.load_state_dict(state["sched_2d"])
            self.scaler.load_state_dict(state["scaler"])
            if self.with_3d:
                self.opt_3d.load_state_dict(state["optim_3d"])
                self.sched_3d.load_state_dict(state["sched_3d"])
            self.step = int(state["step"])
        except (KeyError, ValueError) as exc:
            raise ckpt.CheckpointError(f"{path}: optimiser state does not fit this run ({exc}); "
                                       "the run's config changed incompatibly") from None
        self.events.truncate_after(self.step)


def _num(value: torch.Tensor) -> float:
    return float(value.detach()) + 0.0  # + 0.0: a loss of "nothing labelled" logs 0.0, not -0.0


def _to(batch: Batch, device: torch.device) -> Batch:
    if device.type == "cpu":
        return batch
    for key, value in vars(batch).items():
        if isinstance(value, torch.Tensor):
            setattr(batch, key, value.to(device, non_blocking=True))
    return batch
