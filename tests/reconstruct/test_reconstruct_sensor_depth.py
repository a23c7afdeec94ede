"""The sensor-depth backend, the registry, the shared filters and the bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest

from rewis3d.errors import InputError
from rewis3d.reconstruct import (
    RECONSTRUCTORS,
    create_reconstructor,
    drop_lowest_confidence,
    reconstruct_scene,
)
from rewis3d.store import Project, ReconstructionData
from tests.conftest import tiny_frames, tree_snapshot


def _project(tmp_path, depth_fn=None, depth=True, n=3):
    project = Project.create(tmp_path / "p", ["a", "b"])
    with project.scene_writer("s") as w:
        for i, frame in enumerate(tiny_frames(n=n, depth=depth)):
            if depth_fn is not None:
                frame["depth"] = depth_fn(i, frame["depth"])
            w.append(**frame)
    return project


def test_sensor_depth_writes_every_valid_pixel_with_progress(tiny_project):
    scene = tiny_project.scene("s")
    calls = []
    rec = reconstruct_scene(scene, "sensor-depth", progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert rec.num_points == 3 * 12 * 16 and rec.frame_ptr.tolist() == [0, 192, 384, 576]
    assert rec.attrs["backend"] == "sensor-depth" and rec.attrs["conf_kind"] == "constant"
    assert (rec.conf[:] == 1).all() and rec.attrs["drop_low_conf"] == 0.0
    np.testing.assert_array_equal(rec.colors[:192], np.asarray(scene.rgb[0]).reshape(-1, 3))


def test_stride_voxel_and_consistency_options(tiny_project):
    scene = tiny_project.scene("s")
    rec = reconstruct_scene(scene, "sensor-depth", name="s2", options={"stride": 2})
    assert rec.num_points == 3 * 6 * 8 and (rec.pixel[:] % 2 == 0).all()
    rec = reconstruct_scene(scene, "sensor-depth", name="vox", options={"voxel_size": 0.5})
    assert 0 < rec.num_points < 3 * 6 * 8
    rec = reconstruct_scene(scene, "sensor-depth", name="cons", options={"conf": "consistency"})
    conf = rec.conf[:]
    assert rec.attrs["conf_kind"] == "consistency" and (conf > 0).all() and (conf <= 1).all()
    assert conf.mean() > 0.9  # a flat wall at 2 m seen by all frames: consistent


def test_consistency_score_flags_a_flying_pixel(tmp_path):
    def depth_fn(i, d):
        d = d.copy()
        if i == 1:
            d[6, 8] = 1.0  # one wrong pixel in the middle frame
        return d

    scene = _project(tmp_path, depth_fn).scene("s")
    rec = reconstruct_scene(scene, "sensor-depth", options={"conf": "consistency"})
    view = rec.view(1)
    wrong = np.flatnonzero((view["pixel"] == [6, 8]).all(axis=1))[0]
    assert view["conf"][wrong] < 0.5 < np.median(view["conf"])


def test_drop_lowest_confidence_keeps_the_released_percentile_per_view():
    """Released ``pointcloud_processing.py``: keep ``conf >= percentile(conf, 10)`` per view."""
    rng = np.random.default_rng(0)
    views = {f: {"points": rng.normal(size=(n, 3)), "colors": np.zeros((n, 3)),
                 "conf": 1 + rng.random(n), "pixel": np.stack([np.zeros(n), np.arange(n)], 1)}
             for f, n in ((0, 100), (2, 55))}
    data = ReconstructionData.from_views(3, views)
    kept = drop_lowest_confidence(data, 0.1)
    conf = {f: views[f]["conf"].astype(np.float32) for f in views}
    expected = [int((c >= np.percentile(c, 10)).sum()) for c in (conf[0], conf[2])]
    assert expected == [90, 49]
    assert np.diff(kept.frame_ptr).tolist() == [90, 0, 49]
    assert kept.conf[:90].min() >= np.sort(conf[0])[10]


def test_constant_confidence_drops_nothing():
    """Sensor depth has one confidence for every point: the released rule keeps them all (a
    stable argsort over ties dropped the first image rows of every view)."""
    n = 40
    views = {0: {"points": np.zeros((n, 3)), "colors": np.zeros((n, 3)), "conf": np.ones(n),
                 "pixel": np.stack([np.arange(n) // 8, np.arange(n) % 8], 1)}}
    kept = drop_lowest_confidence(ReconstructionData.from_views(1, views), 0.1)
    assert np.diff(kept.frame_ptr).tolist() == [n]


def test_registry_lists_backends_and_refuses_unknown_ones(tiny_project, monkeypatch):
    from rewis3d import registry

    assert "sensor-depth" in RECONSTRUCTORS.built_in()
    scene = tiny_project.scene("s")
    before = tree_snapshot(tiny_project.path)
    with pytest.raises(InputError, match=r"backend 'nosuch'; available: sensor-depth"):
        reconstruct_scene(scene, "nosuch")
    monkeypatch.setattr(registry, "entry_points", lambda group: [])  # no plugins installed
    with pytest.raises(InputError, match=r"'mapanything'; available: sensor-depth. Install.*pip "
                       r"install -e plugins"):
        create_reconstructor("mapanything")
    with pytest.raises(InputError, match=r"options: unknown key 'strde'; known keys: .*stride"):
        reconstruct_scene(scene, "sensor-depth", options={"strde": 2})
    assert tree_snapshot(tiny_project.path) == before


def test_scene_without_depth_is_refused(tmp_path):
    project = _project(tmp_path, depth=False)
    before = tree_snapshot(project.path)
    with pytest.raises(InputError, match=r"scene 's' has no depth.*--backend mapanything"):
        reconstruct_scene(project.scene("s"), "sensor-depth")
    assert tree_snapshot(project.path) == before


@pytest.mark.parametrize("bad", [np.nan, 0.0])
def test_depth_invalid_everywhere_is_refused(tmp_path, bad):
    project = _project(tmp_path, lambda i, d: np.full_like(d, bad))
    before = tree_snapshot(project.path)
    with pytest.raises(InputError, match=r"frames/depth has no valid value in any frame"):
        reconstruct_scene(project.scene("s"), "sensor-depth")
    assert tree_snapshot(project.path) == before


def test_a_frame_without_valid_depth_gets_zero_points_and_a_warning(tmp_path):
    project = _project(tmp_path, lambda i, d: np.full_like(d, np.nan) if i == 1 else d)
    with pytest.warns(UserWarning, match=r"frame\(s\) \[1\] have no valid depth"):
        rec = reconstruct_scene(project.scene("s"), "sensor-depth")
    assert np.diff(rec.frame_ptr).tolist() == [192, 0, 192]


def test_mismatched_pixels_from_a_backend_leave_the_store_unchanged(tiny_project, monkeypatch):
    from rewis3d.reconstruct import pipeline
    from rewis3d.reconstruct.base import BackendOutput

    class Shifted:
        name, drop_low_conf_by_default = "shifted", False

        def reconstruct(self, scene, progress=None):
            view = {"points": np.zeros((1, 3)), "colors": np.zeros((1, 3)),
                    "conf": np.ones(1), "pixel": np.array([[0, 20]])}  # u=20 > width 16
            data = ReconstructionData.from_views(scene.num_frames, {0: view})
            return BackendOutput(data=data, conf_kind="constant")

    monkeypatch.setattr(pipeline, "create_reconstructor", lambda name, **o: Shifted())
    before = tree_snapshot(tiny_project.path)
    with pytest.raises(InputError, match=r"backend 'shifted', frame 0: pixel 0 .*outside"):
        pipeline.reconstruct_scene(tiny_project.scene("s"), "shifted")
    assert tree_snapshot(tiny_project.path) == before


def test_a_nan_confidence_drops_that_point_not_the_view():
    from rewis3d.reconstruct.filtering import confident_in_view

    conf = np.array([1.0, 2.0, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    keep = confident_in_view(conf, 0.1)
    assert not keep[2] and keep.sum() == 9  # finite percentile(10) = 1.9: drops 1.0 and the NaN
    assert not confident_in_view(np.array([np.nan, np.inf]), 0.1).any()
    assert confident_in_view(np.array([np.nan]), 0.0).all()  # no filter asked


def test_a_near_empty_cloud_is_refused_and_nothing_is_stored(tmp_path):
    def two_valid_pixels_in_frame_0(i, depth):
        depth = np.full_like(depth, np.nan)
        if i == 0:
            depth[0, :2] = 2.0
        return depth

    project = _project(tmp_path, two_valid_pixels_in_frame_0)
    scene = project.scene("s")
    before = tree_snapshot(scene.path)
    with pytest.warns(UserWarning), pytest.raises(InputError) as info:
        reconstruct_scene(scene, "sensor-depth")
    message = str(info.value)
    assert "gave 2 points from 1/3 frames of scene 's'" in message and "nothing was stored" in message
    assert tree_snapshot(scene.path) == before and scene.reconstruction_names() == []
