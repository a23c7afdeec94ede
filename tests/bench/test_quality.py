"""The quality benchmark's protocol: repetitions, two evaluations, reuse only when valid, and
the paired statistics."""

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rewis3d.bench import quality
from rewis3d.bench.quality import (
    RECIPE_FILE,
    TRAIN_SCENE,
    UNSEEN_SCENE,
    QualitySetting,
    run_quality,
)
from rewis3d.bench.quality_report import paired_difference, quality_table, write_csv
from rewis3d.store import Project

TINY = QualitySetting("street", "scribbles", frames=4, size=(48, 36), label_every=2, steps=2,
                      points=256, eval_every=1)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("bq")
    results = run_quality(root, [TINY], ("ema", "rewis3d"), (0, 1), report=lambda s: None)
    return root, results


def test_a_repetition_has_a_labelled_training_clip_and_an_unseen_clip(bench):
    root, _ = bench
    a, b = (Project.open(root / TINY.project_name(s)) for s in (0, 1))
    for project in (a, b):
        assert set(project.scene_names()) == {TRAIN_SCENE, UNSEEN_SCENE}
        assert project.scene(TRAIN_SCENE).annotations.labelled_frames() == [0, 2]
        assert project.scene(UNSEEN_SCENE).annotations.labelled_frames() == []
        run_config = (project.runs_dir / TINY.run_name("rewis3d") / "config.yaml").read_text()
        assert "scenes:\n  - train\n" in run_config  # 2D and 3D train on the training clip only
    # the unseen clip is another layout, and every seed draws its own scenes and labels
    assert not np.array_equal(a.scene(TRAIN_SCENE).rgb[0], a.scene(UNSEEN_SCENE).rgb[0])
    assert not np.array_equal(a.scene(TRAIN_SCENE).rgb[0], b.scene(TRAIN_SCENE).rgb[0])
    assert not np.array_equal(a.scene(TRAIN_SCENE).annotations.frame(0),
                              b.scene(TRAIN_SCENE).annotations.frame(0))
    recipe = json.loads((root / TINY.project_name(1) / RECIPE_FILE).read_text())
    assert recipe["scene_seed"] == recipe["label_seed"] == 1


def test_both_evaluations_and_the_curve_are_recorded(bench):
    _, results = bench
    rows = results[TINY]
    assert [(r.variant, r.seed) for r in rows] == [("ema", 0), ("rewis3d", 0), ("ema", 1),
                                                   ("rewis3d", 1)]
    for r in rows:
        assert 0 < r.same_clip <= 1 and 0 < r.unseen_clip <= 1
        assert [s for s, _ in r.curve] == [1, 2] and r.curve[-1][1] == pytest.approx(r.same_clip)
    assert len({r.unseen_clip for r in rows}) > 1


def test_valid_work_is_reused_and_a_changed_argument_is_not(bench, monkeypatch):
    root, results = bench

    def no_training(*args, **kwargs):
        raise AssertionError("a valid run was trained again")

    monkeypatch.setattr(quality, "run_training", no_training)
    again = run_quality(root, [TINY], ("ema",), (0,), report=lambda s: None)
    assert again[TINY][0] == results[TINY][0]

    # threads and evaluation settings change nothing learnt: reused
    other_threads = QualitySetting(**{**TINY.__dict__, "threads": 2, "eval_every": 2})
    assert run_quality(root, [other_threads], ("ema",), (0,), report=lambda s: None)[
        other_threads][0].same_clip == results[TINY][0].same_clip

    trained = []
    monkeypatch.setattr(quality, "run_training", lambda *a, **k: trained.append(k["run"])
                        or (_ for _ in ()).throw(RuntimeError("stop")))
    scored = QualitySetting(**{**TINY.__dict__, "eval_3d_teacher": True})  # same run name
    with pytest.raises(RuntimeError, match="stop"):  # its runs lack the 3D-teacher scores
        run_quality(root, [scored], ("rewis3d",), (0,), report=lambda s: None)
    monkeypatch.setattr(quality, "TRAINING_VERSION", quality.TRAINING_VERSION + 1)
    with pytest.raises(RuntimeError, match="stop"):  # trained by another training version
        run_quality(root, [TINY], ("ema",), (0,), report=lambda s: None)
    assert trained == [TINY.run_name("rewis3d"), TINY.run_name("ema")]

    # a changed scene argument makes another project; a tampered recipe is rebuilt
    more_frames = QualitySetting(**{**TINY.__dict__, "frames": 5})
    assert more_frames.project_name(0) != TINY.project_name(0)
    recipe = root / TINY.project_name(1) / RECIPE_FILE
    recipe.write_text(recipe.read_text().replace('"version": 2', '"version": 1'))
    notes = []
    quality.build_repetition(root, TINY, 1, report=notes.append)
    assert notes and "rebuilding" in notes[0]
    assert Project.open(root / TINY.project_name(1)).run_names() == []


def test_paired_difference_is_a_t_interval_over_repetitions():
    base, variant = [40.0, 42.0, 44.0, 41.0, 43.0], [43.0, 44.0, 47.0, 42.0, 47.0]
    d = [3.0, 2.0, 3.0, 1.0, 4.0]
    p = paired_difference(base, variant)
    sd = math.sqrt(sum((x - 2.6) ** 2 for x in d) / 4)
    half = 2.7764451051977987 * sd / math.sqrt(5)  # t(0.975, 4)
    assert p.mean == pytest.approx(2.6) and p.n == 5
    assert (p.low, p.high) == pytest.approx((2.6 - half, 2.6 + half))
    assert "no interval" in paired_difference([1.0], [2.0]).text()


def test_table_and_csv(bench, tmp_path):
    _, results = bench
    table = quality_table(results)
    assert "same clip vs EMA [95 % CI]" in table and "unseen clip mIoU" in table
    assert "| street | scribbles | rewis3d | 2 |" in table
    with open(write_csv(results, tmp_path / "q.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and {r["variant"] for r in rows} == {"ema", "rewis3d"}
    for r in rows:  # one unseen clip scored: its mean is that clip's score
        assert r["unseen_clips"] == "1" and r["unseen_mean"] == r["unseen_clip"]


def test_transfer_plot_only_with_scored_teachers(tmp_path):
    from PIL import Image

    from rewis3d.bench.quality import VariantResult
    from rewis3d.bench.quality_report import write_transfer_plot

    plain = [VariantResult("rewis3d", 0, 0.4, 0.3)]
    assert write_transfer_plot(plain, TINY, tmp_path / "none.png") is None
    scored = [VariantResult("rewis3d", s, 0.4, 0.3, transfer=[
        (10, {"road": 0.5, "sky": None}, {"road": 0.7, "sky": float("nan")}),
        (20, {"road": 0.6, "sky": 0.9}, {"road": 0.8, "sky": None})]) for s in (0, 1)]
    path = write_transfer_plot(scored, TINY, tmp_path / "t.png")
    assert Image.open(path).size[0] > 400


def test_plots_and_table_with_a_setting_that_has_no_results(tmp_path):
    """--report-only over two label kinds where one has nothing stored yet still reports."""
    from PIL import Image

    from rewis3d.bench.quality import VariantResult
    from rewis3d.bench.quality_report import write_plots

    other = QualitySetting("street", "points", frames=TINY.frames, steps=TINY.steps)
    rows = [VariantResult(v, 0, 0.4, 0.3, unseen_more=[0.2, 0.25]) for v in ("ema", "rewis3d")]
    results = {TINY: rows, other: []}
    assert "| street | scribbles | rewis3d | 1 |" in quality_table(results)
    paths = write_plots(results, tmp_path)
    assert [p.name for p in paths] == ["quality.png", "curves.png"]
    assert all(Image.open(p).size[1] > 300 for p in paths)


def test_report_only_collects_what_exists_and_trains_nothing(tmp_path, monkeypatch):
    root = tmp_path / "bq"
    run_quality(root, [TINY], ("ema",), (0,), report=lambda s: None)

    def no_training(*args, **kwargs):
        raise AssertionError("report-only trained")

    monkeypatch.setattr(quality, "run_training", no_training)
    notes = []
    found = run_quality(root, [TINY], ("ema", "rewis3d"), (0, 1), report=notes.append,
                        train=False)
    assert [(r.variant, r.seed) for r in found[TINY]] == [("ema", 0)]
    assert any("rewis3d: no valid result" in n for n in notes)
    assert any("seed1: no valid repetition" in n for n in notes)
    assert not (root / TINY.project_name(1)).exists()


def test_more_training_clips_are_other_layouts_labelled_alike_and_all_trained_on(tmp_path):
    three = QualitySetting(**{**TINY.__dict__, "train_clips": 3})
    assert three.project_name(0) != TINY.project_name(0)  # one clip keeps its old name
    assert "extra_clip_seeds" not in TINY.recipe(0) and three.label_name == "scribbles, 3 clips"
    results = run_quality(tmp_path, [three], ("rewis3d",), (0,), report=lambda s: None)
    project = Project.open(tmp_path / three.project_name(0))
    scenes = three.train_scenes()
    assert scenes == [TRAIN_SCENE, "train2", "train3"]
    assert set(project.scene_names()) == {*scenes, UNSEEN_SCENE}
    rgb = [project.scene(s).rgb[0] for s in (*scenes, UNSEEN_SCENE)]
    assert all(not np.array_equal(a, b) for i, a in enumerate(rgb) for b in rgb[i + 1:])
    for scene in scenes:
        assert project.scene(scene).annotations.labelled_frames() == [0, 2]
    assert project.scene(UNSEEN_SCENE).annotations.labelled_frames() == []
    run_config = (project.runs_dir / three.run_name("rewis3d") / "config.yaml").read_text()
    assert "scenes:\n  - train\n  - train2\n  - train3\n" in run_config
    assert "| street | scribbles, 3 clips | rewis3d | 1 |" in quality_table(results)


def test_more_unseen_streets_score_each_run_once_per_street(bench, monkeypatch):
    import rewis3d.train.evaluate as evaluation

    root, results = bench
    two = QualitySetting(**{**TINY.__dict__, "more_unseen": 2})
    said = []
    scored = run_quality(root, [two], ("ema", "rewis3d"), (0,), report=said.append)[two]
    assert any(line.endswith("ema: scored on 2 more unseen streets") for line in said)
    streets = Project.open(root / "street-4f-48x36-unseen-seed0")
    assert set(streets.scene_names()) == {"u1", "u2"}
    assert not np.array_equal(streets.scene("u1").rgb[0], streets.scene("u2").rgb[0])
    assert not np.array_equal(streets.scene("u1").rgb[0],
                              Project.open(root / TINY.project_name(0)).scene(UNSEEN_SCENE).rgb[0])
    for r, before in zip(scored, results[TINY][:2], strict=True):
        assert (r.variant, r.same_clip, r.unseen_clip) == (before.variant, before.same_clip,
                                                          before.unseen_clip)
        assert len(r.unseen_more) == 2 and all(0 < v <= 1 for v in r.unseen_more)
        assert r.unseen == pytest.approx((r.unseen_clip + sum(r.unseen_more)) / 3)
    assert "unseen clips (3 streets) mIoU" in quality_table({two: scored})
    rooms = QualitySetting(**{**two.__dict__, "kind": "room"})
    assert rooms.layouts == "rooms"
    assert "unseen clips (3 rooms) mIoU" in quality_table({rooms: scored})
    assert "unseen clips (3 layouts) mIoU" in quality_table({two: scored, rooms: scored})

    calls = []
    real = evaluation.evaluate
    monkeypatch.setattr(evaluation, "evaluate", lambda p, scenes, *a, **k: calls.append(scenes)
                        or real(p, scenes, *a, **k))
    three = QualitySetting(**{**TINY.__dict__, "more_unseen": 3})
    again = run_quality(root, [three], ("ema",), (0,), report=lambda s: None, train=False)[three]
    assert calls == [["u3"]]  # the first two streets' scores come from the run's cache
    assert again[0].unseen_more[:2] == scored[0].unseen_more


def test_settings_refuse_impossible_clip_counts():
    from rewis3d.errors import InputError

    with pytest.raises(InputError, match="more_unseen: expected 0 to 9"):
        QualitySetting(more_unseen=10)
    with pytest.raises(InputError, match="train_clips: expected at least 1"):
        QualitySetting(train_clips=0)


def test_ablations_are_paired_with_rewis3d_as_well_as_with_ema():
    from rewis3d.bench.quality import VariantResult

    same = {"ema": [0.40, 0.42], "rewis3d": [0.50, 0.54], "random-sampling": [0.47, 0.49]}
    rows = [VariantResult(v, seed, same[v][seed], 0.3) for v in same for seed in (0, 1)]
    lines = quality_table({TINY: rows}).splitlines()
    assert lines[0].count("vs Rewis3d") == 2 and lines[0].count("vs EMA") == 2
    cells = {line.split(" | ")[2]: line.split(" | ")[4:7] for line in lines[2:]}
    assert cells["ema"][1:] == ["—", "—"]
    assert cells["rewis3d"][1].startswith("+11.0 [") and cells["rewis3d"][2] == "—"
    assert cells["random-sampling"][1].startswith("+7.0 [")  # vs EMA: +7, +7
    assert cells["random-sampling"][2].startswith("-4.0 [")  # vs Rewis3d: -3, -5
    without = quality_table({TINY: [r for r in rows if r.variant != "random-sampling"]})
    assert "vs Rewis3d" not in without  # nothing to compare with Rewis3d: no such columns


def _run_script(name: str, *args: str) -> subprocess.CompletedProcess:
    repo = Path(__file__).resolve().parents[2]
    return subprocess.run([sys.executable, str(repo / "benchmarks" / name), *args],
                          capture_output=True, text=True, timeout=300)


def test_the_scripts_that_read_a_root_score_its_runs(bench):
    from rewis3d.train.evaluate import evaluate
    from rewis3d.train.predict import load_student_2d

    root, _ = bench
    run_quality(root, [TINY], ("ema", "rewis3d"), (0, 1), report=lambda s: None)  # as it was
    setting = ["--steps", "2", "--points", "256", "--frames", "4", "--size", "48x36",
               "--label-every", "2", "--seeds", "0,1", "--labels", "scribbles"]
    done = _run_script("quality_per_class.py", str(root), *setting)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("| same clip | rewis3d"))
    printed = [float(v) if v.strip() != "—" else np.nan for v in row.strip("| ").split("|")[2:]]
    scored = [evaluate(p, [TRAIN_SCENE], load_student_2d(p, TINY.run_name("rewis3d"))[0])
              for p in (Project.open(root / TINY.project_name(s)) for s in (0, 1))]
    np.testing.assert_allclose(printed, np.nanmean([100 * np.array(r.iou_2d) for r in scored], 0),
                               atol=0.051)
    for r in scored:  # the confusion the per-class mistakes are read from is the one scored
        counts = r.confusion_2d
        union = counts.sum(0) + counts.sum(1) - np.diag(counts)
        np.testing.assert_allclose(np.diag(counts)[union > 0] / union[union > 0],
                                   np.array(r.iou_2d)[union > 0])
    assert "most frequent wrong class" in done.stdout
    assert "% of a labelled frame's pixels" in done.stdout

    done = _run_script("quality_cmc_weights.py", str(root), *setting)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| scribbles |")]
    assert [r.split("|")[2].strip() for r in rows] == ["0", "1"]
    done = _run_script("quality_teacher_vs_student.py", str(root), *setting)
    assert done.returncode == 0, done.stderr
    assert "| mIoU |" in done.stdout

    missing = _run_script("quality_per_class.py", str(root), *setting[:-4], "--seeds", "7")
    assert missing.returncode != 0
    assert "no such repetition" in missing.stderr and "rewis3d bench quality --root" in missing.stderr
