from __future__ import annotations

import numpy as np
import pytest

from rewis3d.errors import InputError
from rewis3d.geometry import lift_labels
from rewis3d.geometry.correspondence import check_pixels
from rewis3d.reconstruct import reconstruct_scene
from rewis3d.store import ReconstructionData


def _partial_reconstruction(scene, frames_with_points):
    views = {}
    for f in frames_with_points:
        pix = np.array([[0, 0], [1, 1]], dtype=np.int32)
        views[f] = {"points": np.zeros((2, 3)), "colors": np.zeros((2, 3)),
                    "conf": np.ones(2), "pixel": pix}
    data = ReconstructionData.from_views(scene.num_frames, views)
    return scene.write_reconstruction("partial", data, attrs={"backend": "test"})


def test_lifting_reads_each_points_own_pixel(tiny_project):
    scene = tiny_project.scene("s")
    rec = reconstruct_scene(scene, "sensor-depth")
    scene.annotations.add_stroke(1, 2, np.array([[3, 4], [5, 6]]))
    lifted = lift_labels(scene, rec)
    labelled = np.flatnonzero(lifted.labels != 255)
    assert lifted.labels[labelled].tolist() == [2, 2]
    assert sorted(map(tuple, rec.pixel[:][labelled])) == [(3, 4), (5, 6)]
    assert all(rec.frame_ptr[1] <= i < rec.frame_ptr[2] for i in labelled)


def test_labels_on_a_frame_without_points_warn_or_fail(tiny_project):
    scene = tiny_project.scene("s")
    rec = _partial_reconstruction(scene, [0])
    scene.annotations.add_stroke(2, 1, np.array([[0, 0]]))
    with pytest.raises(InputError, match=r"frame\(s\) \[2\].*no points.*label frames that"):
        lift_labels(scene, rec)
    scene.annotations.add_stroke(0, 1, np.array([[0, 0]]))
    with pytest.warns(UserWarning, match=r"frame\(s\) \[2\]"):
        lifted = lift_labels(scene, rec)
    assert lifted.frames_without_points == [2] and lifted.num_labelled == 1


def test_mismatched_pixels_are_refused_with_the_fix():
    with pytest.raises(InputError, match=r"outside the 16x12 frame.*undo its resize"):
        check_pixels(np.array([[3, 4], [12, 0]]), (12, 16), "backend x, frame 0")
    with pytest.raises(InputError, match="same pixel"):
        check_pixels(np.array([[3, 4], [3, 4]]), (12, 16), "backend x, frame 0")
