from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rewis3d.geometry.camera import backproject_depth, pixel_grid, project_points


def _pose(yaw: float, t) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    pose = np.eye(4)
    pose[:3, :3] = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    pose[:3, 3] = t
    return pose


@settings(max_examples=25, deadline=None)
@given(
    yaw=st.floats(-3.1, 3.1), tx=st.floats(-5, 5), ty=st.floats(-5, 5),
    depth=st.floats(0.2, 20.0), stride=st.integers(1, 4),
)
def test_backproject_then_project_is_identity(yaw, tx, ty, depth, stride):
    K = np.array([[50.0, 0, 16], [0, 55.0, 12], [0, 0, 1]])
    pose = _pose(yaw, [tx, ty, 1.0])
    depth_map = np.full((24, 32), depth, np.float32)
    points, pixels = backproject_depth(depth_map, K, pose, stride)
    assert len(points) == len(pixel_grid((24, 32), stride))
    vu, z = project_points(points, K, pose)
    assert np.abs(vu - pixels).max() < 1e-2
    np.testing.assert_allclose(z, depth, rtol=1e-5)


def test_invalid_depth_gives_no_points_and_behind_camera_is_nan():
    K = np.array([[50.0, 0, 16], [0, 50.0, 12], [0, 0, 1]])
    depth = np.full((24, 32), np.nan, np.float32)
    depth[3, 4] = 2.0
    depth[5, 6] = 0.0
    points, pixels = backproject_depth(depth, K, np.eye(4))
    assert pixels.tolist() == [[3, 4]]
    vu, z = project_points(np.array([[0.0, 0.0, -1.0]]), K, np.eye(4))
    assert z[0] < 0 and np.isnan(vu).all()
