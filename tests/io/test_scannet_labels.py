"""ScanNet's label-filt/ (16-bit ScanNet ids) imported as NYU40 ground truth."""

import numpy as np
import pytest
from PIL import Image

from rewis3d.errors import InputError
from rewis3d.io import READERS, import_frames
from rewis3d.io.scannet import LABEL_MAP_NAME, NYU40_CLASSES
from rewis3d.store import Project
from tests.conftest import tree_snapshot
from tests.io.test_readers import _make_scannet

# id, raw_category, category, count, nyu40id, eigen13id, nyuClass, nyu40class (a small excerpt
# in the layout of scannetv2-labels.combined.tsv; ids and names made up for the test)
TSV = (
    "id\traw_category\tcategory\tcount\tnyu40id\teigen13id\tnyuClass\tnyu40class\n"
    "1\twall\twall\t8277\t1\t12\twall\twall\n"
    "2\tchair\tchair\t4646\t5\t4\tchair\tchair\n"
    "40\tfloor mat\tmat\t30\t20\t13\tfloor mat\tfloor mat\n"
    "1163\tstick\tstick\t1\t0\t0\t\t\n"
)


def _label_image(h=48, w=64):
    """16-bit ScanNet ids in 2x2 blocks at the colour resolution (64x48 -> 32x24 depth)."""
    small = np.zeros((h // 2, w // 2), np.uint16)
    small[:, :8], small[:, 8:16], small[:, 16:24], small[:4, 24:] = 1, 2, 40, 1163
    return small.repeat(2, 0).repeat(2, 1), small


def _scan_with_labels(tmp_path, n=3, labelled=(0, 2)):
    root = _make_scannet(tmp_path / "scans" / "scene0000_00", n=n)
    (root / "label-filt").mkdir()
    full, _ = _label_image()
    for i in labelled:
        Image.fromarray(full).save(root / "label-filt" / f"{i}.png")
    (tmp_path / "scans" / LABEL_MAP_NAME).write_text(TSV)  # one folder above the scan
    return root


def test_label_filt_becomes_nyu40_gt(tmp_path):
    root = _scan_with_labels(tmp_path)
    project = Project.create(tmp_path / "proj", ["chair", "mine"])
    source = READERS["scannet"](root)
    assert source.classes == NYU40_CLASSES and source.source["labelled_frames"] == 2
    scene = import_frames(project, "s", source)
    names = [c.name for c in Project.open(project.path).classes]
    assert names[:2] == ["chair", "mine"] and len(names) == 2 + 39  # chair reused
    assert names[2:4] == ["wall", "floor"]
    wall, chair, mat = names.index("wall"), names.index("chair"), names.index("floor mat")
    _, small = _label_image()
    expected = np.full((24, 32), 255, np.uint8)
    expected[small == 1], expected[small == 2], expected[small == 40] = wall, chair, mat
    expected[small == 1163] = 255  # nyu40id 0: no label
    gt = np.asarray(scene.gt[:])
    np.testing.assert_array_equal(gt[0], expected)
    np.testing.assert_array_equal(gt[2], expected)
    assert (gt[1] == 255).all()  # no label file for frame 1


def test_label_map_given_and_no_labels(tmp_path):
    root = _scan_with_labels(tmp_path)
    tsv = tmp_path / "scans" / LABEL_MAP_NAME
    moved = tmp_path / "elsewhere.tsv"
    tsv.rename(moved)
    scene = import_frames(Project.create(tmp_path / "p1"), "s",
                          READERS["scannet"](root, label_map=moved))
    assert scene.has_gt and int(scene.gt[0][0, 0]) == NYU40_CLASSES.index("wall")
    project = Project.create(tmp_path / "p2")
    scene = import_frames(project, "s", READERS["scannet"](root, labels=False))
    assert not scene.has_gt and project.classes == []


def test_label_filt_without_tsv_is_a_clear_error(tmp_path):
    root = _scan_with_labels(tmp_path)
    (tmp_path / "scans" / LABEL_MAP_NAME).unlink()
    with pytest.raises(InputError) as info:
        READERS["scannet"](root)
    assert str(info.value) == (
        f"{root / 'label-filt'}: holds ScanNet label ids, which need {LABEL_MAP_NAME} (from the "
        f"ScanNet release) to become NYU40 classes; put it in {root} or a folder above it, pass "
        "--label-map FILE, or pass --no-labels to import without labels")
    with pytest.raises(InputError, match="label map not found"):
        READERS["scannet"](root, label_map=tmp_path / "none.tsv")


def test_bad_tsv_and_unknown_id_leave_project_unchanged(tmp_path):
    root = _scan_with_labels(tmp_path)
    tsv = tmp_path / "scans" / LABEL_MAP_NAME
    tsv.write_text("id\tname\n1\twall\n")
    with pytest.raises(InputError, match=r"not a ScanNet label map: no nyu40id column"):
        READERS["scannet"](root)
    tsv.write_text(TSV.replace("40\tfloor mat", "41\tfloor mat"))  # id 40 now unknown
    project = Project.create(tmp_path / "proj", ["chair"])
    before = tree_snapshot(project.path)
    with pytest.raises(InputError) as info:
        import_frames(project, "s", READERS["scannet"](root))
    assert str(info.value) == (
        f"{root / 'label-filt' / '0.png'}: ScanNet label id 40 is not in {tsv}; use the "
        f"{LABEL_MAP_NAME} of the ScanNet release the labels come from")
    assert tree_snapshot(project.path) == before  # the NYU40 classes were taken back
    assert [c.name for c in Project.open(project.path).classes] == ["chair"]


def test_label_filt_without_files_for_imported_frames(tmp_path):
    root = _scan_with_labels(tmp_path, labelled=())
    with pytest.raises(InputError, match=r"label-filt: no N.png label file for any imported "
                                         r"frame .*--no-labels"):
        READERS["scannet"](root)
