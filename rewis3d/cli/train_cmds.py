"""`rewis3d train | eval | predict | export | bench quality`."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from rewis3d.errors import InputError


def _progress_hook(bar):
    """The run's events on a tqdm bar: phase as its description, our ETA (from measured step
    times) beside the loss; called from the progress heartbeat thread too (tqdm locks)."""
    def hook(trainer, event):
        if event["kind"] == "progress":
            bar.set_description(event["phase"] + (f" ({event['detail']})"
                                                  if event.get("detail") else ""))
            if event.get("total_steps"):
                bar.total, bar.n = event["total_steps"], event["step"]
            if "eta_s" in event:
                bar.set_postfix_str(f"eta {_duration(event['eta_s'])}, "
                                    f"{event['step_s']:.2f} s/step")
            bar.refresh()
        elif event["kind"] == "step":
            bar.total = event["total_steps"]
            bar.n = event["step"]
            bar.set_postfix(loss=f"{event['loss']:.3f}", cmc=f"{event.get('cmc_weight_2d', 0):.3f}")
            bar.refresh()
        elif event["kind"] == "eval":
            bar.write(f"step {event['step']}: 2D mIoU {100 * event['miou_2d']:.1f}"
                      + (f", 3D mIoU {100 * event['miou_3d']:.1f}" if "miou_3d" in event else ""))
    return hook


def _stopped_message(stopped, stop, project: Path) -> str:
    """What stopped, where the work is, and the command that continues it (exit 128 + signal,
    the shell's convention, so `train && predict` does not go on)."""
    why = f"{stop.signal_name} received" if stop.signal_name else "stop requested"
    if stopped.checkpoint is None:
        return f"{why}: stopped before the first step; nothing to keep"
    resume = f"rewis3d train {project} --resume {stopped.checkpoint.parents[1].name}"
    return (f"{why}: stopped after step {stopped.step} of {stopped.total_steps}; checkpoint "
            f"{stopped.checkpoint}. Continue exactly from there with: {resume}")


def _list_backbones(ctx: click.Context) -> None:
    from rewis3d.models.backbones3d import BACKBONES, ENTRY_POINT_GROUP

    for name in BACKBONES.names():
        click.echo(f"{name}  ({'built in' if name in BACKBONES.built_in() else 'plugin'})")
    click.echo(f"plugins register in the entry-point group {ENTRY_POINT_GROUP!r}; set "
               "model.model_3d (--set model.model_3d=NAME or a --config YAML), and "
               "model.pretrained_3d for weights")
    ctx.exit(0)


def _duration(seconds: float) -> str:
    minutes, s = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{s:02d}" if minutes >= 60 else f"{minutes}:{s:02d}"


@click.command("train")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--preset", "preset_name", default=None,
              help="cpu-quick | paper-kitti360 | paper-cityscapes | paper-nyuv2 | paper-waymo.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="YAML file of overrides (unknown keys are refused).")
@click.option("--scene", "scenes", multiple=True, help="Train on these scenes (default: all labelled).")
@click.option("--run", default=None, help="Run name (default: preset-kind-timestamp).")
@click.option("--steps", type=int, default=None, help="Total steps (overrides epochs).")
@click.option("--baseline", type=click.Choice(["none", "ema"]), default=None,
              help="ema: the 2D Mean Teacher baseline without the 3D branch.")
@click.option("--sampling", type=click.Choice(["view-aware", "random", "single-view"]),
              default=None, help="random: i.i.d. over the scene (ablation); single-view: the "
                                 "image's own points only (single-frame reconstruction).")
@click.option("--conf", type=click.Choice(["none", "pred", "recon", "dual"]), default=None,
              help="Which confidences weight the cross-modal loss.")
@click.option("--seed", type=int, default=None)
@click.option("--reconstruction", default=None,
              help="The scenes' reconstruction to train the 3D branch on (default: the preset's, "
                   "or the scenes' only one).")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="torch CPU threads (1 is fastest on a loaded 2-core machine; a resume uses "
                   "the run's own).")
@click.option("--allow-download", is_flag=True, help="Let --preset paper-* fetch nvidia/mit-b4.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Set any config field, e.g. --set optim.steps=50 --set data.crop='[64, 96]' "
                   "(values read as YAML; applied last; unknown keys are refused).")
@click.option("--resume", "resume_run", default=None, help="Continue this run exactly.")
@click.option("--list-backbones", is_flag=True, is_eager=True, expose_value=False,
              callback=lambda ctx, _param, value: _list_backbones(ctx) if value else None,
              help="List the 3D backbones model.model_3d can name (built-in and plugins), "
                   "then exit.")
def train(project, preset_name, config_file, scenes, run, steps, baseline, sampling, conf, seed,
          reconstruction, threads, allow_download, settings, resume_run):
    """Train a 2D segmenter from PROJECT's sparse labels (Rewis3d or the EMA baseline)."""
    from tqdm import tqdm

    from rewis3d.config import overrides
    from rewis3d.store import Project
    from rewis3d.train import config as cfg
    from rewis3d.train import distributed
    from rewis3d.train.run import (
        load_run_config,
        run_dir_of,
        run_training,
        use_the_only_reconstruction,
    )
    from rewis3d.train.stopping import StopRequest, TrainingStopped

    main = distributed.init_from_env().is_main  # under torchrun, rank 0 alone reports
    proj = Project.open(project)
    if resume_run:
        given = [f"--{name}" for name, value in (
            ("preset", preset_name), ("config", config_file), ("scene", scenes), ("run", run),
            ("steps", steps), ("baseline", baseline), ("sampling", sampling), ("conf", conf),
            ("seed", seed), ("reconstruction", reconstruction), ("threads", threads),
            ("allow-download", allow_download or None), ("set", settings))
            if value not in (None, ())]
        if given:
            raise InputError(f"--resume continues run {resume_run!r} with its own settings "
                             f"(runs/{resume_run}/config.yaml); drop {', '.join(given)}")
        config = load_run_config(run_dir_of(proj, resume_run))
        run = resume_run
    else:
        if preset_name is None and config_file is None:
            raise InputError(f"give --preset (one of {', '.join(cfg.PRESETS)}) or --config FILE")
        config = cfg.preset(preset_name) if preset_name else None
        if config_file:  # without --preset, the file's own `preset:` key is the base
            config = cfg.load(config_file, base=config)
        flags = {("data", "scenes"): list(scenes) or None, ("optim", "steps"): steps,
                 ("method", "baseline"): baseline, ("data", "sampling"): sampling,
                 ("method", "conf"): conf, ("run", "seed"): seed,
                 ("data", "reconstruction"): reconstruction, ("run", "threads"): threads,
                 ("model", "allow_download"): allow_download or None}
        for (section, key), value in flags.items():
            if value is not None:
                setattr(getattr(config, section), key, value)
        config = cfg.with_overrides(config, list(settings))
        default = cfg.DataConfig().reconstruction  # a name nobody chose: fall back, saying so
        chosen = (reconstruction is not None
                  or "reconstruction" in overrides(settings).get("data", {}))
        if not chosen and config.data.reconstruction == default:
            note = use_the_only_reconstruction(proj, config)  # every rank switches alike
            if note and main:
                click.echo(note, err=True)
    stop = StopRequest()  # SIGTERM (a job's cancel) or Ctrl-C: checkpoint at the next step
    try:
        with stop.installed(), tqdm(total=1, unit="step", dynamic_ncols=True,
                                    disable=not main) as bar:
            result = run_training(proj, config, run=run, resume=bool(resume_run),
                                  hooks=[_progress_hook(bar)], stop=stop)
    except TrainingStopped as stopped:
        if main:
            click.echo(_stopped_message(stopped, stop, proj.path), err=True)
        sys.exit(128 + int(getattr(signal, stop.signal_name or "", signal.SIGTERM)))
    distributed.teardown()
    if not main:
        return
    m = result.metrics
    click.echo(f"run {result.run}: {result.steps} steps in {result.seconds:.0f} s -> {result.run_dir}")
    if m is not None:
        click.echo(f"2D mIoU {100 * m.miou_2d:.1f} on held-out frames")


@click.command("eval")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--run", required=True)
@click.option("--scene", "scenes", multiple=True)
def evaluate_cmd(project, run, scenes):
    """Per-class IoU and mIoU of a run's 2D student, and of its 3D student on the same frames'
    points (a Rewis3d run on scenes with its reconstruction), on the held-out frames with dense
    ground truth."""
    from rewis3d.store import Project
    from rewis3d.train.evaluate import evaluate
    from rewis3d.train.predict import load_student_2d, load_teacher_3d
    from rewis3d.train.run import load_run_config, run_dir_of

    proj = Project.open(project)
    config = load_run_config(run_dir_of(proj, run))
    model, _ = load_student_2d(proj, run)
    model_3d = load_teacher_3d(proj, run, role="student_3d")
    names = list(scenes) or [s for s in proj.scene_names() if proj.scene(s).has_gt]
    d = config.data
    result = evaluate(proj, names, model, model_3d, window=d.eval_window,
                      reconstruction=d.reconstruction, points=d.points,
                      grid_size=config.model.grid_size)

    def cell(iou: float) -> str:
        return "n/a" if iou != iou else f"{100 * iou:5.1f}"

    with_3d = result.iou_3d is not None
    click.echo(f"  {'class':<14} {'2D':>5}" + (f" {'3D':>5}" if with_3d else ""))
    for i, c in enumerate(proj.classes):
        click.echo(f"  {c.name:<14} {cell(result.iou_2d[i]):>5}"
                   + (f" {cell(result.iou_3d[i]):>5}" if with_3d else ""))
    frames = sum(map(len, result.frames.values()))
    click.echo(f"2D mIoU {100 * result.miou_2d:.1f} ({frames} frames)"
               + (f"; 3D mIoU {100 * result.miou_3d:.1f} (the 3D student on those frames' "
                  "points)" if with_3d else "")
               + (f"; {result.note}" if result.note else ""))


@click.command("predict")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--run", required=True)
@click.option("--scene", "scenes", multiple=True)
@click.option("--no-3d", "no_3d", is_flag=True,
              help="Skip the 3D teacher: no 2D/3D disagreement map (faster).")
def predict_cmd(project, run, scenes, no_3d):
    """Write the run's 2D predictions (labels, confidence, entropy and, for a Rewis3d run,
    the 2D/3D teacher disagreement) into predictions/<run>."""
    from rewis3d.train.predict import predict

    done = predict(project, run, list(scenes) or None, with_3d=not no_3d)
    for scene, n in done.items():
        click.echo(f"{scene}: {n} frames -> predictions/{run}")


@click.command("export")
@click.argument("project", type=click.Path(path_type=Path))
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--run", required=True)
@click.option("--overwrite", is_flag=True)
def export_cmd(project, out_dir, run, overwrite):
    """Save the run's 2D model as a transformers directory (SegformerForSemanticSegmentation)."""
    from rewis3d.train.export import export_run

    out = export_run(project, run, out_dir, overwrite)
    click.echo(f"exported to {out}; load with "
               f"SegformerForSemanticSegmentation.from_pretrained('{out}')")


@click.group("bench")
def bench() -> None:
    """Benchmarks that print tables."""


@bench.command("quality")
@click.option("--root", type=click.Path(path_type=Path), default=Path("bench-quality"),
              show_default=True, help="Folder for the benchmark projects and its report.")
@click.option("--steps", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--seeds", default="0,1,2,3,4", show_default=True,
              help="Repetitions: each seed draws its own scenes, labels and training seed.")
@click.option("--scenes", default="street,room", show_default=True)
@click.option("--labels", default="points,scribbles", show_default=True,
              help="Comma list of points, scribbles, coarse.")
@click.option("--variants", default=None, help="Comma list (default: all).")
@click.option("--points", type=click.IntRange(min=1), default=None,
              help="3D points per sample (default: preset).")
@click.option("--frames", type=click.IntRange(min=2), default=12, show_default=True,
              help="Frames per clip (training and unseen).")
@click.option("--eval-every", type=click.IntRange(min=0), default=50, show_default=True,
              help="Same-clip evaluation during training (the learning curves; 0: at the end).")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--train-clips", type=click.IntRange(min=1), default=1, show_default=True,
              help="Labelled training clips per repetition (other layouts of the family); "
                   "both branches train on all of them, same clip scores their unlabelled "
                   "frames.")
@click.option("--more-unseen", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also score every run on K more unseen layouts of its family (streets, "
                   "rooms) per repetition (built once in ROOT, cached per run; evaluation only, "
                   "also with --report-only); the unseen column becomes the mean over 1 + K.")
@click.option("--report-only", is_flag=True,
              help="Train nothing: report the valid results already in ROOT (others skipped).")
@click.option("--eval-3d-teacher", is_flag=True,
              help="Also score the 3D teacher per class at every evaluation; writes "
                   "transfer-SCENE-LABELS[-Nclips].png (3D teacher vs 2D student IoU over training).")
def bench_quality(root, steps, seeds, scenes, labels, variants, points, frames, eval_every,
                  threads, train_clips, more_unseen, report_only, eval_3d_teacher):
    """EMA baseline vs Rewis3d vs ablations on synthetic scenes: same-clip and unseen-clip 2D
    mIoU, mean +- std over repetitions and the paired difference to EMA (ablations: also to
    Rewis3d) with a 95 % interval. Writes ROOT/quality.md, quality.csv, quality.png and
    curves.png."""
    from rewis3d.annotations import SIMULATORS
    from rewis3d.bench.quality import VARIANTS, QualitySetting, run_quality
    from rewis3d.bench.quality_report import quality_table, write_csv, write_plots
    from rewis3d.synthetic import FAMILIES

    chosen = _choices(variants, VARIANTS, "variants") if variants else tuple(VARIANTS)
    kinds = _choices(scenes, FAMILIES, "scenes")
    label_kinds = _choices(labels, SIMULATORS, "labels")
    try:
        seed_list = tuple(int(s) for s in seeds.split(","))
    except ValueError:
        raise InputError(f"--seeds: expected comma-separated integers, got {seeds!r}") from None
    settings = [QualitySetting(kind, lab, frames=frames, steps=steps, points=points,
                               eval_every=eval_every, threads=threads,
                               eval_3d_teacher=eval_3d_teacher, train_clips=train_clips,
                               more_unseen=more_unseen)
                for kind in kinds for lab in label_kinds]
    root.mkdir(parents=True, exist_ok=True)
    results = run_quality(root, settings, chosen, seed_list, report=click.echo,
                          train=not report_only)
    if not any(results.values()):
        raise InputError(f"{root}: no results to report for these settings")
    table = quality_table(results)
    (root / "quality.md").write_text(table + "\n")
    write_csv(results, root / "quality.csv")
    plots = write_plots(results, root)
    click.echo(table)
    click.echo(f"wrote {root / 'quality.md'}, {root / 'quality.csv'}, "
               + ", ".join(str(p) for p in plots))


def _choices(text: str, known, what: str) -> tuple[str, ...]:
    chosen = tuple(t for t in text.split(",") if t)
    unknown = [t for t in chosen if t not in known]
    if unknown or not chosen:
        raise InputError(f"--{what}: unknown {unknown or text!r}; available: {', '.join(known)}")
    return chosen


COMMANDS = [train, evaluate_cmd, predict_cmd, export_cmd, bench]
