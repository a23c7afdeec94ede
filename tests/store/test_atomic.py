"""The one write-aside implementation: a failed write leaves the old version whole, a finished
one replaces it, and staging leftovers of dead writers (only) are removed."""

from __future__ import annotations

import os

import pytest

from rewis3d.store.atomic import (
    clean_staged_siblings,
    staging_name,
    write_aside,
    write_bytes_atomic,
)


def _fill(folder, text):
    (folder / "a.txt").write_text(text)
    (folder / "sub").mkdir()
    (folder / "sub" / "b.txt").write_text(text)


def test_a_folder_is_replaced_whole_and_no_staging_entry_is_left(tmp_path):
    final = tmp_path / "group"
    for text in ("old", "new"):
        with write_aside(final, directory=True) as stage:
            assert stage.parent == tmp_path and stage.name.startswith(".group.")
            _fill(stage, text)
    assert (final / "a.txt").read_text() == "new" and (final / "sub" / "b.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["group"]


def test_a_write_that_fails_midway_leaves_the_old_version(tmp_path):
    final = tmp_path / "group"
    with write_aside(final, directory=True) as stage:
        _fill(stage, "old")
    with pytest.raises(RuntimeError), write_aside(final, directory=True) as stage:
        (stage / "a.txt").write_text("half")
        raise RuntimeError("killed")
    assert (final / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["group"]


def test_without_overwrite_an_existing_target_is_refused_and_kept(tmp_path):
    final = tmp_path / "group"
    with write_aside(final, directory=True) as stage:
        _fill(stage, "old")
    with pytest.raises(FileExistsError), write_aside(final, directory=True,
                                                     overwrite=False) as stage:
        _fill(stage, "new")
    assert (final / "a.txt").read_text() == "old"


def test_a_file_and_a_folder_the_block_makes(tmp_path):
    write_bytes_atomic(tmp_path / "f.json", b"1")
    write_bytes_atomic(tmp_path / "f.json", b"2")
    assert (tmp_path / "f.json").read_bytes() == b"2"
    with write_aside(tmp_path / "made") as stage:
        assert not stage.exists()
        stage.mkdir()
        _fill(stage, "x")
    assert (tmp_path / "made" / "a.txt").read_text() == "x"


def test_the_replaced_folder_waits_at_old_until_the_new_one_is_in_place(tmp_path):
    final, old = tmp_path / "step", tmp_path / "step.old"
    with write_aside(final, directory=True) as stage:
        _fill(stage, "first")
    with write_aside(final, directory=True, old=old) as stage:
        _fill(stage, "second")
        assert not old.exists()  # moved only once the new one is complete
    assert not old.exists() and (final / "a.txt").read_text() == "second"


def test_cleaning_removes_dead_writers_leftovers_and_keeps_live_ones(tmp_path):
    final = tmp_path / "group"
    dead = tmp_path / f".group.{2 ** 22 + 12345}@{staging_name('x').split('@')[1]}"
    dead.mkdir()
    live = tmp_path / staging_name(".group")  # this process
    live.mkdir()
    trash = tmp_path / f".trash-group.{2 ** 22 + 12346}@host-elsewhere.abcd1234"
    trash.mkdir()
    os.utime(trash, (0, 0))  # another machine's entry, untouched for decades
    lock = tmp_path / ".lock-group"
    lock.touch()
    clean_staged_siblings(final)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, lock.name])
