import json

import numpy as np
import pytest

from rewis3d.errors import StoreValidationError
from rewis3d.store import Project
from rewis3d.store.annotations import APPLIED_KEY, JOURNAL, decode_runs, encode_runs


def test_runs_roundtrip():
    idx = np.array([5, 1, 2, 3, 9, 10, 2])
    assert encode_runs(idx) == [1, 3, 5, 1, 9, 2]
    np.testing.assert_array_equal(decode_runs(encode_runs(idx)), [1, 2, 3, 5, 9, 10])
    assert encode_runs(np.array([], dtype=int)) == []


def test_stroke_persists_across_reopen(tiny_project):
    ann = tiny_project.scene("s").annotations
    seq = ann.add_stroke(1, 2, np.array([[0, 0], [0, 1], [5, 7], [99, 99]]))  # last is outside
    mask = np.zeros((12, 16), bool)
    mask[3:5, 3:5] = True
    ann.add_stroke(2, 0, mask)
    assert seq == 1
    again = Project.open(tiny_project.path).scene("s").annotations
    labels = again.frame(1)
    assert labels[0, 0] == labels[0, 1] == labels[5, 7] == 2
    assert (labels != 255).sum() == 3
    assert again.labelled_counts() == {1: 3, 2: 4}
    assert again.labelled_frames() == [1, 2]


def test_eraser_and_bulk_set(tiny_project):
    ann = tiny_project.scene("s").annotations
    ann.add_stroke(0, 1, np.array([[1, 1], [1, 2]]))
    ann.add_stroke(0, 255, np.array([[1, 1]]))
    assert (ann.frame(0) != 255).sum() == 1
    full = np.full((12, 16), 255, np.uint8)
    full[:2] = 0
    ann.set_frame(0, full)
    np.testing.assert_array_equal(ann.frame(0), full)
    ann.clear()
    assert ann.labelled_frames() == []


def test_bad_strokes_rejected_and_nothing_written(tiny_project):
    ann = tiny_project.scene("s").annotations
    with pytest.raises(StoreValidationError, match="class id 7 is outside the class list"):
        ann.add_stroke(0, 7, np.array([[0, 0]]))
    with pytest.raises(StoreValidationError, match="frame 3 is out of range"):
        ann.add_stroke(3, 0, np.array([[0, 0]]))
    with pytest.raises(StoreValidationError, match="expected"):
        ann.set_frame(0, np.zeros((5, 5), np.uint8))
    bad = np.zeros((12, 16), np.uint8)
    bad[0, 0] = 9
    with pytest.raises(StoreValidationError, match="class id 9"):
        ann.set_frame(0, bad)
    assert ann.labelled_frames() == [] and ann.journal() == []


def test_recover_replays_strokes_the_array_missed(tiny_project):
    """Simulate a kill after the journal append but before the chunk write."""
    ann = tiny_project.scene("s").annotations
    ann.add_stroke(0, 1, np.array([[0, 0]]))
    entry = {"seq": 2, "frame": 1, "class": 2, "tool": "brush", "runs": [17, 3]}
    with open(ann.path / JOURNAL, "a") as fh:
        fh.write(json.dumps(entry) + "\n")
        fh.write('{"seq": 3, "frame": 1, "cl')  # torn last line: a kill mid-append
    scene = Project.open(tiny_project.path).scene("s")  # open runs recover()
    labels = scene.annotations.frame(1).reshape(-1)
    assert list(labels[17:20]) == [2, 2, 2] and labels[16] == 255
    assert scene.annotations.labels.attrs[APPLIED_KEY] == 2
    # the next stroke is appended on a fresh line and gets the next number
    assert scene.annotations.add_stroke(2, 0, np.array([[0, 0]])) == 3
    with pytest.warns(UserWarning, match="corrupt journal line 3"):
        assert [e["seq"] for e in scene.annotations.journal()] == [1, 2, 3]


WRITER = """
import sys
import numpy as np
from rewis3d.store import Project
scene = Project.open(sys.argv[1]).scene("s")
offset = int(sys.argv[2])
for i in range(150):
    pixel = offset + i  # each stroke its own pixel of frame 0 (a 12x16 frame has 192)
    scene.annotations.add_stroke(0, 1 + offset // 96, np.array([[pixel // 16, pixel % 16]]))
"""


def test_two_processes_writing_strokes_lose_none(tiny_project):
    """150 + 150 acknowledged strokes on one frame, written at the same time, all end up in
    the labels and the journal, each under its own sequence number."""
    import subprocess
    import sys

    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tiny_project.path), str(offset)])
             for offset in (0, 96)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    from rewis3d.store import Project

    annotations = Project.open(tiny_project.path).scene("s").annotations
    journal = annotations.journal()
    seqs = [e["seq"] for e in journal]
    assert seqs == list(range(1, 301))  # every stroke journalled, each number once, in order
    assert sorted(e["class"] for e in journal) == [1] * 150 + [2] * 150
    replayed = np.full(12 * 16, 255, np.uint8)  # the journal in order: what must be stored
    for entry in journal:
        replayed[decode_runs(entry["runs"])] = entry["class"]
    labels = annotations.frame(0).reshape(-1)
    np.testing.assert_array_equal(labels, replayed)
    assert (labels[:96] == 1).all() and (labels[150:] == 2).all()  # written by one writer only


def test_a_stroke_whose_label_write_fails_says_it_is_journalled_and_is_applied_on_reopen(
        tiny_project, monkeypatch):
    import errno

    from rewis3d.errors import StoreError
    from rewis3d.store.annotations import Annotations

    annotations = tiny_project.scene("s").annotations

    def disk_full(self, entry):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Annotations, "_apply", disk_full)
    with pytest.raises(StoreError, match="saved in the journal .* applied when the project is "
                                          "opened again"):
        annotations.add_stroke(1, 2, np.array([[3, 4]]))
    monkeypatch.undo()
    reopened = Project.open(tiny_project.path).scene("s").annotations
    assert reopened.frame(1)[3, 4] == 2  # the promise holds
