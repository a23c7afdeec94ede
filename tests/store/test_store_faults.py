"""Faults the store must survive: kills mid-stroke, corrupt chunks, concurrent read/write."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from rewis3d.errors import StoreValidationError
from rewis3d.store import Project

STROKER = textwrap.dedent("""
    import sys
    import numpy as np
    from rewis3d.store import Project
    ann = Project.open(sys.argv[1]).scene("s").annotations
    for i in range(10_000):
        frame, pixel = i % 3, (i // 3) % (12 * 16)
        seq = ann.add_stroke(frame, i % 3, np.array([[pixel // 16, pixel % 16]]))
        print(i, seq, flush=True)
""")


@pytest.mark.parametrize("kill_after", [3, 17, 40])
def test_sigkill_mid_strokes_keeps_every_completed_stroke(tiny_project, kill_after):
    proc = subprocess.Popen([sys.executable, "-c", STROKER, str(tiny_project.path)],
                            stdout=subprocess.PIPE, text=True)
    done = []
    for line in proc.stdout:
        done.append(int(line.split()[0]))
        if len(done) >= kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    proc.stdout.close()
    ann = Project.open(tiny_project.path).scene("s").annotations
    frames = [ann.frame(f) for f in range(3)]
    for i in done:
        pixel = (i // 3) % (12 * 16)
        assert frames[i % 3][pixel // 16, pixel % 16] == i % 3, f"stroke {i} lost"
    assert len(ann.journal()) >= len(done)


def test_corrupt_chunk_gives_a_clear_error_and_other_frames_read(tiny_project):
    chunk = tiny_project.store_path / "scenes" / "s" / "frames" / "rgb" / "c" / "1" / "0" / "0" / "0"
    assert chunk.is_file()
    chunk.write_bytes(chunk.read_bytes()[:10])  # truncated
    scene = Project.open(tiny_project.path).scene("s")
    with pytest.raises(StoreValidationError, match=r"frames/rgb: cannot read index 1 .*truncated"):
        scene.rgb[1]
    assert scene.rgb[0].shape == (12, 16, 3) and scene.rgb[2].shape == (12, 16, 3)


READER = textwrap.dedent("""
    import sys
    import numpy as np
    from rewis3d.store import Project
    labels = Project.open(sys.argv[1]).scene("s").annotations.labels
    torn = 0
    for _ in range(400):
        frame = labels[0]
        torn += int(len(np.unique(frame)) != 1)
    print(torn)
""")


def test_a_reader_never_sees_a_torn_frame(tiny_project):
    ann = tiny_project.scene("s").annotations
    ann.set_frame(0, np.zeros((12, 16), np.uint8))
    reader = subprocess.Popen([sys.executable, "-c", READER, str(tiny_project.path)],
                              stdout=subprocess.PIPE, text=True)
    value = 0
    while reader.poll() is None:
        value = 1 - value
        ann.set_frame(0, np.full((12, 16), value, np.uint8))
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0 and int(out) == 0


def test_full_disk_while_writing_predictions_keeps_the_previous_ones(tiny_project, monkeypatch):
    import errno

    import zarr.storage._local as local

    scene = tiny_project.scene("s")
    with scene.prediction_writer("run") as w:
        for f in range(3):
            w.write(f, np.full((12, 16), 1, np.uint8), np.full((12, 16), 0.9, np.float32))
    real_put, calls = local._put, {"n": 0}

    def put_until_full(path, value, exclusive=False):
        calls["n"] += 1
        if calls["n"] > 4:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_put(path, value, exclusive=exclusive)

    monkeypatch.setattr(local, "_put", put_until_full)
    with pytest.raises(OSError, match="No space left"), scene.prediction_writer("run") as w:
        for f in range(3):
            w.write(f, np.full((12, 16), 2, np.uint8), np.full((12, 16), 0.1, np.float32))
    monkeypatch.undo()
    pred = Project.open(tiny_project.path).scene("s").predictions("run")
    assert all(int(pred.labels[f].max()) == 1 for f in range(3))
    assert float(pred.confidence[2].min()) == pytest.approx(0.9)
    assert not any(tiny_project.staging.iterdir())


def test_a_deleted_frame_chunk_is_an_error_not_a_black_frame(tmp_path):
    """Every frame chunk is written at import (black frames and depth-less frames too), so a
    missing chunk file can only be damage: reading it says so instead of returning zeros."""
    import shutil

    from rewis3d.errors import StoreValidationError
    from rewis3d.store import Project

    project = Project.create(tmp_path / "p", ["a"])
    K = np.array([[20.0, 0, 8], [0, 20, 6], [0, 0, 1]])
    with project.scene_writer("s") as writer:
        for _ in range(3):
            writer.append(rgb=np.zeros((12, 16, 3), np.uint8), intrinsics=K, pose=np.eye(4),
                          depth=np.full((12, 16), np.nan, np.float32))
    scene = Project.open(tmp_path / "p").scene("s")
    assert (np.asarray(scene.rgb[1]) == 0).all() and np.isnan(np.asarray(scene.depth[2])).all()
    shutil.rmtree(scene.path / "frames" / "rgb" / "c" / "1")
    scene = Project.open(tmp_path / "p").scene("s")
    with pytest.raises(StoreValidationError, match=r"rgb: the data of index 1 is missing"):
        scene.rgb[1]
    with pytest.raises(StoreValidationError, match="index 1 is missing"):
        scene.rgb[0:3]
    assert scene.rgb[2].shape == (12, 16, 3)  # the other frames still read


def test_a_scene_without_its_zarr_json_is_reported_as_damaged_not_hidden(tiny_project):
    from click.testing import CliRunner

    from rewis3d.cli import main
    from rewis3d.errors import StoreError, StoreValidationError
    from rewis3d.store import Project

    (tiny_project.path / "rewis3d.zarr" / "scenes" / "s" / "zarr.json").unlink()
    project = Project.open(tiny_project.path)
    assert project.scene_names() == [] and project.damaged_scene_names() == ["s"]
    with pytest.raises(StoreValidationError, match="the scene's zarr.json is missing"):
        project.scene("s")
    info = CliRunner().invoke(main, ["info", str(tiny_project.path)]).output
    assert "s: DAMAGED, its zarr.json is missing" in info
    with pytest.raises(StoreError, match="is a damaged scene .* pass --overwrite"), \
            project.scene_writer("s"):
        pass
