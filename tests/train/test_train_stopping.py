"""Cancel keeps the work: a stop request (a job's SIGTERM, Ctrl-C) ends a run at the next step
boundary with a checkpoint, and resuming from it equals an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml
from safetensors.torch import load_file

from rewis3d.train import run_training
from rewis3d.train.checkpoint import latest_checkpoint
from rewis3d.train.events import read_events
from rewis3d.train.stopping import StopRequest, TrainingStopped

STEPS = 5


def weights(run_dir):
    return load_file(str(latest_checkpoint(run_dir) / "models.safetensors"))


def assert_same_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key


def test_stop_request_checkpoints_at_the_step_and_resume_is_exact(tiny_project, tiny_config):
    tiny_config.optim.steps = STEPS
    assert tiny_config.run.checkpoint_every == 0  # only the stop writes a checkpoint mid-run
    reference = run_training(tiny_project, tiny_config, run="reference")
    stop = StopRequest()

    def cancel_at_step_2(trainer, event):
        if event["kind"] == "step" and event["step"] == 2:
            stop.request()

    with pytest.raises(TrainingStopped) as info:
        run_training(tiny_project, tiny_config, run="cancelled", hooks=[cancel_at_step_2],
                     stop=stop)
    run_dir = tiny_project / "runs" / "cancelled"
    assert info.value.step == 2 and info.value.total_steps == STEPS
    assert info.value.checkpoint == latest_checkpoint(run_dir)
    assert latest_checkpoint(run_dir).name == "step-000002"
    assert [e["step"] for e in read_events(run_dir, "stopped")] == [2]

    resumed = run_training(tiny_project, tiny_config, run="cancelled", resume=True)
    assert resumed.steps == STEPS
    assert_same_weights(reference.run_dir, run_dir)
    assert [e["step"] for e in read_events(run_dir, "step")] == list(range(1, STEPS + 1))
    assert read_events(run_dir, "stopped") == []  # the resumed log reads as one run


def test_a_signal_outside_the_loop_stops_at_once_inside_it_only_asks():
    before = signal.getsignal(signal.SIGTERM)
    stop = StopRequest()
    with pytest.raises(TrainingStopped) as info, stop.installed():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)  # the handler runs between bytecodes of the main thread
    assert info.value.checkpoint is None and stop.signal_name == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before  # the caller's handler is back

    stop = StopRequest()
    with stop.installed(), stop.deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
    assert stop.requested


def test_a_second_ctrl_c_does_not_wait_for_the_step():
    stop = StopRequest()
    with stop.installed(), stop.deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)


@pytest.mark.slow
def test_sigterm_to_the_cli_checkpoints_and_says_how_to_resume(tiny_project, tiny_config,
                                                                tmp_path):
    steps = 2 * STEPS  # room for the signal to land mid-run on a slow machine
    tiny_config.optim.steps = steps
    config_file = tmp_path / "c.yaml"
    config_file.write_text(yaml.safe_dump(tiny_config.to_dict(), sort_keys=False))
    reference = run_training(tiny_project, tiny_config, run="reference")
    run_dir = tiny_project / "runs" / "term"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    cli = [sys.executable, "-m", "rewis3d.cli", "train", str(tiny_project)]
    proc = subprocess.Popen([*cli, "--config", str(config_file), "--run", "term"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 180
    while not read_events(run_dir, "step"):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    stderr = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    step = int(latest_checkpoint(run_dir).name.removeprefix("step-"))
    assert 1 <= step < steps
    assert f"SIGTERM received: stopped after step {step} of {steps}" in stderr
    assert "--resume term" in stderr

    resumed = subprocess.run([*cli, "--resume", "term"], capture_output=True, env=env)
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert_same_weights(reference.run_dir, run_dir)
