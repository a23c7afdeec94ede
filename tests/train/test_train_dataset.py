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


def _copy_reconstruction(project, scene_name, source, name, attrs, conf=None):
    recon = project.scene(scene_name).reconstruction(source)
    data = recon.load()
    if conf is not None:
        data.conf = conf(data)
    return project.scene(scene_name).write_reconstruction(name, data, {**recon.attrs, **attrs})


def test_constant_confidence_keeps_every_point(tiny_project, tiny_config):
    """The paper's "real 3D" row: with one confidence for all points nothing is dropped (the
    old stable argsort removed the first image rows of every view)."""
    project = Project.open(tiny_project)
    _copy_reconstruction(project, "street", "simulated", "depth", {"drop_low_conf": 0.0},
                         conf=lambda d: np.ones_like(d.conf))
    tiny_config.data.reconstruction = "depth"
    (scene,) = load_scenes(project, tiny_config.data, with_3d=True)
    assert scene.keep.all()


def test_the_confidence_drop_happens_once(tiny_project, tiny_config):
    """A reconstruction already filtered at reconstruction time (attrs ``drop_low_conf`` > 0,
    as MapAnything's) is not filtered again; an unfiltered one loses its per-view 10 %."""
    project = Project.open(tiny_project)
    _copy_reconstruction(project, "street", "simulated", "filtered", {"drop_low_conf": 0.1})
    tiny_config.data.reconstruction = "filtered"
    (filtered,) = load_scenes(project, tiny_config.data, with_3d=True)
    assert filtered.keep.all()

    tiny_config.data.reconstruction = "simulated"
    (raw,) = load_scenes(project, tiny_config.data, with_3d=True)
    recon = project.scene("street").reconstruction("simulated")
    for f in range(len(recon.frame_ptr) - 1):
        s = recon.view_slice(f)
        conf = np.asarray(recon.conf[s])
        np.testing.assert_array_equal(raw.keep[s], conf >= np.percentile(conf, 10))


def test_classes_without_3d_points_never_reach_the_3d_labels(tiny_project, tiny_config):
    """Released KITTI-360: sky is ignore in the 3D labels (a reconstruction such as MapAnything's
    puts points on sky pixels; they are noise, not geometry)."""
    project = Project.open(tiny_project)
    sky = [c.name for c in project.classes].index("sky")
    scene = project.scene("street")
    frame = scene.annotations.labelled_frames()[0]
    sky_pixels = np.argwhere(np.asarray(scene.annotations.frame(frame)) == sky)
    assert len(sky_pixels), "the fixture should have sky scribbles"

    def points_on_sky(data):  # move the view's first points onto the sky scribble
        s = slice(int(data.frame_ptr[frame]), int(data.frame_ptr[frame + 1]))
        k = min(len(sky_pixels), s.stop - s.start)
        data.pixel[s.start:s.start + k] = sky_pixels[:k]
        return data.conf

    recon = _copy_reconstruction(project, "street", "simulated", "with-sky", {},
                                 conf=points_on_sky)
    tiny_config.data.reconstruction = "with-sky"
    tiny_config.data.conf_drop = 0.0
    pixel = np.asarray(recon.pixel[:])
    lifted = lift_view(np.asarray(scene.annotations.frame(frame)), pixel[recon.view_slice(frame)])
    assert (lifted == sky).any()
    (data,) = load_scenes(project, tiny_config.data, with_3d=True, no_3d_classes=(sky,))
    labels = data.point_labels(np.arange(recon.num_points))
    assert not (labels == sky).any()
    assert (labels != IGNORE_INDEX).any()
