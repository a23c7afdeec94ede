import math

import numpy as np
import pytest
from PIL import Image

from rewis3d.errors import InputError
from rewis3d.io import READERS, import_frames
from rewis3d.io.tum import pose_from_tum
from rewis3d.store import Project
from tests.conftest import tree_snapshot
from tests.io.datasets import make_7scenes, pose_text, write_depth16, write_rgb


def _import(tmp_path, fmt, src, **kw):
    project = Project.create(tmp_path / "proj", ["a", "b"])
    return import_frames(project, "s", READERS[fmt](src, **kw))


# -- image folder ------------------------------------------------------------------------
def test_image_folder_natural_sort_and_stride(tmp_path):
    src = tmp_path / "imgs"
    src.mkdir()
    for i, name in enumerate(["img10.png", "img2.jpg", "img1.png", "notes.txt"]):
        if name.endswith("txt"):
            (src / name).write_text("x")
        else:
            write_rgb(src / name, value=i)
    scene = _import(tmp_path, "images", src)
    assert scene.frame_names == ["img1.png", "img2.jpg", "img10.png"]
    assert scene.num_frames == 3 and not scene.has_depth
    assert scene.intrinsics[0, 0, 0] > 0 and np.allclose(scene.poses[0], np.eye(4))
    scene2 = import_frames(Project.open(tmp_path / "proj"), "t",
                           READERS["images"](src, stride=2))
    assert scene2.frame_names == ["img1.png", "img10.png"]


def test_image_folder_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        READERS["images"](tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="folder is empty"):
        READERS["images"](tmp_path / "empty")
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "a.txt").write_text("x")
    with pytest.raises(InputError, match="no .png/.jpg"):
        READERS["images"](tmp_path / "txt")
    with pytest.raises(InputError, match="--stride must be >= 1"):
        READERS["images"](tmp_path / "txt", stride=0)


def test_truncated_image_named_and_store_unchanged(tmp_path):
    src = tmp_path / "imgs"
    src.mkdir()
    write_rgb(src / "a.png")
    write_rgb(src / "b.png")
    data = (src / "b.png").read_bytes()
    (src / "b.png").write_bytes(data[: len(data) // 2])
    project = Project.create(tmp_path / "proj")
    before = tree_snapshot(project.path)
    with pytest.raises(InputError, match=r"b\.png: unreadable or truncated image"):
        import_frames(project, "s", READERS["images"](src))
    assert tree_snapshot(project.path) == before and project.scene_names() == []


def test_frames_of_different_sizes(tmp_path):
    src = tmp_path / "imgs"
    src.mkdir()
    write_rgb(src / "a.png", h=24, w=32)
    write_rgb(src / "b.png", h=20, w=32)
    with pytest.raises(InputError, match=r"b\.png: image is 32x20 but earlier frames are 32x24"):
        _import(tmp_path, "images", src)


# -- video -------------------------------------------------------------------------------
def test_video_stride_and_max_frames(tmp_path):
    import imageio.v3 as iio

    path = tmp_path / "clip.mp4"
    frames = np.stack([np.full((32, 48, 3), 20 * i, np.uint8) for i in range(7)])
    iio.imwrite(path, frames, plugin="FFMPEG", fps=10, macro_block_size=16)
    scene = _import(tmp_path, "video", path, stride=2)
    assert scene.num_frames == 4 and scene.image_size == (32, 48)
    assert abs(int(scene.rgb[1][..., 0].mean()) - 40) <= 3  # frame 2 of the clip
    scene = import_frames(Project.open(tmp_path / "proj"), "t",
                          READERS["video"](path, max_frames=2))
    assert scene.num_frames == 2


def test_broken_video(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"not a video at all" * 10)
    with pytest.raises(InputError, match="clip.mp4: cannot be read as a video") as info:
        READERS["video"](path)
    message = str(info.value)
    assert len(message) < 400 and "configuration:" not in message  # not ffmpeg's banner
    assert "Invalid data" in message
    with pytest.raises(InputError, match="no such video file"):
        READERS["video"](tmp_path / "none.mp4")


# -- 7-Scenes ----------------------------------------------------------------------------
def test_7scenes_layout(tmp_path):
    src = make_7scenes(tmp_path / "seq", n=4, suffix="jpg")
    scene = _import(tmp_path, "7scenes", src)
    assert scene.num_frames == 4 and scene.has_depth
    depth = scene.depth[0]
    assert math.isnan(depth[0, 0]) and depth[1, 1] == pytest.approx(1.5)
    assert scene.intrinsics[0, 0, 0] == 585.0  # dataset default without a file
    assert scene.poses[3, 0, 3] == pytest.approx(0.3)


def test_7scenes_intrinsics_file_and_65535(tmp_path):
    src = make_7scenes(tmp_path / "seq", n=2)
    (src / "camera-intrinsics.txt").write_text("500 0 16\n0 500 12\n0 0 1\n")
    Image.fromarray(np.full((24, 32), 65535, np.uint16)).save(src / "frame-000001.depth.png")
    scene = _import(tmp_path, "7scenes", src)
    assert scene.intrinsics[0, 0, 0] == 500.0
    assert np.isnan(scene.depth[1]).all()


def test_7scenes_depth_not_16bit(tmp_path):
    src = make_7scenes(tmp_path / "seq", n=2)
    Image.fromarray(np.full((24, 32), 9, np.uint8)).save(src / "frame-000001.depth.png")
    with pytest.raises(InputError, match=r"frame-000001\.depth\.png: depth PNG is L .*16-bit"):
        _import(tmp_path, "7scenes", src)


@pytest.mark.parametrize(
    "matrix, message",
    [
        (np.diag([2.0, 1, 1, 1]), "not a rigid transform"),
        (np.full((4, 4), np.nan), "NaN or Inf"),
        (np.eye(3), "must be 4x4"),
    ],
)
def test_7scenes_bad_pose(tmp_path, matrix, message):
    src = make_7scenes(tmp_path / "seq", n=2)
    (src / "frame-000001.pose.txt").write_text(pose_text(matrix))
    project = Project.create(tmp_path / "proj")
    before = tree_snapshot(project.path)
    with pytest.raises(InputError, match=message) as info:
        import_frames(project, "s", READERS["7scenes"](src))
    assert "frame-000001.pose.txt" in str(info.value)
    assert tree_snapshot(project.path) == before


def test_7scenes_singular_intrinsics(tmp_path):
    src = make_7scenes(tmp_path / "seq", n=1)
    (src / "camera-intrinsics.txt").write_text("0 0 16\n0 0 12\n0 0 1\n")
    with pytest.raises(InputError, match="intrinsics are singular"):
        _import(tmp_path, "7scenes", src)


def test_7scenes_count_mismatch(tmp_path):
    src = make_7scenes(tmp_path / "seq", n=3)
    (src / "frame-000002.pose.txt").unlink()
    with pytest.raises(InputError, match=r"counts do not match.*frame-000002\.pose\.txt"):
        READERS["7scenes"](src)


def test_7scenes_not_a_sequence(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.png").write_bytes(b"")
    with pytest.raises(InputError, match="no frame-NNNNNN.color"):
        READERS["7scenes"](tmp_path / "x")


# -- ScanNet -----------------------------------------------------------------------------
def _make_scannet(root, n=3):
    for sub in ("color", "depth", "pose", "intrinsic"):
        (root / sub).mkdir(parents=True)
    for i in range(n):
        write_rgb(root / "color" / f"{i}.jpg", h=48, w=64)
        write_depth16(root / "depth" / f"{i}.png")
        (root / "pose" / f"{i}.txt").write_text(pose_text(np.eye(4)))
    (root / "intrinsic" / "intrinsic_depth.txt").write_text(
        "30 0 16 0\n0 30 12 0\n0 0 1 0\n0 0 0 1\n")
    return root


def test_scannet_resizes_colour_to_depth(tmp_path):
    scene = _import(tmp_path, "scannet", _make_scannet(tmp_path / "scan", n=12))
    assert scene.image_size == (24, 32) and scene.num_frames == 12
    assert scene.frame_names[:3] == ["0.jpg", "1.jpg", "2.jpg"] and scene.frame_names[-1] == "11.jpg"
    assert scene.intrinsics[0, 0, 0] == 30


def test_scannet_bad_inputs(tmp_path):
    root = _make_scannet(tmp_path / "scan")
    (root / "depth" / "2.png").unlink()
    with pytest.raises(InputError, match="counts do not match"):
        READERS["scannet"](root)
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "color").mkdir()
    with pytest.raises(InputError, match="missing the depth/ folder"):
        READERS["scannet"](tmp_path / "half")
    root2 = _make_scannet(tmp_path / "scan2")
    (root2 / "pose" / "1.txt").write_text("-inf -inf -inf -inf\n" * 4)
    with pytest.raises(InputError, match=r"pose/1\.txt: the pose contains NaN or Inf"):
        _import(tmp_path, "scannet", root2)


# -- TUM ---------------------------------------------------------------------------------
def _make_tum(root, n=3):
    (root / "rgb").mkdir(parents=True)
    (root / "depth").mkdir()
    rgb_lines, depth_lines, gt_lines = ["# rgb"], ["# depth"], ["# gt"]
    for i in range(n):
        t = 100.0 + i * 0.1
        write_rgb(root / "rgb" / f"{t:.6f}.png")
        write_depth16(root / "depth" / f"{t + 0.005:.6f}.png", mm=5000)
        rgb_lines.append(f"{t:.6f} rgb/{t:.6f}.png")
        depth_lines.append(f"{t + 0.005:.6f} depth/{t + 0.005:.6f}.png")
        gt_lines.append(f"{t - 0.003:.4f} {i} 0 0 0 0 0 1")
    rgb_lines.append("200.000000 rgb/none.png")  # far from any depth: dropped
    (root / "rgb.txt").write_text("\n".join(rgb_lines))
    (root / "depth.txt").write_text("\n".join(depth_lines))
    (root / "groundtruth.txt").write_text("\n".join(gt_lines))
    return root


def test_tum_association(tmp_path):
    src = _make_tum(tmp_path / "tum")
    source = READERS["tum"](src)
    assert source.count == 3 and source.source["unmatched_rgb"] == 1
    scene = _import(tmp_path, "tum", src)
    assert scene.depth[0][1, 1] == pytest.approx(1.0)  # 5000 units per metre
    assert scene.poses[2, 0, 3] == pytest.approx(2.0)


def test_tum_quaternion():
    s = math.sqrt(0.5)
    T = pose_from_tum(("1", "2", "3", "0", "0", str(s), str(s)))  # 90 deg about z
    np.testing.assert_allclose(T[:3, :3] @ [1, 0, 0], [0, 1, 0], atol=1e-9)
    np.testing.assert_allclose(T[:3, 3], [1, 2, 3])


def test_tum_bad_inputs(tmp_path):
    src = _make_tum(tmp_path / "tum")
    (src / "groundtruth.txt").write_text("100.0 1 2 3\n")
    with pytest.raises(InputError, match=r"groundtruth.txt:1: expected 8 columns"):
        READERS["tum"](src)
    (src / "groundtruth.txt").unlink()
    with pytest.raises(InputError, match="groundtruth.txt: missing"):
        READERS["tum"](src)
    src2 = _make_tum(tmp_path / "tum2")
    (src2 / "depth.txt").write_text("5.0 depth/x.png\n")
    with pytest.raises(InputError, match="no rgb frame has depth"):
        READERS["tum"](src2)


def test_depth_registered_size_mismatch(tmp_path):
    src = make_7scenes(tmp_path / "seq", n=1)
    write_depth16(src / "frame-000000.depth.png", h=12, w=16)
    with pytest.raises(InputError, match="depth must be registered"):
        _import(tmp_path, "7scenes", src)
