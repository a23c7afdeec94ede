"""Checkpoints of a run: model weights as safetensors, optimiser/scheduler/step state as a
``torch.save`` file read back with ``weights_only=True`` (no arbitrary pickle is ever loaded).

``runs/<run>/checkpoints/step-000300/{models.safetensors, state.pt}`` and a ``latest`` file
naming the newest complete one. A process killed at any instant (SIGKILL, power loss) never
leaves ``latest`` naming a torn checkpoint: the folder is written aside and renamed into
place (``store.atomic.write_aside``), then ``latest`` is replaced the same way. A checkpoint
being rewritten (same step) is first moved to ``.old``, which ``latest_checkpoint`` falls back to.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from rewis3d.errors import CheckpointError
from rewis3d.store.atomic import clean_staged_siblings, write_aside, write_bytes_atomic

WEIGHTS = "models.safetensors"
STATE = "state.pt"
ASIDE = ".old"
STEP_DIR = re.compile(r"step-\d{6}")



def checkpoint_dir(run_dir: Path, step: int) -> Path:
    return run_dir / "checkpoints" / f"step-{step:06d}"


def save_checkpoint(run_dir: Path, step: int, models: dict[str, torch.nn.Module],
                    state: dict) -> Path:
    """Write ``models`` (name -> module) and ``state`` for ``step``; point ``latest`` at it."""
    final = checkpoint_dir(run_dir, step)
    tensors = {f"{name}.{key}": value.detach().cpu().contiguous()
               for name, module in models.items() for key, value in module.state_dict().items()}
    clean_staged_siblings(final)
    with write_aside(final, directory=True, old=final.with_name(final.name + ASIDE)) as stage:
        save_file(tensors, str(stage / WEIGHTS))
        torch.save({**state, "step": step}, stage / STATE)
    write_bytes_atomic(run_dir / "checkpoints" / "latest", final.name.encode())
    return final


def _complete(path: Path) -> bool:
    return (path / WEIGHTS).is_file() and (path / STATE).is_file()


def _newest_complete(folder: Path) -> Path | None:
    steps = sorted(p for p in folder.iterdir() if STEP_DIR.fullmatch(p.name) and _complete(p))
    return steps[-1] if steps else None


def latest_checkpoint(run_dir: Path) -> Path:
    pointer = run_dir / "checkpoints" / "latest"
    if not pointer.is_file():
        raise CheckpointError(f"run {run_dir.name!r} has no checkpoint yet ({pointer} missing); "
                              "train it first (`rewis3d train ... --run NAME`)")
    path = run_dir / "checkpoints" / pointer.read_text().strip()
    aside = path.with_name(path.name + ASIDE)
    if path.is_dir():  # renamed into place whole; damage inside is reported on load
        return path
    if _complete(aside):  # killed while rewriting this very step
        return aside
    fallback = _newest_complete(pointer.parent)
    if fallback is None:
        raise CheckpointError(f"{pointer} names {path.name}, which is missing, and no earlier "
                              "checkpoint is complete; delete the run and train again")
    warnings.warn(f"{pointer} names {path.name}, which is missing; using {fallback.name}, "
                  "the newest complete checkpoint", stacklevel=2)
    return fallback


def _earlier_hint(path: Path) -> str:
    """How to go on from a torn checkpoint: delete it and resume from the newest one before."""
    earlier = [p for p in path.parent.iterdir()
               if STEP_DIR.fullmatch(p.name) and p.name < path.name and _complete(p)]
    if not earlier:
        return "retrain (no earlier checkpoint)"
    return f"delete {path} and resume again, from {max(earlier).name}"


def load_weights(path: Path, models: dict[str, torch.nn.Module]) -> None:
    """Load the named modules from a checkpoint folder; every key must match exactly."""
    try:
        tensors = load_file(str(path / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path / WEIGHTS} is unreadable ({exc}); it is truncated or "
                              f"corrupt: {_earlier_hint(path)}") from None
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
                              f"truncated or corrupt: {_earlier_hint(path)}") from None
