"""3D batches come from the stored sampling index without loading the whole reconstruction."""

import numpy as np

from rewis3d.geometry import lift_view
from rewis3d.store import IGNORE_INDEX, Project
from rewis3d.train.dataset import TrainingData, load_scenes


def test_batches_read_only_sampled_rows_of_confident_points(tiny_project, tiny_config, monkeypatch):
    from rewis3d.store.reconstruction import Reconstruction

    def refuse_full_load(self):
        raise AssertionError("the dataset must not load the whole reconstruction")

    monkeypatch.setattr(Reconstruction, "load", refuse_full_load)
    tiny_config.data.conf_drop = 0.3
    project = Project.open(tiny_project)
    (scene,) = load_scenes(project, tiny_config.data, with_3d=True)
    recon = project.scene(scene.name).reconstruction(tiny_config.data.reconstruction)
    data = TrainingData([scene], tiny_config.data, with_3d=True)
    frame = scene.frames[0]
    rows, corr = data._sample_points(scene, frame, np.random.default_rng(0))

    assert len(rows) == min(tiny_config.data.points, int(scene.keep.sum()))
    assert len(np.unique(rows)) == len(rows) and scene.keep[rows].all()
    own = recon.view_slice(frame)
    pixel = np.asarray(recon.pixel[:])
    np.testing.assert_array_equal(pixel[rows[corr[:, 0]]], corr[:, 1:])
    assert ((rows[corr[:, 0]] >= own.start) & (rows[corr[:, 0]] < own.stop)).all()

    labels = scene.point_labels(rows)
    expected = np.full(recon.num_points, IGNORE_INDEX, dtype=np.int64)
    for f in scene.frames:
        s = recon.view_slice(f)
        expected[s] = lift_view(scene.labels[f], pixel[s])
    np.testing.assert_array_equal(labels, expected[rows])
    batch = data.batch(np.random.default_rng(1))
    assert batch.student_feat.shape == (int(batch.offset[-1]), 6)


def test_confident_fill_draws_distinct_new_confident_rows():
    from rewis3d.train.dataset import _confident_fill

    keep = np.arange(100) % 3 != 0
    rows = _confident_fill(keep, np.array([1, 2, 4]), 20, np.random.default_rng(0))
    assert len(set(rows.tolist())) == 20 and keep[rows].all() and not {1, 2, 4} & set(rows)
