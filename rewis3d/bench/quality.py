"""The quality benchmark (and the demo's comparison): does 3D make a few labels go further?

One *repetition* per seed: a synthetic project with clips of one scene family, ``train``
(labelled on every k-th frame; with ``train_clips`` > 1 also ``train2``, ``train3``, ...: other
layouts of the family, labelled alike) and ``unseen`` (a different layout, never trained on, not
even its points), all drawn from that seed, as are the labels and the training seed. Every
variant trains on the training clips only (2D and 3D) and is evaluated twice: *same clip* (their
unlabelled frames: what a person labelling a video gets) and *unseen clip* (every frame of
``unseen``: what the exported 2D model gets, the paper's protocol). Within a repetition all
variants share the labels, the steps and the 2D model, so differences are paired.

One 12-frame street is a noisy judge of generalisation: with ``more_unseen`` = K every run is
also scored on K more unseen layouts (a side project per repetition, shared by label kinds and
variants; scores cached next to the run) and the unseen evaluation is the mean over the 1 + K.

A repetition's project is named by its recipe and carries it (``bench-recipe.json``); a run is
reused only when its result was written by the same ``TRAINING_VERSION`` from the same config
(fields that change nothing learnt aside), so a changed argument never reuses stale work.
"""

from __future__ import annotations

import copy
import json
import shutil
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import rewis3d.train.config as cfg
from rewis3d.errors import InputError
from rewis3d.registry import Registry
from rewis3d.store import Project
from rewis3d.store.atomic import write_json_atomic
from rewis3d.train.run import CONFIG_FILE, RunResult, load_run_config, run_training

RECIPE_FILE = "bench-recipe.json"
RESULT_FILE = "quality.json"
RECIPE_VERSION = 2  # bump when the way a repetition is built changes
# Bump whenever a change to the code alters what a run learns (trainer, losses, data, models,
# sampling): results of another version are not reused. 1 = the released-code fidelity fixes.
TRAINING_VERSION = 1
TRAIN_SCENE, UNSEEN_SCENE = "train", "unseen"
UNSEEN_SEED_OFFSET = 10_000
EXTRA_CLIP_SEED_OFFSET = 20_000  # training clip i >= 2 of repetition s is drawn from s + this + i
MORE_UNSEEN_SEED_STEP = 1_000  # extra unseen street k of repetition s: s + 10_000 + k * this
MAX_MORE_UNSEEN = 9  # (k <= 9 keeps them clear of the training clips' seeds)
MORE_UNSEEN_FILE = "unseen-more.json"  # a run's scores on the extra streets, by scene seed


def _set(section: str, key: str, value) -> Callable[[cfg.TrainConfig], None]:
    return lambda c: setattr(getattr(c, section), key, value)


VARIANTS: Registry[Callable[[cfg.TrainConfig], None]] = Registry("quality variant")
VARIANTS.register("ema", _set("method", "baseline", "ema"))  # the paper's EMA baseline (2D MT)
VARIANTS.register("rewis3d", lambda c: None)  # view-aware, dual confidence, simulated recon
VARIANTS.register("random-sampling", _set("data", "sampling", "random"))  # i.i.d. uniform
VARIANTS.register("single-frame", _set("data", "sampling", "single-view"))  # own points only
VARIANTS.register("conf-none", _set("method", "conf", "none"))
VARIANTS.register("conf-pred", _set("method", "conf", "pred"))
VARIANTS.register("conf-recon", _set("method", "conf", "recon"))
VARIANTS.register("exact-depth", _set("data", "reconstruction", "sensor-depth"))  # conf 1


def variant_config(base: cfg.TrainConfig, variant: str, seed: int, steps: int | None,
                   points: int | None = None) -> cfg.TrainConfig:
    config = copy.deepcopy(base)
    if points is not None:
        config.data.points = points
    VARIANTS[variant](config)
    config.run.seed = seed
    config.run.log_every = 25
    if steps is not None:
        config.optim.steps = steps
    return config


@dataclass(frozen=True)
class QualitySetting:
    """What one benchmark cell trains: scene family, label kind, clip size, budget."""

    kind: str = "street"
    labels: str = "scribbles"
    frames: int = 12
    size: tuple[int, int] = (160, 120)  # (W, H)
    label_every: int = 3
    steps: int = 300
    points: int | None = None
    preset: str = "cpu-quick"
    eval_every: int = 50  # held-out (same clip) mIoU during training: the learning curves
    threads: int | None = 1
    eval_3d_teacher: bool = False  # also score the 3D teacher per class at every evaluation
    train_clips: int = 1  # labelled training clips (streets) per repetition
    more_unseen: int = 0  # extra unseen streets every run is scored on (not part of the recipe)

    def __post_init__(self) -> None:
        if not 0 <= self.more_unseen <= MAX_MORE_UNSEEN:
            raise InputError(f"more_unseen: expected 0 to {MAX_MORE_UNSEEN} extra unseen "
                             f"streets, got {self.more_unseen}")
        if self.train_clips < 1:
            raise InputError(f"train_clips: expected at least 1, got {self.train_clips}")

    def train_scenes(self) -> list[str]:
        return [TRAIN_SCENE] + [f"{TRAIN_SCENE}{i}" for i in range(2, self.train_clips + 1)]

    def train_config(self, variant: str, seed: int) -> cfg.TrainConfig:
        """What ``variant`` of repetition ``seed`` trains: the preset with the variant's switch,
        this setting's budget, and the training clips only."""
        config = variant_config(cfg.preset(self.preset), variant, seed, self.steps, self.points)
        config.data.scenes = self.train_scenes()
        config.run.eval_every = self.eval_every
        config.run.threads = self.threads
        config.run.eval_3d_teacher = self.eval_3d_teacher
        return config

    @property
    def tag(self) -> str:
        """Scene family, labels and (when > 1) the clip count: names the setting's files."""
        clips = f"-{self.train_clips}clips" if self.train_clips > 1 else ""
        return f"{self.kind}-{self.labels}{clips}"

    @property
    def layouts(self) -> str:
        """What the family's clips show, for messages: "streets", "rooms"."""
        return f"{self.kind}s"

    @property
    def label_name(self) -> str:
        """The labels column of the report: the label kind, and the clip count when > 1."""
        extra = f", {self.train_clips} clips" if self.train_clips > 1 else ""
        return self.labels + extra

    def recipe(self, seed: int) -> dict:
        """What the repetition's project is made of (not how it is trained)."""
        recipe = {"version": RECIPE_VERSION, "kind": self.kind, "labels": self.labels,
                  "frames": self.frames, "size": list(self.size),
                  "label_every": self.label_every, "scene_seed": seed,
                  "unseen_seed": seed + UNSEEN_SEED_OFFSET, "label_seed": seed}
        if self.train_clips > 1:  # one clip: the recipe (and the reuse of old projects) as before
            recipe["extra_clip_seeds"] = [seed + EXTRA_CLIP_SEED_OFFSET + i
                                          for i in range(2, self.train_clips + 1)]
        return recipe

    def project_name(self, seed: int) -> str:
        w, h = self.size
        return f"{self.tag}-{self.frames}f-{w}x{h}-every{self.label_every}-seed{seed}"

    def run_name(self, variant: str) -> str:
        return f"{variant}-{self.steps}steps-{self.points or 'preset'}pts"


@dataclass
class VariantResult:
    """One variant of one repetition."""

    variant: str
    seed: int
    same_clip: float
    unseen_clip: float
    iou_same: list[float] = field(default_factory=list)
    iou_unseen: list[float] = field(default_factory=list)
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, same-clip mIoU)
    seconds: float = 0.0
    # (step, 2D student IoU per class, 3D teacher IoU per class), with eval_3d_teacher
    transfer: list[tuple[int, dict, dict]] = field(default_factory=list)
    training_version: int = TRAINING_VERSION
    unseen_more: list[float] = field(default_factory=list)  # mIoU on each extra unseen street

    @classmethod
    def from_json(cls, text: str) -> VariantResult:
        data = json.loads(text)
        data["curve"] = [tuple(point) for point in data["curve"]]
        data["transfer"] = [tuple(point) for point in data.get("transfer", [])]
        data.setdefault("training_version", 1)  # written before the field existed: version 1
        return cls(**data)

    @property
    def unseen(self) -> float:
        """The unseen evaluation: mean mIoU over the repetition's unseen clip and any extra
        unseen streets it was scored on (each street weighs the same)."""
        return statistics.fmean([self.unseen_clip, *self.unseen_more])


def build_repetition(root: Path, setting: QualitySetting, seed: int,
                     report: Callable[[str], None] = print) -> Project:
    """The repetition's project, built when missing or when its recipe differs."""
    from rewis3d.annotations import FrameSelection, simulate_scene_labels
    from rewis3d.synthetic import SceneConfig, sample_into_project

    path = Path(root) / setting.project_name(seed)
    recipe = setting.recipe(seed)
    saved = path / RECIPE_FILE
    if saved.is_file() and json.loads(saved.read_text()) == recipe:
        return Project.open(path)
    if path.exists():
        report(f"{path.name}: made by another recipe or unfinished; rebuilding")
        shutil.rmtree(path)
    w, h = setting.size
    clip_seeds = [seed, *recipe.get("extra_clip_seeds", [])]
    for scene, scene_seed in zip(setting.train_scenes(), clip_seeds, strict=True):
        sample_into_project(path, SceneConfig(setting.kind, setting.frames, w, h, scene_seed),
                            scene=scene)
    sample_into_project(path, SceneConfig(setting.kind, setting.frames, w, h,
                                          seed + UNSEEN_SEED_OFFSET), scene=UNSEEN_SCENE)
    project = Project.open(path)
    for scene, scene_seed in zip(setting.train_scenes(), clip_seeds, strict=True):
        simulate_scene_labels(project, scene, setting.labels,
                              FrameSelection(every=setting.label_every), seed=scene_seed)
    saved.write_text(json.dumps(recipe, indent=1))
    return project


def train_variant(project: Project, setting: QualitySetting, variant: str, seed: int,
                  report: Callable[[str], None] = print) -> VariantResult:
    """Train (or reuse) one variant on the repetition's training clip; both evaluations."""
    from rewis3d.train.evaluate import evaluate
    from rewis3d.train.events import read_events
    from rewis3d.train.predict import load_student_2d

    config = setting.train_config(variant, seed)
    if config.data.reconstruction == "sensor-depth":
        _ensure_sensor_depth(project, setting.train_scenes())
    run = setting.run_name(variant)
    run_dir = project.runs_dir / run
    reused = _reusable(run_dir, config, setting)
    if reused is not None:
        return reused
    if run_dir.exists():  # another config or version, or interrupted: start it again
        shutil.rmtree(run_dir)
    result: RunResult = run_training(project, config, run=run)
    model, _ = load_student_2d(project, run)
    unseen = evaluate(project, [UNSEEN_SCENE], model, window=config.data.eval_window)
    evals = read_events(run_dir, "eval")
    curve = [(e["step"], e["miou_2d"]) for e in evals]
    transfer = [(e["step"], e["iou_2d"], e["iou_3d_teacher"]) for e in evals
                if "iou_3d_teacher" in e]
    out = VariantResult(variant, seed, result.metrics.miou_2d, unseen.miou_2d,
                        result.metrics.iou_2d, unseen.iou_2d, curve, result.seconds, transfer)
    write_json_atomic(run_dir / RESULT_FILE, asdict(out))
    report(f"{project.path.name}/{variant}: same clip {100 * out.same_clip:.1f}, unseen clip "
           f"{100 * out.unseen_clip:.1f} ({result.seconds:.0f} s)")
    return out


# Config fields that change nothing a run learns (besides float rounding for threads).
NOT_LEARNT = {"log_every", "eval_every", "checkpoint_every", "device", "eval_3d_teacher",
              "threads"}


def _learnt(config: dict) -> dict:
    return {**config, "run": {k: v for k, v in config["run"].items() if k not in NOT_LEARNT}}


def _reusable(run_dir: Path, config: cfg.TrainConfig, setting: QualitySetting
              ) -> VariantResult | None:
    """The stored result of ``run_dir`` when it answers ``config`` (same learning config, same
    training version, a learning curve / 3D-teacher scores when the setting asks for them)."""
    done, saved = run_dir / RESULT_FILE, run_dir / CONFIG_FILE
    if not (done.is_file() and saved.is_file()):
        return None
    try:
        saved_config = cfg.load(saved, base=cfg.TrainConfig()).to_dict()
        result = VariantResult.from_json(done.read_text())
    except (InputError, ValueError, TypeError, KeyError):  # written by another version
        return None
    if (result.training_version != TRAINING_VERSION
            or _learnt(saved_config) != _learnt(config.to_dict())
            or (setting.eval_every and len(result.curve) < 2)
            or (setting.eval_3d_teacher and not result.transfer)):
        return None
    return result


def _ensure_sensor_depth(project: Project, scenes: list[str]) -> None:
    """The exact-depth variant's reconstruction: the training clips' rendered depth, conf 1."""
    from rewis3d.reconstruct import reconstruct_scene

    for name in scenes:
        scene = project.scene(name)
        if "sensor-depth" not in scene.reconstruction_names():
            reconstruct_scene(scene, "sensor-depth")


def run_quality(root: Path, settings: list[QualitySetting], variants: tuple[str, ...],
                seeds: tuple[int, ...], report: Callable[[str], None] = print,
                train: bool = True) -> dict[QualitySetting, list[VariantResult]]:
    """Every (setting, seed, variant); repetitions are built once and reused while valid.
    ``train=False`` collects the valid stored results only (the report of what exists)."""
    out: dict[QualitySetting, list[VariantResult]] = {}
    for setting in settings:
        results = out.setdefault(setting, [])
        for seed in seeds:
            if not train:
                results += stored_results(root, setting, variants, seed, report)
                continue
            project = build_repetition(root, setting, seed, report)
            results += [train_variant(project, setting, v, seed, report) for v in variants]
        if setting.more_unseen:
            results[:] = [score_more_unseen(root, setting, r, report) for r in results]
    return out


def more_unseen_project(root: Path, setting: QualitySetting, seed: int) -> Project:
    """Repetition ``seed``'s extra unseen streets ``u1`` ... ``uK`` (K = ``more_unseen``), built
    once (a street is recorded in the side project's recipe after it is complete)."""
    from rewis3d.synthetic import SceneConfig, sample_into_project

    w, h = setting.size
    path = Path(root) / f"{setting.kind}-{setting.frames}f-{w}x{h}-unseen-seed{seed}"
    recipe_path = path / RECIPE_FILE
    recipe = json.loads(recipe_path.read_text()) if recipe_path.is_file() else {}
    for k in range(1, setting.more_unseen + 1):
        name, scene_seed = f"u{k}", unseen_street_seed(seed, k)
        if recipe.get(name) == scene_seed:
            continue
        sample_into_project(path, SceneConfig(setting.kind, setting.frames, w, h, scene_seed),
                            scene=name, overwrite=True)
        recipe[name] = scene_seed
        write_json_atomic(recipe_path, recipe)
    return Project.open(path)


def unseen_street_seed(seed: int, k: int) -> int:
    return seed + UNSEEN_SEED_OFFSET + k * MORE_UNSEEN_SEED_STEP


def score_more_unseen(root: Path, setting: QualitySetting, result: VariantResult,
                      report: Callable[[str], None] = print) -> VariantResult:
    """``result`` with its run's mIoU on the repetition's extra unseen streets (cached in the
    run folder by scene seed, so a larger K scores only the new streets)."""
    from rewis3d.train.evaluate import evaluate
    from rewis3d.train.predict import load_student_2d

    project = Project.open(Path(root) / setting.project_name(result.seed))
    run = setting.run_name(result.variant)
    cache_path = project.runs_dir / run / MORE_UNSEEN_FILE
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() else {}
    seeds = [unseen_street_seed(result.seed, k) for k in range(1, setting.more_unseen + 1)]
    if any(str(s) not in cache for s in seeds):
        streets = more_unseen_project(root, setting, result.seed)
        model, _ = load_student_2d(project, run)
        window = load_run_config(project.runs_dir / run).data.eval_window
        for k, scene_seed in enumerate(seeds, 1):
            if str(scene_seed) not in cache:
                cache[str(scene_seed)] = evaluate(streets, [f"u{k}"], model,
                                                  window=window).miou_2d
        write_json_atomic(cache_path, cache)
        report(f"{project.path.name}/{result.variant}: scored on {len(seeds)} more unseen "
               f"{setting.layouts}")
    return replace(result, unseen_more=[cache[str(s)] for s in seeds])


def stored_results(root: Path, setting: QualitySetting, variants: tuple[str, ...], seed: int,
                   report: Callable[[str], None] = print) -> list[VariantResult]:
    """The valid results of one repetition, without training anything."""
    path = Path(root) / setting.project_name(seed)
    saved = path / RECIPE_FILE
    if not saved.is_file() or json.loads(saved.read_text()) != setting.recipe(seed):
        report(f"{path.name}: no valid repetition; skipped")
        return []
    found = []
    for variant in variants:
        config = setting.train_config(variant, seed)
        result = _reusable(path / "runs" / setting.run_name(variant), config, setting)
        if result is None:
            report(f"{path.name}/{variant}: no valid result; skipped")
        else:
            found.append(result)
    return found
