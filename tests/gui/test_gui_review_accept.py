"""Review tab: predictions written by anyone appear, two runs toggle, frames are ranked, and a
brushed region of a prediction ends up in the stored annotations."""

import numpy as np
import pytest

from rewis3d.review import ACCEPT_TOOL
from rewis3d.store import IGNORE_INDEX, Project

pytestmark = pytest.mark.gui


def write_prediction(project_path, run, confidence_of_frame, class_id):
    scene = Project.open(project_path).scene("street")
    with scene.prediction_writer(run) as writer:
        for f in range(scene.num_frames):
            writer.write(f, np.full(scene.image_size, class_id, np.uint8),
                         np.full(scene.image_size, confidence_of_frame(f), np.float32))


def test_rank_toggle_and_accept_a_region(dock, street_project, qtbot):
    dock.project_panel.open_project(street_project)
    viewer, session = dock.session.viewer, dock.session
    write_prediction(street_project, "ema", lambda f: 0.9, class_id=0)
    write_prediction(street_project, "rewis3d", lambda f: [0.9, 0.3, 0.6, 0.8][f], class_id=2)
    qtbot.waitUntil(lambda: "rewis3d prediction" in viewer.layers, timeout=5_000)  # by itself
    predictions = dock.predictions_panel
    assert "ema prediction" in viewer.layers
    layers = list(viewer.layers)
    assert layers.index(viewer.layers["rewis3d prediction"]) < layers.index(session.labels_layer)

    predictions.run_a.setCurrentText("rewis3d")
    predictions.run_b.setCurrentText("ema")
    assert predictions.visible_run() == "rewis3d"
    predictions.toggle()
    assert predictions.visible_run() == "ema" and not viewer.layers["rewis3d prediction"].visible
    predictions.toggle()
    assert predictions.visible_run() == "rewis3d"

    review = dock.review_panel
    review.run.setCurrentText("rewis3d")
    ranking = review.rank()
    assert [s.frame for s in ranking] == [1, 2, 3, 0]
    assert review.frames.count() == 4
    assert "mean 1 − max probability" in review.heading.text()  # written without entropy
    assert review.frames.item(0).text() == "frame 1: 1 − max p 0.70, 100% unsure"
    assert review.next_frame() == 1 and session.current_frame == 1
    assert review.next_frame() == 2 and session.current_frame == 2

    review.brush_region()
    assert viewer.layers.selection.active is review.region_layer
    review.region_layer.data[2, 10:20, 5:30] = 1
    accepted = review.accept_region()
    assert accepted == {2: 10 * 25}
    stored = Project.open(street_project).scene("street").annotations.frame(2)
    assert (stored[10:20, 5:30] == 2).all()
    assert (stored == 2).sum() == 250 and (stored != IGNORE_INDEX).sum() == 250
    journal = (session.scene.annotations.path / "strokes.jsonl").read_text()
    assert ACCEPT_TOOL in journal
    assert (session.labels_layer.data[2, 10:20, 5:30] == 3).all()  # the viewer shows it too
    assert not review.region_layer.data[2].any()
    outline = viewer.layers["accepted regions"]  # accepted pixels look like the prediction
    assert outline.contour > 0 and not outline.editable
    assert (np.asarray(outline.data[2]) > 0).sum() == 250 and not np.asarray(outline.data[1]).any()
    assert viewer.layers.selection.active is review.region_layer  # painting goes on

    # Rewritten predictions of a run reload into the same layer.
    write_prediction(street_project, "ema", lambda f: 0.9, class_id=3)
    qtbot.waitUntil(lambda: (viewer.layers["ema prediction"].data[0] == 4).all(), timeout=5_000)


def test_a_new_project_leaves_nothing_of_the_old_one(dock, street_project, tmp_path, qtbot):
    dock.project_panel.open_project(street_project)
    viewer = dock.session.viewer
    write_prediction(street_project, "old", lambda f: 0.5, class_id=1)
    qtbot.waitUntil(lambda: "old prediction" in viewer.layers, timeout=5_000)
    review = dock.review_panel
    qtbot.waitUntil(lambda: bool(review.ranking), timeout=5_000)
    assert "ranked" in review.info.text()
    review.brush_region()

    assert dock.session.create_project(tmp_path / "fresh", ["a", "b"])
    assert [layer.name for layer in viewer.layers] == []  # no prediction, region, outline
    assert review.run.count() == 0 and review.frames.count() == 0 and review.info.text() == ""
    assert dock.predictions_panel.layers == {}


def test_a_project_opened_with_predictions_is_ranked_at_once(dock, street_project, qtbot):
    write_prediction(street_project, "done", lambda f: [0.9, 0.3, 0.6, 0.8][f], class_id=2)
    dock.project_panel.open_project(street_project)
    review = dock.review_panel
    assert review.run.currentText() == "done"
    assert [review.frames.item(i).data(256) for i in range(review.frames.count())] == [1, 2, 3, 0]
    assert review.info.text() == "4 frames ranked by run 'done'."
