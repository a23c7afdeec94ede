"""Propagation preview on the analytic box scene (ground truth known)."""

from __future__ import annotations

import numpy as np

from rewis3d.derived.preview import open_preview
from rewis3d.geometry import PropagationConfig, lift_labels, project_labels
from tests.geometry.geometry_box_scene import scribble_labels

CONFIG = PropagationConfig(voxel_size=0.05, radius=0.3)


def _label_frames(scene, frames, seed=0):
    rng = np.random.default_rng(seed)
    for f in frames:
        scene.annotations.set_frame(f, scribble_labels(np.asarray(scene.gt[f]), rng))


def test_preview_agrees_with_ground_truth_and_fills_more_than_lifting(box_project):
    scene = box_project.scene("boxes")
    rec = scene.reconstruction("sensor-depth")
    _label_frames(scene, [0, 6, 11])
    preview = open_preview(scene, rec, 3, CONFIG)
    lifted = lift_labels(scene, rec).labels
    points = np.asarray(rec.points[:])
    filled = agree = direct = 0
    for f in range(scene.num_frames):
        labels, conf = preview.frame_labels(f)
        gt = np.asarray(scene.gt[f])
        mask = labels != 255
        filled += mask.sum()
        agree += (labels[mask] == gt[mask]).sum()
        assert (conf[mask] > 0).all() and (conf[~mask] == 0).all()
        depth = np.asarray(scene.depth[f])
        direct += (project_labels(points, lifted, scene.intrinsics[f], scene.poses[f],
                                  depth) != 255).sum()
    print(f"preview fills {filled} px ({agree / filled:.3f} agree), direct lifting {direct} px")
    assert agree / filled >= 0.95
    assert filled > 3 * direct


def test_incremental_update_equals_a_fresh_build(box_project):
    scene = box_project.scene("boxes")
    rec = scene.reconstruction("sensor-depth")
    _label_frames(scene, [0, 6])
    preview = open_preview(scene, rec, 3, CONFIG)
    for f in range(scene.num_frames):
        preview.frame_labels(f)
    stroke = np.zeros(scene.image_size, dtype=bool)
    stroke[20:26, 30:40] = True
    scene.annotations.add_stroke(3, 2, stroke)  # a new stroke (some of it wrong on purpose)
    dirty = preview.update_frame(3, scene.annotations.frame(3))
    assert dirty and dirty == preview.dirty_frames
    fresh = open_preview(scene, rec, 3, CONFIG)
    for f in range(scene.num_frames):
        np.testing.assert_array_equal(preview.frame_labels(f)[0], fresh.frame_labels(f)[0])
    assert preview.update_frame(3, scene.annotations.frame(3)) == set()  # nothing new
    scene.annotations.add_stroke(3, 255, stroke)  # erase it again
    preview.update_frame(3, scene.annotations.frame(3))
    again = open_preview(scene, rec, 3, CONFIG)
    np.testing.assert_array_equal(preview.point_labels(), again.point_labels())
