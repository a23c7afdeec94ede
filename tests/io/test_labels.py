"""`import_label_maps`: PNG label maps into a scene's gt or annotations, and every broken input."""

import numpy as np
import pytest
from PIL import Image

from rewis3d.errors import InputError, StoreError
from rewis3d.io import labels as labels_module
from rewis3d.io.label_maps import name_key, parse_id_map
from rewis3d.io.labels import import_label_maps
from rewis3d.store import Project
from tests.conftest import tree_snapshot

H, W = 12, 16  # the tiny_project scene's frame size


def grey8(path, values):
    Image.fromarray(np.asarray(values, np.uint8)).save(path)


def grey16(path, values):
    Image.fromarray(np.asarray(values, np.uint16)).save(path)


def palette(path, indices):
    img = Image.fromarray(np.asarray(indices, np.uint8), mode="L").convert("P")
    img.putdata(np.asarray(indices, np.uint8).ravel().tolist())  # indices stay as given
    img.putpalette([(i * 37) % 256 for i in range(768)])  # colours unrelated to the ids
    img.save(path)


def labels(*pattern, fill=255):
    """(H, W) u8: column block i of width 4 gets pattern[i]."""
    out = np.full((H, W), fill, np.uint8)
    for i, value in enumerate(pattern):
        out[:, 4 * i : 4 * i + 4] = value
    return out


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "labels"
    path.mkdir()
    return path


def _gt(project, scene="s"):
    return np.asarray(Project.open(project.path).scene(scene).gt[:])


# -- good imports ------------------------------------------------------------------------
def test_gt_by_name_grey8(tiny_project, folder):
    expected = [labels(0, 1), labels(2, 255, 0), labels()]
    for i, lab in enumerate(expected):
        grey8(folder / f"f{i}.png", lab)
    result = import_label_maps(tiny_project, "s", folder, "gt")
    assert result.matched_by == "name" and result.pairs == [(0, "f0.png"), (1, "f1.png"),
                                                              (2, "f2.png")]
    assert result.labelled_pixels == 2 * 48 + 2 * 48
    np.testing.assert_array_equal(_gt(tiny_project), np.stack(expected))
    scene = Project.open(tiny_project.path).scene("s")
    assert scene.annotations.labelled_frames() == []  # gt is not training labels


def test_by_name_subset_role_tag_and_frames_left_alone(tiny_project, folder):
    grey8(folder / "f2.label.png", labels(1))
    result = import_label_maps(tiny_project, "s", folder, "gt")
    assert result.pairs == [(2, "f2.label.png")]
    gt = _gt(tiny_project)
    assert (gt[:2] == 255).all()  # no file: no ground truth there
    np.testing.assert_array_equal(gt[2], labels(1))
    # a second import of frame 0 keeps frame 2's gt
    (folder / "f2.label.png").unlink()
    grey8(folder / "f0.png", labels(2))
    import_label_maps(tiny_project, "s", folder, "gt")
    gt = _gt(tiny_project)
    np.testing.assert_array_equal(gt[0], labels(2))
    np.testing.assert_array_equal(gt[2], labels(1))


def test_by_sorted_order_natural(tiny_project, folder):
    for name, value in [("img10.png", 2), ("img2.png", 1), ("img1.png", 0)]:
        grey8(folder / name, labels(value))
    result = import_label_maps(tiny_project, "s", folder, "gt")
    assert result.matched_by == "order"
    assert result.pairs == [(0, "img1.png"), (1, "img2.png"), (2, "img10.png")]
    assert [int(f[0, 0]) for f in _gt(tiny_project)] == [0, 1, 2]


def test_palette_indices_not_colours(tiny_project, folder):
    for i in range(3):
        palette(folder / f"f{i}.png", labels(i, 255))
    assert Image.open(folder / "f1.png").mode == "P"
    import_label_maps(tiny_project, "s", folder, "gt")
    np.testing.assert_array_equal(_gt(tiny_project)[1], labels(1, 255))


def test_grey16_with_map(tiny_project, folder):
    raw = np.zeros((H, W), np.uint16)
    raw[:, :4], raw[:, 4:8] = 1000, 2000
    grey16(folder / "f0.png", raw)
    assert Image.open(folder / "f0.png").mode.startswith("I;16")
    result = import_label_maps(tiny_project, "s", folder, "gt", id_map="1000:2, 2000:0, 0:ignore")
    np.testing.assert_array_equal(_gt(tiny_project)[0], labels(2, 0))
    assert result.labelled_pixels == 96


def test_ignore_value(tiny_project, folder):
    grey8(folder / "f0.png", labels(1, 2, fill=0))
    import_label_maps(tiny_project, "s", folder, "gt", ignore=0)
    np.testing.assert_array_equal(_gt(tiny_project)[0], labels(1, 2))
    # with --ignore 0, 255 is an ordinary (unknown) id
    grey8(folder / "f0.png", labels(1, 255, fill=0))
    with pytest.raises(InputError, match=r"label id 255 is not a class of the project "
                                         r"\(ids 0..2\) \(--ignore 0 = unlabelled\)"):
        import_label_maps(tiny_project, "s", folder, "gt", ignore=0, on_existing="replace")


def test_classes_file_by_name_and_add_classes(tiny_project, folder, tmp_path):
    classes = tmp_path / "classes.txt"
    classes.write_text("unlabelled\nsky\nroad\ntree\nunused-name\n")  # tiny_project: road car sky
    grey8(folder / "f0.png", labels(1, 2, 0))
    import_label_maps(tiny_project, "s", folder, "gt", classes_file=classes, id_map="0:255")
    np.testing.assert_array_equal(_gt(tiny_project)[0], labels(2, 0, 255))
    assert [c.name for c in Project.open(tiny_project.path).classes] == ["road", "car", "sky"]

    grey8(folder / "f0.png", labels(3, 1))
    before = tree_snapshot(tiny_project.path)
    with pytest.raises(InputError) as info:
        import_label_maps(tiny_project, "s", folder, "gt", classes_file=classes, id_map="0:255",
                          on_existing="replace")
    assert str(info.value) == (
        f"{classes} (classes used by the label maps): 1 class(es) are not in the project: "
        f"'tree'; add them with `rewis3d classes {tiny_project.path} add tree` (one per class), "
        "or pass --add-classes to add them all")
    assert tree_snapshot(tiny_project.path) == before
    result = import_label_maps(tiny_project, "s", folder, "gt", classes_file=classes,
                               id_map="0:255", add_classes=True, on_existing="replace")
    assert result.added_classes == ["tree"]
    project = Project.open(tiny_project.path)
    assert [c.name for c in project.classes] == ["road", "car", "sky", "tree"]
    np.testing.assert_array_equal(_gt(tiny_project)[0], labels(3, 2))


def test_annotations_journalled_refuse_merge_replace(tiny_project, folder):
    tiny_project.scene("s").annotations.add_stroke(1, 2, np.array([[0, 15], [11, 15]]))
    grey8(folder / "f0.png", labels(0, 1))
    grey8(folder / "f1.png", labels(1))
    before = tree_snapshot(tiny_project.path)
    with pytest.raises(InputError) as info:
        import_label_maps(tiny_project, "s", folder, "annotations")
    assert str(info.value) == (
        "scene 's' already has annotations on 1 of the 2 frames to import (first: frame 1 "
        "'f1'); pass --replace to replace them with the files' labels, or --merge to draw the "
        "files' labels over them")
    assert tree_snapshot(tiny_project.path) == before

    import_label_maps(tiny_project, "s", folder, "annotations", on_existing="merge")
    ann = Project.open(tiny_project.path).scene("s").annotations
    np.testing.assert_array_equal(ann.frame(0), labels(0, 1))
    merged = labels(1)
    merged[[0, 11], 15] = 2  # the stroke survives where the file is unlabelled
    np.testing.assert_array_equal(ann.frame(1), merged)
    assert [e.get("source") for e in ann.journal()] == [
        None, "import-labels:f0.png", "import-labels:f1.png"]
    assert (ann.frame(2) == 255).all()

    import_label_maps(tiny_project, "s", folder, "annotations", on_existing="replace")
    ann = Project.open(tiny_project.path).scene("s").annotations
    np.testing.assert_array_equal(ann.frame(1), labels(1))
    assert not Project.open(tiny_project.path).scene("s").has_gt


def test_gt_existing_refused_then_replaced(tiny_project, folder):
    grey8(folder / "f0.png", labels(0))
    import_label_maps(tiny_project, "s", folder, "gt")
    grey8(folder / "f0.png", labels(255, 1))
    with pytest.raises(InputError, match=r"already has ground truth on 1 of the 1 frames .*"
                                         r"frame 0 'f0'"):
        import_label_maps(tiny_project, "s", folder, "gt")
    import_label_maps(tiny_project, "s", folder, "gt", on_existing="merge")
    np.testing.assert_array_equal(_gt(tiny_project)[0], labels(0, 1))
    import_label_maps(tiny_project, "s", folder, "gt", on_existing="replace")
    np.testing.assert_array_equal(_gt(tiny_project)[0], labels(255, 1))


def test_skip_unmatched(tiny_project, folder):
    for name in ("f0.png", "f1.png", "f7.png", "f9.png"):  # f7, f9: frames left out by --stride
        grey8(folder / name, labels(1))
    result = import_label_maps(tiny_project, "s", folder, "gt", skip_unmatched=True)
    assert result.pairs == [(0, "f0.png"), (1, "f1.png")] and result.skipped == ["f7.png",
                                                                                   "f9.png"]


def test_name_key():
    assert name_key("frame-000001.color.png") == name_key("frame-000001.label.png") == \
        name_key("frame-000001.png") == "frame-000001"
    assert name_key("1305031102.175304.png") == "1305031102.175304"  # TUM timestamps keep dots
    assert name_key("0.jpg") == "0"
    assert parse_id_map("1:2, 3:ignore,4:255") == {1: 2, 3: 65535, 4: 65535}


# -- broken inputs: exact message, store unchanged -------------------------------------------
def _broken(folder, tmp_path, case):
    """Write the folder for ``case``; returns (kwargs, expected message)."""
    good = labels(1)
    if case == "wrong size":
        grey8(folder / "f0.png", good)
        grey8(folder / "f1.png", np.zeros((H, W + 2), np.uint8))
        return {}, (f"{folder / 'f1.png'}: is 18x12 but the frames of scene 's' are 16x12; a "
                    "label map must have its frame's size (resize it with nearest-neighbour, "
                    "never bilinear, which invents ids)")
    if case == "unknown id":
        grey8(folder / "f0.png", good)
        grey8(folder / "f2.png", labels(1, 9, 4))
        return {}, (f"{folder / 'f2.png'}: label id 4 is not a class of the project (ids 0..2) "
                    "(--ignore 255 = unlabelled); add the missing classes (`rewis3d classes "
                    "PROJECT add NAME`), remap it with --map 4:NEW (NEW 255 = unlabelled), or "
                    "name the file's ids with --classes classes.txt")
    if case == "id beyond classes file":
        grey8(folder / "f0.png", labels(0, 3, 2))
        return {"id_map": "2:0", "classes_file": _classes(tmp_path, "road")}, (
            f"{folder / 'f0.png'}: label id 3 has no line in {tmp_path / 'classes.txt'} (1 lines "
            "name ids 0..0); add a line for it or remap it with --map 3:NEW (NEW 255 = unlabelled)")
    if case == "map to no line":
        grey8(folder / "f0.png", good)
        return {"id_map": "1:1", "classes_file": _classes(tmp_path, "road")}, (
            f"--map 1:1: 1 is not an id named in {tmp_path / 'classes.txt'} (0..0) nor 255")
    if case == "too many files":
        for name in ("a.png", "b.png", "c.png", "d.png"):
            grey8(folder / name, good)
        return {}, (f"{folder / 'd.png'}: one label file too many: 4 label files for the 3 "
                    "frames of scene 's', and no file is named after a frame; remove the extra "
                    "files or name each file after its frame")
    if case == "too few files":
        grey8(folder / "a.png", good)
        return {}, (f"{folder}: no label file is named after a frame of scene 's', so the files "
                    "would be matched by sorted order, which needs one file per frame: 1 files "
                    "for 3 frames. Name each file after its frame (e.g. f0.png)")
    if case == "unmatched name":
        grey8(folder / "f0.png", good)
        grey8(folder / "f5.png", good)
        return {}, (f"{folder / 'f5.png'}: matches no frame of scene 's' (1 of 2 label files do "
                    "not; frames are named like f0, f1, f2). Name each file after its frame, or "
                    "pass --skip-unmatched to skip label files of frames that are not in the "
                    "scene (e.g. a scene imported with --stride)")
    if case == "two files one frame":
        grey8(folder / "f0.png", good)
        grey8(folder / "f0.label.png", good)
        return {}, (f"{folder / 'f0.png'}: labels the same frame as f0.label.png; keep one of "
                    "the two files")
    if case == "unreadable png":
        grey8(folder / "f0.png", good)
        grey8(folder / "f1.png", good)
        data = (folder / "f1.png").read_bytes()
        (folder / "f1.png").write_bytes(data[: len(data) // 2])
        return {}, f"{folder / 'f1.png'}: unreadable or truncated PNG"
    if case == "rgb png":
        Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "f0.png")
        return {}, (f"{folder / 'f0.png'}: is a RGB image; a label map holds one class id per "
                    "pixel: a palette-mode PNG (ids = palette indices) or an 8/16-bit greyscale "
                    "PNG. Convert colour-coded labels to ids first")
    if case == "jpeg named png":
        Image.fromarray(np.zeros((H, W), np.uint8)).save(folder / "f0.png", format="JPEG")
        return {}, (f"{folder / 'f0.png'}: is a JPEG file, not a PNG; label maps must be "
                    "lossless PNGs (JPEG compression would change the ids); re-export it as PNG")
    if case == "missing folder":
        return {"src": folder / "nope"}, (
            f"{folder / 'nope'}: no such folder (a folder of PNG label maps, one per frame); "
            "check the path")
    if case == "no pngs":
        (folder / "f0.jpg").write_bytes(b"x")
        return {}, (f"{folder}: no .png label maps (found 1 other files: f0.jpg); label maps "
                    "must be PNGs named after their frames")
    if case == "bad map":
        grey8(folder / "f0.png", good)
        return {"id_map": "3-4"}, ("--map: '3-4' is not OLD:NEW (e.g. --map 0:255,7:3; NEW 255 "
                                   "or 'ignore' = unlabelled)")
    if case == "map to no class":
        grey8(folder / "f0.png", good)
        return {"id_map": "1:7"}, ("--map 1:7: 7 is not a class of the project (ids 0..2) nor "
                                   "255")
    if case == "classes file missing":
        grey8(folder / "f0.png", good)
        return {"classes_file": tmp_path / "none.txt"}, (
            f"{tmp_path / 'none.txt'}: classes file not found (--classes); check the path")
    raise AssertionError(case)


def _classes(tmp_path, *names):
    (tmp_path / "classes.txt").write_text("\n".join(names) + "\n")
    return tmp_path / "classes.txt"


@pytest.mark.parametrize("target", ["gt", "annotations"])
@pytest.mark.parametrize("case", [
    "wrong size", "unknown id", "id beyond classes file", "map to no line", "too many files", "too few files",
    "unmatched name", "two files one frame", "unreadable png", "rgb png", "jpeg named png",
    "missing folder", "no pngs", "bad map", "map to no class", "classes file missing",
])
def test_broken_input_leaves_store_unchanged(tiny_project, folder, tmp_path, case, target):
    kwargs, message = _broken(folder, tmp_path, case)
    src = kwargs.pop("src", folder)
    before = tree_snapshot(tiny_project.path)
    with pytest.raises(InputError) as info:
        import_label_maps(tiny_project, "s", src, target, **kwargs)
    assert str(info.value).startswith(message), str(info.value)
    assert tree_snapshot(tiny_project.path) == before
    assert not list(tiny_project.staging.iterdir())  # no scratch left behind


def test_unknown_scene(tiny_project, folder):
    grey8(folder / "f0.png", labels(1))
    with pytest.raises(StoreError, match=r"has no scene 'x' \(scenes: s\)"):
        import_label_maps(tiny_project, "x", folder, "gt")


def test_failed_write_restores_added_classes(tiny_project, folder, tmp_path, monkeypatch):
    grey8(folder / "f0.png", labels(0))
    before = tree_snapshot(tiny_project.path)

    def broken_write(project, *args):
        assert [c.name for c in project.classes][-1] == "new"  # added before the write
        raise OSError("disk full")

    monkeypatch.setattr(labels_module, "_write_gt", broken_write)
    with pytest.raises(OSError, match="disk full"):
        import_label_maps(tiny_project, "s", folder, "gt", add_classes=True,
                          classes_file=_classes(tmp_path, "new"))
    assert tree_snapshot(tiny_project.path) == before
    assert [c.name for c in Project.open(tiny_project.path).classes] == ["road", "car", "sky"]
