"""Faults: a training process SIGKILLed at a random step (or in the middle of writing a
checkpoint) resumes to the same weights as an uninterrupted run; a torn checkpoint is a clear
error and the checkpoint before it stays usable."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from rewis3d.errors import CheckpointError
from rewis3d.train import checkpoint as ckpt
from rewis3d.train import run_training
from rewis3d.train.checkpoint import latest_checkpoint
from rewis3d.train.events import read_events

STEPS = 4


def weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(latest_checkpoint(run_dir) / ckpt.WEIGHTS))


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key


def written_steps(run_dir: Path) -> int:
    pointer = run_dir / "checkpoints" / "latest"
    return int(pointer.read_text().strip()[len("step-"):]) if pointer.is_file() else 0


def train_cli(project: Path, *args: str) -> subprocess.Popen:
    """`rewis3d train` in a subprocess, on one thread like the in-process reference (see
    tests/train/conftest.py): bit-exact equality needs the same thread count."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "rewis3d.cli", "train", str(project), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def kill_when(proc: subprocess.Popen, ready, timeout: float = 120.0) -> bool:
    """SIGKILL ``proc`` as soon as ``ready()``; False when it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    proc.kill()
    raise AssertionError("training neither reached the kill point nor finished")


@pytest.fixture
def fault_config(tiny_config, tmp_path):
    tiny_config.optim.steps = STEPS
    tiny_config.run.checkpoint_every = 1
    path = tmp_path / "faults.yaml"
    path.write_text(yaml.safe_dump(tiny_config.to_dict(), sort_keys=False))
    return tiny_config, path


@pytest.mark.slow
def test_sigkill_at_random_step_then_resume_is_exact(tiny_project, fault_config):
    config, config_file = fault_config
    reference = run_training(tiny_project, config, run="reference")
    run_dir = tiny_project / "runs" / "killed"
    k = random.Random(os.getpid()).randint(1, STEPS - 1)
    proc = train_cli(tiny_project, "--config", str(config_file), "--run", "killed")
    assert kill_when(proc, lambda: written_steps(run_dir) >= k), proc.stderr.read().decode()
    assert written_steps(run_dir) < STEPS
    resumed = train_cli(tiny_project, "--resume", "killed")
    assert resumed.wait() == 0, resumed.stderr.read().decode()
    assert written_steps(run_dir) == STEPS
    assert_same_weights(reference.run_dir, run_dir)
    assert [e["step"] for e in read_events(run_dir, "step")] == list(range(1, STEPS + 1))


@pytest.mark.slow
def test_sigkill_while_writing_a_checkpoint_never_leaves_latest_torn(tiny_project, fault_config):
    config, config_file = fault_config
    config.method.baseline = "ema"  # the 2D branch alone: the kill point is what is tested
    config_file.write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))
    run_dir = tiny_project / "runs" / "torn"
    folder = run_dir / "checkpoints"

    def writing_second() -> bool:  # a run killed before its first checkpoint has no resume
        return written_steps(run_dir) >= 1 and any(p.name.endswith(".tmp")
                                                   for p in folder.iterdir())

    proc = train_cli(tiny_project, "--config", str(config_file), "--run", "torn")
    if kill_when(proc, writing_second):
        path = latest_checkpoint(run_dir)
        load_file(str(path / ckpt.WEIGHTS))
        ckpt.load_state(path)
    resumed = train_cli(tiny_project, "--resume", "torn")
    assert resumed.wait() == 0, resumed.stderr.read().decode()
    reference = run_training(tiny_project, config, run="reference")
    assert_same_weights(reference.run_dir, run_dir)


def test_crash_inside_checkpoint_write_keeps_previous_latest(tiny_project, tiny_config,
                                                             monkeypatch):
    tiny_config.method.baseline = "ema"
    tiny_config.optim.steps = 2
    result = run_training(tiny_project, tiny_config, run="c", until=1)
    before = latest_checkpoint(result.run_dir)

    def dies_halfway(obj, path):
        Path(path).write_bytes(b"\x80partial")
        raise OSError("killed")

    monkeypatch.setattr(ckpt.torch, "save", dies_halfway)
    with pytest.raises(OSError, match="killed"):
        run_training(tiny_project, tiny_config, run="c", resume=True)
    assert latest_checkpoint(result.run_dir) == before
    monkeypatch.undo()
    assert run_training(tiny_project, tiny_config, run="c", resume=True).steps == 2


def test_torn_latest_is_clear_and_the_previous_checkpoint_stays_usable(tiny_project,
                                                                       tiny_config):
    tiny_config.method.baseline = "ema"
    tiny_config.optim.steps = 3
    tiny_config.run.checkpoint_every = 1
    reference = run_training(tiny_project, tiny_config, run="ref")
    result = run_training(tiny_project, tiny_config, run="t", until=2)
    torn = latest_checkpoint(result.run_dir)
    data = (torn / ckpt.WEIGHTS).read_bytes()
    (torn / ckpt.WEIGHTS).write_bytes(data[: len(data) // 3])
    with pytest.raises(CheckpointError, match=r"truncated or corrupt: delete .*step-000002.* "
                                              r"from step-000001"):
        run_training(tiny_project, tiny_config, run="t", resume=True)
    shutil.rmtree(torn)
    with pytest.warns(UserWarning, match="using step-000001"):
        resumed = run_training(tiny_project, tiny_config, run="t", resume=True)
    assert resumed.steps == 3
    assert_same_weights(reference.run_dir, resumed.run_dir)


def test_killed_while_rewriting_the_same_step_uses_the_aside_copy(tiny_project, tiny_config):
    tiny_config.method.baseline = "ema"
    result = run_training(tiny_project, tiny_config, run="a", until=1)
    path = latest_checkpoint(result.run_dir)
    path.rename(path.with_name(path.name + ckpt.ASIDE))  # the instant between the two renames
    assert latest_checkpoint(result.run_dir).name == path.name + ckpt.ASIDE
    assert run_training(tiny_project, tiny_config, run="a", resume=True).steps == 4
