"""Progress a person can trust: phase, step and ETA from the first step, and heartbeats while a
step (or an index build) takes longer than the interval."""

import time

import pytest

from rewis3d.train import run_training
from rewis3d.train.events import read_events
from rewis3d.train.progress import Progress


def collector():
    events = []

    def write(kind, **fields):
        event = {"kind": kind, "time": time.time(), **fields}
        events.append(event)
        return event

    return events, write


def test_first_step_gives_an_eta_then_writes_are_rate_limited():
    events, write = collector()
    p = Progress(write, interval=60)
    p.enter("training")
    for step in range(1, 6):
        p.step_started(step - 1, 10)
        p.step_done(step)
    assert [e.get("step") for e in events] == [0, 1]  # the phase, then the first timed step
    assert events[1]["eta_s"] == pytest.approx(9 * events[1]["step_s"], rel=0.01, abs=0.01)
    assert p.eta_seconds() == pytest.approx(5 * sum(p._durations) / 5)
    with pytest.raises(ValueError, match="unknown phase 'napping'"):
        p.enter("napping")


def test_heartbeats_while_one_step_is_long():
    events, write = collector()
    with Progress(write, interval=0.05) as p:
        p.enter("training")
        p.step_started(0, 3)
        time.sleep(0.4)  # one slow step: the heartbeat keeps writing
    beats = [e for e in events if e["phase"] == "training" and e["step"] == 0]
    assert len(beats) >= 3
    n = len(events)
    time.sleep(0.2)
    assert len(events) == n  # stopped with the context


def test_a_run_reports_every_phase_before_its_first_log_boundary(tiny_project, tiny_config):
    tiny_config.optim.steps = 5
    tiny_config.run.log_every = 10
    result = run_training(tiny_project, tiny_config, run="live")
    events = read_events(result.run_dir)
    phases = []
    for e in events:
        if e["kind"] == "progress" and (not phases or phases[-1] != e["phase"]):
            phases.append(e["phase"])
    assert phases == ["preparing data", "building sampling index", "training", "evaluating"]
    steps = [e["step"] for e in events if e["kind"] == "step"]
    assert steps == [1, 2, 3, 5]  # the loss curve is a line from the first steps, not step 10
    first_eta = next(e for e in events if e["kind"] == "progress" and "eta_s" in e)
    assert first_eta["step"] == 1 and first_eta["total_steps"] == 5 and first_eta["eta_s"] >= 0

    from rewis3d.train.predict import predict

    predict(tiny_project, "live", with_3d=False)
    assert read_events(result.run_dir, "progress")[-1]["phase"] == "predicting"
