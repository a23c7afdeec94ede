"""Runs: a folder ``runs/<run>/`` with the resolved config.yaml, events.jsonl and checkpoints;
``run_training`` is the one call the CLI, the GUI's job runner and the demo use."""

from __future__ import annotations

import contextlib
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import rewis3d.train.config as cfg
import rewis3d.train.distributed as distributed
from rewis3d.errors import CheckpointError, InputError
from rewis3d.store import Project
from rewis3d.store.locking import Busy, claim
from rewis3d.store.scene import check_name
from rewis3d.train.checkpoint import latest_checkpoint
from rewis3d.train.evaluate import EvalResult
from rewis3d.train.stopping import StopRequest

CONFIG_FILE = "config.yaml"
# Fields that may differ when resuming: they change what is logged, not what is learnt.
RESUME_FREE = {("run", "log_every"), ("run", "eval_every"), ("run", "checkpoint_every"),
               ("run", "device"), ("run", "eval_3d_teacher")}


@dataclass
class RunResult:
    run: str
    run_dir: Path
    steps: int
    seconds: float
    metrics: EvalResult | None


def default_run_name(config: cfg.TrainConfig) -> str:
    kind = "ema" if config.method.baseline == "ema" else "rewis3d"
    return f"{config.preset}-{kind}-{time.strftime('%Y%m%d-%H%M%S')}"


def load_run_config(run_dir: Path) -> cfg.TrainConfig:
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise InputError(f"run {run_dir.name!r} has no {CONFIG_FILE} ({path}); it is not a "
                         "training run of this project")
    return cfg.load(path, base=cfg.TrainConfig())


def run_dir_of(project: Project, run: str) -> Path:
    path = project.runs_dir / check_name(run, "run")
    if not path.is_dir():
        have = ", ".join(project.run_names()) or "none"
        raise InputError(f"project {project.path} has no run {run!r} (runs: {have})")
    return path


def use_the_only_reconstruction(project: Project, config: cfg.TrainConfig) -> str | None:
    """When no training scene has the configured (default) reconstruction but all have the
    same single other one (an imported RGB-D scene has only ``sensor-depth``), switch the config
    to it and return a note saying so; the run's config.yaml records the choice."""
    if config.method.baseline == "ema":
        return None
    names = config.data.scenes or project.scene_names()
    have = [set(project.scene(n).reconstruction_names()) for n in names]
    if not have or any(config.data.reconstruction in h for h in have):
        return None
    found = set().union(*have)
    if len(found) != 1 or not all(have):
        return None
    (only,) = found
    note = (f"no reconstruction {config.data.reconstruction!r}; training on the scenes' only "
            f"one, {only!r} (choose with --reconstruction NAME)")
    config.data.reconstruction = only
    return note


def _check_new_run(run_dir: Path, run: str, project: Project) -> None:
    """A folder with a checkpoint is a run to resume; one without (a start that failed or was
    stopped before its first checkpoint; nobody trains it, the caller holds its claim) is
    cleared, so ``--run NAME`` starts it again instead of refusing both ways."""
    if not run_dir.exists():
        return
    leftovers = [p for p in run_dir.iterdir() if p.name not in _job_files()]
    if not leftovers:
        return
    try:
        latest_checkpoint(run_dir)
    except CheckpointError:
        warnings.warn(f"run {run!r} never reached a checkpoint (an earlier start failed or was "
                      f"stopped); starting it again in {run_dir}", stacklevel=3)
        for path in leftovers:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        return
    raise InputError(f"run {run!r} exists in {project.runs_dir}; continue it with "
                     f"--resume {run} or pick another name (--run NAME)")


def check_resumable(saved: cfg.TrainConfig, new: cfg.TrainConfig, run: str) -> None:
    a, b = _flat(saved.to_dict()), _flat(new.to_dict())
    changed = sorted(".".join(k) for k in a.keys() | b.keys()
                     if k not in RESUME_FREE and a.get(k) != b.get(k))
    if changed:
        raise InputError(f"cannot resume run {run!r}: its config changed in {', '.join(changed)}; "
                         "resume with the run's own settings or start a new run (--run NEW)")


def _job_files() -> tuple[str, ...]:
    """A background job's own files (rewis3d.jobs) may precede the run's; they don't count."""
    from rewis3d.store.schema import JOB_FILES

    return JOB_FILES


def _flat(d: dict, prefix=()) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, (*prefix, k)))
        else:
            out[(*prefix, k)] = v
    return out


def run_training(project: Project | str | Path, config: cfg.TrainConfig, run: str | None = None,
                 resume: bool = False, hooks=None, until: int | None = None,
                 stop: StopRequest | None = None) -> RunResult:
    """Train ``config`` into ``runs/<run>``; with ``resume``, continue that run exactly.

    ``until`` stops early at that step (after a checkpoint), e.g. to test resuming; ``stop``
    (set by a signal or another thread) ends it at the next step boundary with a checkpoint
    and :class:`~rewis3d.train.stopping.TrainingStopped`.
    Under ``torchrun`` every rank calls this; rank 0 alone writes the run's files.
    """
    cfg.check(config)  # CLI flags and library callers set fields after loading
    ctx = distributed.init_from_env()
    project = project if isinstance(project, Project) else Project.open(project)
    run = run or default_run_name(config)
    run_dir = project.runs_dir / check_name(run, "run")
    # One process trains a run at a time (rank 0 speaks for a DDP job): a file lock beside the
    # run folder, held until the training ends; the kernel drops it if the process dies.
    if ctx.is_main:
        project.runs_dir.mkdir(exist_ok=True)  # the claim's lock file lives there
    holding = claim(run_dir) if ctx.is_main else contextlib.nullcontext()
    try:
        with holding:
            return _train_claimed(project, config, run, run_dir, ctx, resume, hooks, until, stop)
    except Busy:
        raise InputError(f"run {run!r} is being trained by another process right now; wait for "
                         "it to end (or cancel it), or pick another name (--run NAME)") from None


def _train_claimed(project: Project, config: cfg.TrainConfig, run: str, run_dir: Path, ctx,
                   resume: bool, hooks, until: int | None, stop) -> RunResult:
    from rewis3d.train.trainer import Trainer

    if resume:
        run_dir = run_dir_of(project, run)
        check_resumable(load_run_config(run_dir), config, run)
    elif ctx.is_main:
        _check_new_run(run_dir, run, project)
    distributed.barrier(ctx)  # every rank has checked the folder before rank 0 writes to it
    created = ctx.is_main and not run_dir.exists()
    if ctx.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
    if config.run.threads:
        import torch

        torch.set_num_threads(config.run.threads)
    try:
        trainer = Trainer(project, config, run_dir, hooks, stop)
    except BaseException:
        if created:  # a run that never started (only its progress events) leaves no folder
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    if resume:
        trainer.restore(latest_checkpoint(run_dir))
    elif ctx.is_main:
        config.save(run_dir / CONFIG_FILE)
    t0 = time.perf_counter()
    metrics = trainer.fit(until)
    return RunResult(run, run_dir, trainer.step, time.perf_counter() - t0, metrics)
