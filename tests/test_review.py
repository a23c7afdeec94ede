"""rewis3d.review: ranking frames by uncertainty, accepting a region, the retraining config."""

import numpy as np
import pytest
import yaml

from rewis3d.review import (
    ACCEPT_TOOL,
    accept_prediction,
    frame_score,
    next_run_name,
    next_uncertain_frame,
    rank_frames,
    retrain_config,
)
from rewis3d.store import IGNORE_INDEX, InputError

H, W = 12, 16


def write_prediction(scene, run, confidences, labels=None):
    with scene.prediction_writer(run) as writer:
        for f, conf in enumerate(confidences):
            lab = np.full((H, W), f % 3, np.uint8) if labels is None else labels[f]
            writer.write(f, lab, np.full((H, W), conf, np.float32))


def test_frame_score_ignores_unpredicted_pixels():
    labels = np.zeros((H, W), np.uint8)
    labels[:, W // 2:] = IGNORE_INDEX
    conf = np.where(labels == 0, 0.8, 0.0).astype(np.float32)
    score = frame_score(0, labels, conf)
    assert score.uncertainty == pytest.approx(0.2)
    assert score.unsure_share == 0.0 and score.disagreement is None


def test_frame_score_disagreement_with_another_run():
    a = np.zeros((H, W), np.uint8)
    b = a.copy()
    b[: H // 4] = 1
    score = frame_score(0, a, np.ones((H, W)), other_labels=b)
    assert score.disagreement == pytest.approx(0.25)
    assert score.score == pytest.approx(0.25)


def test_nothing_predicted_scores_zero():
    score = frame_score(3, np.full((H, W), IGNORE_INDEX, np.uint8), np.zeros((H, W)))
    assert score.score == 0.0


def test_rank_frames_most_uncertain_first(tiny_project):
    scene = tiny_project.scene("s")
    write_prediction(scene, "r1", [0.9, 0.4, 0.7])
    scene.annotations.add_stroke(2, 0, np.array([[1, 1]]))
    ranking = rank_frames(scene, "r1")
    assert [s.frame for s in ranking] == [1, 2, 0]
    assert ranking[0].unsure_share == 1.0
    assert [s.labelled for s in ranking] == [False, True, False]


def test_rank_with_comparison_adds_disagreement(tiny_project):
    scene = tiny_project.scene("s")
    write_prediction(scene, "a", [0.9, 0.9, 0.9])
    other = [np.zeros((H, W), np.uint8) for _ in range(3)]
    write_prediction(scene, "b", [0.9, 0.9, 0.9], labels=other)  # agrees with a on frame 0 only
    ranking = rank_frames(scene, "a", compare_run="b")
    assert ranking[-1].frame == 0 and ranking[-1].disagreement == 0.0
    assert ranking[0].disagreement == 1.0


def test_next_uncertain_frame_skips_seen():
    ranking = [frame_score(f, np.zeros((2, 2), np.uint8), np.full((2, 2), c))
               for f, c in ((4, 0.1), (2, 0.5), (7, 0.9))]
    assert next_uncertain_frame(ranking, set()) == 4
    assert next_uncertain_frame(ranking, {4}) == 2
    assert next_uncertain_frame(ranking, {4, 2, 7}) is None


def test_accept_prediction_writes_one_stroke_per_class(tiny_project):
    scene = tiny_project.scene("s")
    labels = np.zeros((3, H, W), np.uint8)
    labels[1, :, W // 2:] = 2
    labels[1, 0, 0] = IGNORE_INDEX
    write_prediction(scene, "r1", [0.9] * 3, labels=labels)
    region = np.zeros((H, W), bool)
    region[:4, :] = True
    accepted = accept_prediction(scene, "r1", 1, region)
    assert accepted == {0: 4 * W // 2 - 1, 2: 4 * W // 2}
    stored = tiny_project.scene("s").annotations.frame(1)  # reopened: it is in the store
    assert (stored[:4, 1:W // 2] == 0).all() and (stored[:4, W // 2:] == 2).all()
    assert stored[0, 0] == IGNORE_INDEX and (stored[4:] == IGNORE_INDEX).all()
    journal = (scene.annotations.path / "strokes.jsonl").read_text()
    assert journal.count(ACCEPT_TOOL) == 2


def test_accept_prediction_refuses_a_wrong_region_shape(tiny_project):
    scene = tiny_project.scene("s")
    write_prediction(scene, "r1", [0.9] * 3)
    with pytest.raises(InputError, match="region"):
        accept_prediction(scene, "r1", 0, np.ones((3, 3), bool))


def test_retrain_config_starts_from_the_exported_weights(tmp_path):
    run_dir = tmp_path / "r1"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text(yaml.safe_dump(
        {"preset": "cpu-quick", "model": {"model_2d": "segformer-mini"}, "optim": {"steps": 30}}))
    out = retrain_config(run_dir, run_dir / "weights-2d", tmp_path / "new.yaml")
    config = yaml.safe_load(out.read_text())
    assert config["model"] == {"model_2d": "segformer-mini",
                               "pretrained_2d": str((run_dir / "weights-2d").absolute())}
    assert config["optim"] == {"steps": 30}
    with pytest.raises(InputError, match="config.yaml"):
        retrain_config(tmp_path / "missing", run_dir, tmp_path / "x.yaml")


def test_next_run_name():
    assert next_run_name(["r1"], "r1") == "r1-r1"
    assert next_run_name(["r1", "r1-r1"], "r1-r1") == "r1-r2"
    assert next_run_name([], "base") == "base-r1"
