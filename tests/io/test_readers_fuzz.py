"""Property tests: readers given malformed files raise InputError (with the file name), nothing else."""

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewis3d.errors import InputError
from rewis3d.io.common import read_depth_png, read_matrix, read_rgb
from rewis3d.io.tum import _read_list
from tests.io.datasets import write_rgb

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _raises_input_error_naming(fn, path: Path) -> None:
    try:
        fn()
    except InputError as exc:
        assert path.name in str(exc)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from([".png", ".jpg"]))
def test_random_bytes_as_images(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"frame{suffix}"
        path.write_bytes(data)
        _raises_input_error_naming(lambda: read_rgb(path), path)
        _raises_input_error_naming(lambda: read_depth_png(path, 1000.0), path)


@FUZZ
@given(st.integers(1, 2000))
def test_truncated_png_at_any_length(cut):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.png"
        write_rgb(path, h=30, w=40)
        data = path.read_bytes()
        path.write_bytes(data[: min(cut, len(data) - 1)])
        _raises_input_error_naming(lambda: read_rgb(path), path)


@FUZZ
@given(st.text(max_size=200))
def test_random_text_as_pose_or_intrinsics(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pose.txt"
        path.write_text(text)
        try:
            m = read_matrix(path, (4, 4), "pose")
        except InputError as exc:
            assert "pose.txt" in str(exc)
        else:
            assert m.shape == (4, 4) and m.dtype == np.float64


@FUZZ
@given(st.lists(st.text(alphabet="0123456789. abc/#\t-e", max_size=40), max_size=8))
def test_random_tum_lists(lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rgb.txt"
        path.write_text("\n".join(lines))
        try:
            rows = _read_list(path, 1)
        except InputError as exc:
            assert "rgb.txt" in str(exc)
        else:
            assert all(len(values) == 1 for _, values in rows)
