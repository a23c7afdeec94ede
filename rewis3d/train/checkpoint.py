"""Checkpoints of a run: model weights as safetensors, optimiser/scheduler/step state as a
``torch.save`` file read back with ``weights_only=True`` (no arbitrary pickle is ever loaded).

``runs/<run>/checkpoints/step-000300/{models.safetensors, state.pt}`` and a ``latest`` file
naming the newest complete one; each checkpoint is written aside and renamed into place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from rewis3d.store.errors import StoreError

WEIGHTS = "models.safetensors"
STATE = "state.pt"


class CheckpointError(StoreError):
    """A checkpoint is missing, truncated or does not match the run."""


def checkpoint_dir(run_dir: Path, step: int) -> Path:
    return run_dir / "checkpoints" / f"step-{step:06d}"


def save_checkpoint(run_dir: Path, step: int, models: dict[str, torch.nn.Module],
                    state: dict) -> Path:
    """Write ``models`` (name -> module) and ``state`` for ``step``; point ``latest`` at it."""
    final = checkpoint_dir(run_dir, step)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tensors = {f"{name}.{key}": value.detach().cpu().contiguous()
               for name, module in models.items() for key, value in module.state_dict().items()}
    save_file(tensors, str(tmp / WEIGHTS))
    torch.save({**state, "step": step}, tmp / STATE)
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    latest = run_dir / "checkpoints" / "latest"
    latest.with_suffix(".tmp").write_text(final.name)
    latest.with_suffix(".tmp").replace(latest)
    return final


def latest_checkpoint(run_dir: Path) -> Path:
    pointer = run_dir / "checkpoints" / "latest"
    if not pointer.is_file():
        raise CheckpointError(f"run {run_dir.name!r} has no checkpoint yet ({pointer} missing); "
                              "train it first (`rewis3d train ... --run NAME`)")
    path = run_dir / "checkpoints" / pointer.read_text().strip()
    if not path.is_dir():
        raise CheckpointError(f"{pointer} names {path.name}, which is missing; delete the run "
                              "or restore the checkpoint folder")
    return path


def load_weights(path: Path, models: dict[str, torch.nn.Module]) -> None:
    """Load the named modules from a checkpoint folder; every key must match exactly."""
    try:
        tensors = load_file(str(path / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path / WEIGHTS} is unreadable ({exc}); it is truncated or "
                              "corrupt: resume from an earlier checkpoint or retrain") from None
    for name, module in models.items():
        prefix = f"{name}."
        part = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        try:
            module.load_state_dict(part, strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise CheckpointError(f"{path / WEIGHTS}: weights of {name!r} do not fit this model "
                                  f"({first}); the run's config changed incompatibly") from None


def load_state(path: Path) -> dict:
    try:
        return torch.load(path / STATE, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for truncated/corrupt files
        raise CheckpointError(f"{path / STATE} is unreadable ({type(exc).__name__}); it is "
                              "truncated or corrupt: resume from an earlier checkpoint") from None
