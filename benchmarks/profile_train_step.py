"""Where a Rewis3d training step's time goes (cpu-quick), by part of the method.

    python benchmarks/profile_train_step.py [--points 4000] [--steps 3] [--threads 1 2]

Each part is a function of the library, wrapped here (not in the library) in a
`torch.profiler.record_function` scope; a part's time is its scope's wall time minus the
scopes nested in it (exclusive), so the rows add up to the step. Backward time is charged to
the part whose forward op created the autograd node (matched by the profiler's sequence
numbers). The profiler adds overhead to every op, so the table also prints the step time
measured without it, and the "scaled ms" column spreads that time in the profiled shares.
Both rows of the EMA-baseline comparison come from the same process, one after the other.

Last, the GFLOP of one step by network (torch's FlopCounterMode: matmuls and convolutions;
on CPU it does not count the attention products QK^T and AV, so the 3D number is a lower
bound): the floor of the Rewis3d/EMA ratio at equal throughput is 1 + 3D/2D.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile, record_function

sys.path.insert(0, str(Path(__file__).parent))
from bench_train_step import make_project, make_trainer, timed_steps  # noqa: E402

PREFIX = "R3D:"
STEP = "step"


def _scoped(category: str, fn):
    """fn inside a profiler scope named after the category and grad mode (student/teacher)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        mode = "grad" if torch.is_grad_enabled() else "no-grad"
        with record_function(f"{PREFIX}{category}|{mode}"):
            return fn(*args, **kwargs)

    return wrapper


def instrument() -> None:
    """Wrap the library's functions in scopes, where their callers look them up."""
    from rewis3d.models.ptv3 import attention, blocks, model, point_level, pooling, sparse_conv
    from rewis3d.models.ptv3 import serialization as ser
    from rewis3d.train import dataset, trainer
    from rewis3d.train import models as train_models

    targets = [
        (dataset.TrainingData, "batch", "data + sampling"),
        (trainer, "logits_2d", "2D network"),
        (train_models.Segmentor3D, "forward", "3D other (norms, residuals, head)"),
        (model, "serialize", "3D serialization (curves, orders)"),
        (pooling, "orders_from_codes", "3D serialization (curves, orders)"),
        (ser.Serialization, "shuffled", "3D serialization (curves, orders)"),
        (point_level, "build_voxel_grid", "3D voxel hashing + kernel maps"),
        (sparse_conv, "_build_kernel_map", "3D voxel hashing + kernel maps"),
        (sparse_conv, "submanifold_conv3d", "3D sparse conv (CPE, stem)"),
        (point_level, "build_patch_layout", "3D attention (qkv, patches, SDPA, proj)"),
        (attention.SerializedAttention, "forward", "3D attention (qkv, patches, SDPA, proj)"),
        (blocks.MLP, "forward", "3D MLP"),
        (pooling.SerializedPooling, "forward", "3D pooling / unpooling"),
        (pooling.SerializedUnpooling, "forward", "3D pooling / unpooling"),
        (trainer, "mean_teacher_loss", "losses (CE + KL)"),
        (trainer, "cmc_targets", "CMC (targets + weighted CE)"),
        (trainer, "weighted_ce", "CMC (targets + weighted CE)"),
        (trainer, "ema_update", "EMA teachers"),
        (torch.optim.AdamW, "step", "optimisers"),
        (torch.optim.AdamW, "zero_grad", "optimisers"),
    ]
    for owner, name, category in targets:
        setattr(owner, name, _scoped(category, getattr(owner, name)))


def _category(event) -> str | None:
    while event is not None:
        if event.name.startswith(PREFIX):
            return event.name[len(PREFIX):]
        event = event.cpu_parent
    return None


def attribute(events) -> dict[tuple[str, str], float]:
    """(category, forward/backward mode) -> exclusive ms, summed over the profiled steps."""
    times: dict[tuple[str, str], float] = defaultdict(float)
    by_sequence: dict[int, str] = {}
    for e in events:
        if e.sequence_nr >= 0 and not e.name.startswith("autograd::"):
            cat = _category(e)
            if cat is not None:
                by_sequence.setdefault(e.sequence_nr, cat.split("|")[0])
    for e in events:
        if e.name.startswith(PREFIX):
            nested = sum(c.cpu_time_total for c in _nested_scopes(e))
            category, mode = e.name[len(PREFIX):].split("|")
            times[(category, mode)] += (e.cpu_time_total - nested) / 1e3
        elif e.name.startswith("autograd::engine::evaluate_function"):
            category = by_sequence.get(e.sequence_nr, "backward, not attributed")
            times[(category, "backward")] += e.cpu_time_total / 1e3
    return times


def _nested_scopes(event):
    """Our scopes directly below `event` (through any number of non-scope events)."""
    for child in event.cpu_children:
        if child.name.startswith(PREFIX) or child.name.startswith("autograd::engine"):
            yield child
        else:
            yield from _nested_scopes(child)


def step_flops(project: Path, points: int) -> dict[str, float]:
    """GFLOP of one Rewis3d step by top-level network (students and teachers together)."""
    from torch.utils.flop_counter import FlopCounterMode

    with tempfile.TemporaryDirectory() as run_dir:
        trainer = make_trainer(project, "none", points, Path(run_dir))
        trainer.train_step()
        with FlopCounterMode(display=False) as counter:
            trainer.train_step()
    by_module = counter.get_flop_counts()
    return {name: sum(by_module[module].values()) / 1e9
            for name, module in (("2D", "SegformerForSemanticSegmentation"),
                                 ("3D", "Segmentor3D"), ("all", "Global"))}


def measure(project: Path, baseline: str, points: int, steps: int) -> tuple[float, dict, float]:
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = make_trainer(project, baseline, points, Path(run_dir))
        plain = timed_steps(trainer, steps)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            t0 = time.perf_counter()
            for _ in range(steps):
                with record_function(f"{PREFIX}{STEP}|grad"):
                    trainer.train_step()
            profiled = (time.perf_counter() - t0) / steps
    times = {k: v / steps for k, v in attribute(prof.events()).items()}
    return statistics.median(plain), times, profiled


def table(threads: int, ema_s: float, rw_s: float, times: dict, profiled_s: float) -> None:
    scale = rw_s / profiled_s
    rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (category, mode), ms in times.items():
        name = "Python glue, schedulers, stats" if category == STEP else category
        column = {"grad": "student fwd", "no-grad": "teacher fwd"}.get(mode, mode)
        if category in ("data + sampling", "EMA teachers", "optimisers", STEP):
            column = "other"
        rows[name][column] += ms
    cols = ["student fwd", "teacher fwd", "backward", "other"]
    print(f"\n| Rewis3d step, {threads} thread(s): {1000 * rw_s:.0f} ms unprofiled "
          f"({1000 * profiled_s:.0f} ms profiled); EMA step {1000 * ema_s:.0f} ms; ratio "
          f"{rw_s / ema_s:.2f} | " + " | ".join(cols) + " | scaled ms | share |")
    print("|---|" + "---|" * (len(cols) + 2))
    total = sum(sum(r.values()) for r in rows.values())
    for name, row in sorted(rows.items(), key=lambda kv: -sum(kv[1].values())):
        t = sum(row.values())
        cells = " | ".join(f"{row[c]:.1f}" if row.get(c) else "" for c in cols)
        print(f"| {name} | {cells} | {t * scale:.1f} | {100 * t / total:.0f} % |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    instrument()
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp))
        for threads in args.threads:
            torch.set_num_threads(threads)
            ema_s, _, _ = measure(project, "ema", args.points, args.steps)
            rw_s, times, profiled_s = measure(project, "none", args.points, args.steps)
            table(threads, ema_s, rw_s, times, profiled_s)
        flops = step_flops(project, args.points)
        print(f"\nGFLOP per Rewis3d step (matmuls + convolutions): 2D networks {flops['2D']:.2f}, "
              f"3D networks >= {flops['3D']:.2f} (attention products not counted), all "
              f"{flops['all']:.2f}; ratio floor at equal throughput 1 + 3D/2D = "
              f"{1 + flops['3D'] / flops['2D']:.1f}")


if __name__ == "__main__":
    main()
