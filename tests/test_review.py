"""rewis3d.review: ranking frames by uncertainty, accepting a region, the retraining config."""

import numpy as np
import pytest
import yaml

from rewis3d.errors import InputError
from rewis3d.review import (
    ACCEPT_TOOL,
    accept_prediction,
    frame_score,
    next_run_name,
    next_uncertain_frame,
    rank_frames,
    retrain_config,
    score_terms,
)
from rewis3d.store import IGNORE_INDEX
from rewis3d.store.predictions import NO_POINT

H, W = 12, 16


def write_prediction(scene, run, confidences, labels=None, entropies=None, disagreements=None):
    with scene.prediction_writer(run) as writer:
        for f, conf in enumerate(confidences):
            lab = np.full((H, W), f % 3, np.uint8) if labels is None else labels[f]
            writer.write(f, lab, np.full((H, W), conf, np.float32),
                         entropy=None if entropies is None else np.full((H, W), entropies[f],
                                                                        np.float32),
                         disagreement_3d=None if disagreements is None else disagreements[f])


def disagreement_rows(differing_rows: int, rows_without_points: int = 0) -> np.ndarray:
    """A 3D disagreement map: the first rows differ, the last ones have no point."""
    out = np.zeros((H, W), np.uint8)
    out[:differing_rows] = 1
    out[H - rows_without_points:] = NO_POINT
    return out


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


def test_frame_score_uses_entropy_when_stored():
    labels = np.zeros((H, W), np.uint8)
    score = frame_score(0, labels, np.full((H, W), 0.9), entropy=np.full((H, W), 0.6))
    assert score.uncertainty == pytest.approx(0.6) and score.uncertainty_from == "entropy"
    assert frame_score(0, labels, np.full((H, W), 0.9)).uncertainty_from == "1 - max p"


def test_frame_score_3d_disagreement_counts_only_pixels_with_a_point():
    labels = np.zeros((H, W), np.uint8)
    labels[:, -1] = IGNORE_INDEX  # not predicted: left out even where 3D disagrees
    disagreement = disagreement_rows(3, rows_without_points=6)
    disagreement[:, -1] = 1
    score = frame_score(0, labels, np.ones((H, W)), disagreement_3d=disagreement)
    assert score.disagreement_3d == pytest.approx(0.5)  # 3 of the 6 rows with points
    assert score.score == pytest.approx(0.5)
    nothing_seen = frame_score(0, labels, np.ones((H, W)),
                               disagreement_3d=np.full((H, W), NO_POINT, np.uint8))
    assert nothing_seen.disagreement_3d is None and nothing_seen.score == 0.0


def test_rank_uses_entropy_and_3d_disagreement(tiny_project):
    scene = tiny_project.scene("s")
    # by 1 - max p frame 0 would come first; entropy says frame 1, 3D disagreement frame 2
    write_prediction(scene, "r", [0.2, 0.9, 0.9], entropies=[0.1, 0.5, 0.3],
                     disagreements=[disagreement_rows(0), disagreement_rows(0, 4),
                                    disagreement_rows(4, 4)])
    ranking = rank_frames(scene, "r")
    assert [s.frame for s in ranking] == [2, 1, 0]
    assert ranking[0].score == pytest.approx(0.3 + 0.5)
    assert ranking[1].disagreement_3d == 0.0
    assert score_terms(ranking) == ["mean entropy", "2D/3D teacher disagreement"]


def test_rank_falls_back_for_old_predictions(tiny_project):
    scene = tiny_project.scene("s")
    write_prediction(scene, "old", [0.2, 0.9, 0.6])
    write_prediction(scene, "new", [0.9] * 3, labels=[np.zeros((H, W), np.uint8)] * 3,
                     entropies=[0.0] * 3)
    ranking = rank_frames(scene, "old", compare_run="new")  # new agrees on frame 0 only
    assert [s.frame for s in ranking] == [2, 1, 0]
    assert ranking[0].score == pytest.approx(0.4 + 1.0)
    assert ranking[-1].uncertainty == pytest.approx(0.8)
    assert all(s.disagreement_3d is None and s.uncertainty_from == "1 - max p" for s in ranking)
    assert score_terms(ranking) == ["mean 1 − max probability",
                                    "disagreement with the compared run"]


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
