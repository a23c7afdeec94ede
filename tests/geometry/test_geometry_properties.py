"""Property tests (hypothesis): projection round trips for arbitrary cameras and poses."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rewis3d.geometry.camera import backproject_pixels, project_points

finite = dict(allow_nan=False, allow_infinity=False)


@st.composite
def cameras(draw):
    f = draw(st.floats(50, 2000, **finite))
    aspect = draw(st.floats(0.8, 1.25, **finite))
    h, w = draw(st.integers(8, 1024)), draw(st.integers(8, 1024))
    K = np.array([[f, 0, draw(st.floats(0, w, **finite))],
                  [0, f * aspect, draw(st.floats(0, h, **finite))], [0, 0, 1]])
    q = draw(arrays(np.float64, 4, elements=st.floats(-1, 1, **finite)))
    if np.linalg.norm(q) < 1e-3:
        q = np.array([1.0, 0, 0, 0])
    w_, x, y, z = q / np.linalg.norm(q)
    pose = np.eye(4)
    pose[:3, :3] = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w_), 2 * (x * z + y * w_)],
        [2 * (x * y + z * w_), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w_)],
        [2 * (x * z - y * w_), 2 * (y * z + x * w_), 1 - 2 * (x * x + y * y)],
    ]
    pose[:3, 3] = draw(arrays(np.float64, 3, elements=st.floats(-100, 100, **finite)))
    return K, pose, (h, w)


@settings(max_examples=60, deadline=None)
@given(cameras(), st.data())
def test_backproject_then_project_returns_the_pixel(camera, data):
    K, pose, (h, w) = camera
    n = data.draw(st.integers(1, 20))
    pixels = np.stack([
        data.draw(arrays(np.int32, n, elements=st.integers(0, h - 1))),
        data.draw(arrays(np.int32, n, elements=st.integers(0, w - 1))),
    ], axis=1)
    depth = data.draw(arrays(np.float64, n, elements=st.floats(0.1, 80, **finite)))
    world = backproject_pixels(pixels, depth, K, pose)
    vu, z = project_points(world, K, pose)
    # float32 world points far from the origin limit the precision to ~1e-5 relative
    tol = 1e-6 * (np.abs(pose[:3, 3]).max() + 80) * K[0, 0] / 0.1 + 1e-3
    np.testing.assert_allclose(vu, pixels, atol=max(tol, 0.05))
    np.testing.assert_allclose(z, depth, rtol=1e-4, atol=1e-3)
