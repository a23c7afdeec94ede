"""Data-parallel training with torch.distributed, launched by ``torchrun``.

``torchrun --nproc_per_node=N -m rewis3d.cli train ...`` sets RANK/WORLD_SIZE/MASTER_ADDR;
without them a run is single-process and nothing here changes it. Backend: NCCL when CUDA is
available, gloo otherwise. Each rank draws its share of the global batch (the config's
``batch_size``), students are wrapped in DistributedDataParallel (gradients averaged), every
BatchNorm is synchronised, and only rank 0 writes checkpoints, events and predictions. Teachers
are the EMA of identical students, so they stay identical on every rank without communication.

PyTorch's SyncBatchNorm is CUDA-only (its forward refuses CPU tensors, torch 2.13), so on CPU
BatchNorm layers become ``AllReduceBatchNorm``: the per-channel sums are all-reduced with
autograd, which gives the same global-batch statistics and gradients.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from rewis3d.errors import InputError


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the only process that writes files."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


SINGLE = Context()


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def collective_timeout() -> datetime.timedelta:
    """How long a rank waits in a collective: evaluation runs on rank 0 alone while the others
    wait in the next step's all-reduce, and on a large validation set that outlasts NCCL's
    10-minute default. ``REWIS3D_DIST_TIMEOUT_S`` overrides the 2 hours."""
    return datetime.timedelta(seconds=float(os.environ.get("REWIS3D_DIST_TIMEOUT_S", 7200)))


def init_from_env() -> Context:
    """Join the process group torchrun describes (env://), once; SINGLE without torchrun."""
    if not launched_by_torchrun():
        return SINGLE
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        cuda = torch.cuda.is_available()
        if cuda:
            torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl" if cuda else "gloo", init_method="env://",
                                timeout=collective_timeout())
    return Context(dist.get_rank(), dist.get_world_size(), local_rank)


def current() -> Context:
    """The context of an already initialised process group (SINGLE when there is none)."""
    if not (dist.is_available() and dist.is_initialized()):
        return SINGLE
    return Context(dist.get_rank(), dist.get_world_size(),
                   int(os.environ.get("LOCAL_RANK", "0")))


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def device_for(ctx: Context, name: str) -> torch.device | None:
    """One GPU per rank (cuda:LOCAL_RANK) when the run uses CUDA under torchrun."""
    if ctx.enabled and name in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda", ctx.local_rank)
    return None


def shard(batch_size: int, ctx: Context) -> slice:
    """This rank's contiguous share of the global batch's items."""
    if batch_size % ctx.world_size:
        raise InputError(f"data.batch_size {batch_size} does not split over {ctx.world_size} "
                         "processes; make it a multiple of --nproc_per_node")
    per_rank = batch_size // ctx.world_size
    return slice(ctx.rank * per_rank, (ctx.rank + 1) * per_rank)


def barrier(ctx: Context) -> None:
    if ctx.enabled:
        dist.barrier()


def all_ranks_agree(flag: bool, ctx: Context, device: torch.device) -> bool:
    """True when ``flag`` holds on every rank (a MIN all-reduce), so all ranks take the same
    branch: one rank raising alone would leave the others blocked in the next all-reduce."""
    if not ctx.enabled:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item() > 0)


def mean_over_ranks(stats: dict[str, float], ctx: Context,
                    device: torch.device | None = None) -> dict[str, float]:
    """Average logged scalars over the ranks (what rank 0 writes covers the whole batch); the
    tensor lives on ``device`` (NCCL reduces CUDA tensors only)."""
    if not ctx.enabled or not stats:
        return stats
    keys = sorted(k for k, v in stats.items() if isinstance(v, int | float))
    values = torch.tensor([float(stats[k]) for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(values)
    return {**stats, **{k: float(v) / ctx.world_size for k, v in zip(keys, values, strict=True)}}


class AllReduceBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm over the global batch on any device: channel sums all-reduced with autograd.

    Variance as E[x^2] - E[x]^2 in float64 sums, so the one-pass form loses nothing that
    matters at these sizes. Eval mode and single-process use plain BatchNorm.
    """

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        from torch.distributed.nn.functional import all_reduce

        channels = x.shape[1]
        dims = [0, *range(2, x.dim())]
        x64 = x.double()
        count = torch.tensor([x.numel() / channels], dtype=torch.float64, device=x.device)
        stats = all_reduce(torch.cat([x64.sum(dims), (x64 * x64).sum(dims), count]))
        n = stats[-1]
        mean = stats[:channels] / n
        var = (stats[channels:2 * channels] / n - mean * mean).clamp_min(0)
        if self.track_running_stats:
            self._update_running(mean.detach(), var.detach() * n / (n - 1).clamp_min(1))
        shape = (1, channels, *([1] * (x.dim() - 2)))
        y = (x64 - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        y = y.to(x.dtype)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y

    @torch.no_grad()
    def _update_running(self, mean: torch.Tensor, var: torch.Tensor) -> None:
        self.num_batches_tracked += 1
        m = (1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum)
        self.running_mean.mul_(1 - m).add_(mean.to(self.running_mean.dtype), alpha=m)
        self.running_var.mul_(1 - m).add_(var.to(self.running_var.dtype), alpha=m)


def to_all_reduce_batchnorm(module: nn.Module) -> nn.Module:
    """Every BatchNorm in ``module`` replaced by AllReduceBatchNorm with the same state."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        out = AllReduceBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                 module.track_running_stats)
        # the same Parameter and buffer objects, so optimisers built before keep working
        for name in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
            setattr(out, name, getattr(module, name))
        out.train(module.training)
        return out
    for name, child in module.named_children():
        setattr(module, name, to_all_reduce_batchnorm(child))
    return module


def synchronise_batchnorm(model: nn.Module, device: torch.device) -> nn.Module:
    """SyncBatchNorm on CUDA (PyTorch's), AllReduceBatchNorm elsewhere."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return to_all_reduce_batchnorm(model)


def data_parallel(model: nn.Module, device: torch.device) -> nn.Module:
    """DDP over the ranks. Buffers are not broadcast: synchronised BatchNorm keeps them equal.
    ``find_unused_parameters`` stays off; every student parameter takes part in the loss."""
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, broadcast_buffers=False)
