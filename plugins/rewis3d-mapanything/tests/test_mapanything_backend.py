"""The MapAnything backend against a fake `mapanything` (or the real one, when installed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from mapanything_fake import camera_pose, install_fake  # noqa: E402

from rewis3d.errors import InputError
from rewis3d.geometry import project_points  # noqa: E402
from rewis3d.reconstruct import reconstruct_scene  # noqa: E402
from rewis3d.store import Project

H, W = 600, 800  # aspect 4:3 -> MapAnything 518x392 after a downscale and a 2 px crop
REAL = importlib.util.find_spec("mapanything") is not None and "fake" not in str(
    importlib.util.find_spec("mapanything").origin)


def _forget_mapanything():
    for name in [m for m in sys.modules if m.split(".")[0] == "mapanything"]:
        del sys.modules[name]


def real_weights_missing(hf_cache: str | None = None, hub_dir: str | None = None
                         ) -> str | None:
    """Why the installed MapAnything cannot run here without downloading, or None."""
    import torch
    from huggingface_hub import try_to_load_from_cache
    from rewis3d_mapanything.backend import MapAnythingConfig

    model = MapAnythingConfig().model
    if not isinstance(try_to_load_from_cache(model, "config.json", cache_dir=hf_cache), str):
        return f"{model} is not in the local Hugging Face cache"
    hub = Path(hub_dir or torch.hub.get_dir())
    if not any(hub.glob("facebookresearch_dinov2*")):
        return f"DINOv2 is not in the torch-hub cache ({hub})"
    return None


def test_the_real_package_without_cached_weights_is_skipped_not_downloaded(tmp_path):
    (tmp_path / "hf").mkdir()
    why = real_weights_missing(str(tmp_path / "hf"), str(tmp_path / "hub"))
    assert why == "facebook/map-anything-apache is not in the local Hugging Face cache"


@pytest.fixture
def fake_mapanything(tmp_path, monkeypatch):
    if REAL and (why := real_weights_missing()):
        pytest.skip(f"the real mapanything is installed but {why}; tests never download "
                    "(pre-seed the caches: plugins/rewis3d-mapanything/README.md)")
    if not REAL:
        monkeypatch.syspath_prepend(str(install_fake(tmp_path / "fake")))
        _forget_mapanything()
    yield
    if not REAL:
        _forget_mapanything()


def _scene(tmp_path, frames=6):
    """Scene poses = P0 @ (the fake's camera j): a correct reconstruction lies on them."""
    rng = np.random.default_rng(0)
    P0 = np.eye(4)
    c, s = np.cos(0.3), np.sin(0.3)
    P0[:3, :3] = [[c, 0, s], [0, 1, 0], [-s, 0, c]]
    P0[:3, 3] = [1.0, -0.5, 0.2]
    K = np.array([[0.9 * W, 0, W / 2], [0, 0.9 * W, H / 2], [0, 0, 1]])
    project = Project.create(tmp_path / "p", ["a"])
    with project.scene_writer("s") as w:
        for i in range(frames):
            w.append(rgb=rng.integers(0, 255, (H, W, 3), dtype=np.uint8), intrinsics=K,
                     pose=P0 @ camera_pose(i))
    return project.scene("s")


def test_chunks_in_their_own_frames_and_scales_register_into_one_cloud(tmp_path,
                                                                       fake_mapanything):
    """Chunks of 4 sharing 2 frames; each later chunk comes in its own first camera's frame
    at another scale: every point still lands on its own pixel with the scene's poses."""
    scene = _scene(tmp_path)
    rec = reconstruct_scene(scene, "mapanything", drop_low_conf=False,
                            options={"chunk_size": 4, "overlap": 2, "device": "cpu"})
    chunks = rec.attrs["chunks"]
    assert [(c["start"], c["stop"]) for c in chunks] == [(0, 4), (2, 6)]
    assert chunks[1]["pairs"] > 1000 and chunks[1]["rms_m"] < 1e-3
    assert abs(chunks[1]["scale"] - 1 / 1.1) < 1e-4  # the fake's chunk at frame 2 is 1.1x
    for f in (4, 5):  # camera poses of the later chunk, in the scene's world
        np.testing.assert_allclose(chunks[1]["camera_poses"][f - 2], scene.poses[f], atol=1e-4)
    assert rec.attrs["conf_kind"] == "mapanything-raw" and rec.attrs["model_input_size"] == [392, 518]
    assert (rec.conf[:] >= 1).all()
    for f in range(scene.num_frames):
        view = rec.view(f)
        assert len(view["points"]) > 0.8 * 392 * 518  # all unmasked grid pixels, one each
        flat = view["pixel"][:, 0] * W + view["pixel"][:, 1]
        assert len(np.unique(flat)) == len(flat)
        vu, _ = project_points(view["points"], scene.intrinsics[f], scene.poses[f])
        assert np.abs(vu - view["pixel"]).max() <= 0.5 + 1e-3, f"frame {f}"
        np.testing.assert_array_equal(
            view["colors"], np.asarray(scene.rgb[f])[view["pixel"][:, 0], view["pixel"][:, 1]])
        # the masked 10-px grid border (~15 original px) never reaches the store
        assert view["pixel"][:, 1].min() >= 14 and view["pixel"][:, 0].min() >= 14


def test_lowest_ten_percent_dropped_by_default(tmp_path, fake_mapanything):
    scene = _scene(tmp_path, frames=2)
    full = reconstruct_scene(scene, "mapanything", name="full", drop_low_conf=False)
    dropped = reconstruct_scene(scene, "mapanything", name="dropped")
    conf = np.asarray(full.conf[:])
    expected = [int((conf[s] >= np.percentile(conf[s], 10)).sum())
                for s in (full.view_slice(f) for f in range(2))]
    assert np.diff(dropped.frame_ptr).tolist() == expected
    assert expected != np.diff(full.frame_ptr).tolist()
    # recorded, so training does not drop another 10 % (tests/train/test_train_dataset.py)
    assert dropped.attrs["drop_low_conf"] == 0.1


def test_missing_mapanything_says_how_to_install(tmp_path, monkeypatch):
    scene = _scene(tmp_path, frames=1)
    _forget_mapanything()
    monkeypatch.setitem(sys.modules, "mapanything", None)
    with pytest.raises(InputError, match=r"MapAnything is not installed.*map-anything"):
        reconstruct_scene(scene, "mapanything")
    assert scene.reconstruction_names() == []


def test_an_image_or_video_scene_gets_the_registered_camera_poses(tmp_path, fake_mapanything):
    """Identity poses (what image and video imports store) are replaced by the registered
    cameras; real poses are never overwritten."""
    rng = np.random.default_rng(1)
    K = np.array([[0.9 * W, 0, W / 2], [0, 0.9 * W, H / 2], [0, 0, 1]])
    project = Project.create(tmp_path / "video", ["a"])
    with project.scene_writer("clip") as w:
        for _ in range(6):
            w.append(rgb=rng.integers(0, 255, (H, W, 3), dtype=np.uint8), intrinsics=K,
                     pose=np.eye(4))
    scene = project.scene("clip")
    assert not scene.poses_known
    rec = reconstruct_scene(scene, "mapanything", drop_low_conf=False,
                            options={"chunk_size": 4, "overlap": 2, "device": "cpu"})
    assert rec.attrs["poses_written_to_scene"] is True
    stored = Project.open(tmp_path / "video").scene("clip")
    for f in range(6):
        np.testing.assert_allclose(stored.poses[f], camera_pose(f), atol=1e-4)
        view = rec.view(f)
        vu, _ = project_points(view["points"], stored.intrinsics[f], stored.poses[f])
        assert np.abs(vu - view["pixel"]).max() <= 0.5 + 1e-3, f"frame {f}"

    real = _scene(tmp_path / "real")
    before = real.poses.copy()
    rec = reconstruct_scene(real, "mapanything", drop_low_conf=False,
                            options={"chunk_size": 4, "overlap": 2, "device": "cpu"})
    assert rec.attrs["poses_written_to_scene"] is False
    np.testing.assert_array_equal(Project.open(tmp_path / "real" / "p").scene("s").poses, before)


def test_a_cpu_run_times_one_view_and_warns_how_long_it_will_take(tmp_path, fake_mapanything):
    scene = _scene(tmp_path, frames=6)
    options = {"chunk_size": 4, "overlap": 2, "device": "cpu"}
    with pytest.warns(UserWarning, match=r"one view took \d+ s, so 8 views in 2 chunk\(s\) of "
                                         r"up to 4 take about \d+ s"):
        reconstruct_scene(scene, "mapanything", name="timed", options=options)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no timing, no warning
        reconstruct_scene(scene, "mapanything", name="untimed",
                          options={**options, "estimate": False})
