"""Reading events.jsonl while it is written: torn lines, truncation, a missing file."""

from __future__ import annotations

import json

from rewis3d.jobs import EventStream, read_events_since


def _line(**event) -> bytes:
    return (json.dumps(event) + "\n").encode()


def test_a_torn_last_line_is_read_once_it_is_complete(tmp_path):
    path = tmp_path / "events.jsonl"
    stream = EventStream(path)
    assert stream.poll() == [] and stream.offset == 0  # no file yet
    full = _line(kind="step", step=0) + _line(kind="step", step=1)
    path.write_bytes(full[:-7])
    assert stream.poll() == [{"kind": "step", "step": 0}]
    with path.open("ab") as fh:
        fh.write(full[-7:])
    assert stream.poll() == [{"kind": "step", "step": 1}]
    assert stream.poll() == [] and stream.offset == len(full)


def test_a_shorter_file_is_read_again_from_the_start(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(_line(step=0) + _line(step=1) + _line(step=2))
    stream = EventStream(path)
    assert len(stream.poll()) == 3 and not stream.restarted
    path.write_bytes(_line(step=0))  # a resumed run rewrote its events
    assert stream.poll() == [{"step": 0}] and stream.restarted


def test_garbage_lines_are_skipped(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"kind": "st' + _line(kind="step", step=5) + b"[1, 2]\n" + _line(kind="x"))
    events, offset = read_events_since(path)
    assert events == [{"kind": "x"}] and offset == path.stat().st_size


def test_a_replaced_file_is_read_from_its_start_even_when_longer(tmp_path):
    """A resumed run rewrites events.jsonl through a new file (aside + rename); if the new one
    is longer than the old offset, the size alone cannot tell."""
    path = tmp_path / "events.jsonl"
    path.write_text('{"step": 1}\n{"step": 2}\n')
    stream = EventStream(path)
    assert [e["step"] for e in stream.poll()] == [1, 2]
    aside = tmp_path / "events.tmp"
    aside.write_text("".join(f'{{"step": {s}, "resumed": true}}\n' for s in (1, 2, 3, 4, 5)))
    aside.replace(path)
    events = stream.poll()
    assert stream.restarted and [e["step"] for e in events] == [1, 2, 3, 4, 5]
    assert all(e["resumed"] for e in events)
    assert stream.poll() == [] and not stream.restarted
