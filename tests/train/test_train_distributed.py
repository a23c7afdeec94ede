"""Two gloo processes with the global batch split between them reach the weights of one
process with the whole batch.

Not bit-equal: the gradient is the mean of two half-batch gradients (summed in another order)
and BatchNorm statistics come from all-reduced sums instead of one pass, so float32 rounding
differs. AdamW turns that rounding into up to one learning rate per step for parameters whose
gradient is near zero (its update m / sqrt(v) is about +-lr whatever the gradient's size), so
the bound per weight is ``steps * lr`` (1.8e-3 here); the whole students also agree to 1 % in
relative L2 norm, which a wrong reduction (a sum, a half batch, local BatchNorm) would break.
For the two runs to be the same function at all the test removes what is *defined* per
process: every pixel is labelled and each crop has the same size (a rank's loss is a mean over
its own pixels, as in the released code's DDP), and dropout / drop-path are off (their masks
are drawn per rank from the torch generator; on, DDP is the same statistically, not
numerically).
"""

from __future__ import annotations

import os
import socket
import sys

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from rewis3d.store import Project

STEPS = 3


def configure(config):
    config.method.baseline = "ema"
    config.optim.steps = STEPS
    config.data.batch_size = 4
    config.data.crop = (32, 48)
    config.data.rescale = config.data.aspect = (1.0, 1.0)
    config.data.blur_p = config.data.augmix_p = 0.0
    config.data.cutout = 0
    config.run.eval_every = 0
    return config


def no_dropout(model: torch.nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
        if hasattr(module, "drop_prob"):
            module.drop_prob = 0.0


def train(project, config, run_dir) -> dict[str, torch.Tensor]:
    from rewis3d.train.trainer import Trainer

    trainer = Trainer(Project.open(project), config, run_dir)
    for model in trainer.models.values():
        no_dropout(model)
    while trainer.step < STEPS:
        trainer.train_step()
    trainer.save()
    return {k: v.detach().clone() for k, v in trainer.models["student_2d"].state_dict().items()}


def join_group(rank: int, world: int, port: int):
    """Set torchrun's variables for this spawned rank and join the gloo group."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    from rewis3d.train import distributed

    distributed.init_from_env()
    return distributed


def worker(rank: int, world: int, port: int, project, config, out) -> None:
    distributed = join_group(rank, world, port)
    try:
        weights = train(project, config, out / "ddp")
        torch.save(weights, out / f"rank{rank}.pt")
    finally:
        distributed.teardown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="gloo on loopback")
def test_two_gloo_ranks_match_one_process(tiny_project, tiny_config, tmp_path):
    project = Project.open(tiny_project)
    scene = project.scene("street")
    for f in range(len(scene.rgb)):
        scene.annotations.set_frame(f, np.asarray(scene.gt[f]))
    config = configure(tiny_config)
    (tmp_path / "ddp").mkdir()
    mp.start_processes(worker, args=(2, free_port(), tiny_project, config, tmp_path), nprocs=2,
                       start_method="spawn")
    torch.set_num_threads(1)
    single = train(tiny_project, config, tmp_path / "single")
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    bound = STEPS * config.optim.lr_2d
    for key, value in single.items():
        assert torch.equal(ranks[0][key], ranks[1][key]), key  # DDP keeps ranks identical
        assert float((ranks[0][key].double() - value.double()).abs().max()) <= bound, key
    a = torch.cat([v.double().flatten() for v in ranks[0].values()])
    b = torch.cat([v.double().flatten() for v in single.values()])
    assert float((a - b).norm() / b.norm()) < 0.01
    written = sorted(p.name for p in (tmp_path / "ddp").rglob("*") if p.is_file())
    # rank 0's checkpoint and its progress events only
    assert written == ["events.jsonl", "latest", "models.safetensors", "state.pt"]


def worker_both_branches(rank: int, world: int, port: int, project, config, out) -> None:
    from rewis3d.train.trainer import Trainer

    distributed = join_group(rank, world, port)
    try:
        trainer = Trainer(Project.open(project), config, out / "ddp3d")
        while trainer.step < STEPS:
            trainer.train_step()
        states = {name: {k: v.detach().clone() for k, v in trainer.models[name].state_dict().items()}
                  for name in ("student_2d", "student_3d", "teacher_3d")}
        torch.save(states, out / f"both{rank}.pt")
    finally:
        distributed.teardown()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="gloo on loopback")
def test_rewis3d_with_the_3d_branch_keeps_ranks_identical(tiny_project, tiny_config, tmp_path):
    """Both branches under DDP (3D student with all-reduced BatchNorm, CMC on): after a few
    steps both ranks hold the same students and teachers, i.e. gradients and BN statistics
    of the 3D branch are synchronised too."""
    config = configure(tiny_config)
    config.method.baseline = "none"
    config.method.cmc_start = 0.0
    (tmp_path / "ddp3d").mkdir()
    mp.start_processes(worker_both_branches, args=(2, free_port(), tiny_project, config, tmp_path),
                       nprocs=2, start_method="spawn")
    ranks = [torch.load(tmp_path / f"both{r}.pt", weights_only=True) for r in range(2)]
    for name, state in ranks[0].items():
        for key, value in state.items():
            assert torch.equal(value, ranks[1][name][key]), f"{name}.{key}"
    assert any(float(v.abs().sum()) > 0 for k, v in ranks[0]["student_3d"].items()
               if "running_mean" in k)  # BatchNorm statistics were updated


def worker_nan_on_one_rank(rank: int, world: int, port: int, project, config, out) -> None:
    from rewis3d.errors import NonFiniteLossError
    from rewis3d.train.trainer import Trainer

    distributed = join_group(rank, world, port)
    try:
        trainer = Trainer(Project.open(project), config, out / "nan")
        real = trainer._losses

        def poisoned(batch):  # only rank 1 sees a NaN, at its second step
            total, stats = real(batch)
            return (total * float("nan"), stats) if rank == 1 and trainer.step == 1 else (
                total, stats)

        trainer._losses = poisoned
        try:
            while trainer.step < STEPS:
                trainer.train_step()
            (out / f"nan{rank}.txt").write_text("finished")
        except NonFiniteLossError as exc:
            (out / f"nan{rank}.txt").write_text(f"stopped at {trainer.step}: {exc}")
    finally:
        distributed.teardown()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="gloo on loopback")
def test_a_non_finite_loss_on_one_rank_stops_every_rank(tiny_project, tiny_config, tmp_path):
    """One rank raising alone would leave the other blocked in the gradient all-reduce."""
    config = configure(tiny_config)
    (tmp_path / "nan").mkdir()
    mp.start_processes(worker_nan_on_one_rank, args=(2, free_port(), tiny_project, config,
                                                     tmp_path), nprocs=2, start_method="spawn")
    outcome = [(tmp_path / f"nan{r}.txt").read_text() for r in range(2)]
    assert outcome[0].startswith("stopped at 1: step 2: ") and "on another rank" in outcome[0]
    assert outcome[1].startswith("stopped at 1: step 2: ") and "loss is nan" in outcome[1]


def worker_stop_on_one_rank(rank: int, world: int, port: int, project, config, out) -> None:
    from rewis3d.train.stopping import StopRequest, TrainingStopped
    from rewis3d.train.trainer import Trainer

    distributed = join_group(rank, world, port)
    try:
        stop = StopRequest()

        def cancel_rank_1_at_step_2(trainer, event):  # e.g. a SIGTERM that reached one rank
            if rank == 1 and event["kind"] == "step" and event["step"] == 2:
                stop.request()

        trainer = Trainer(Project.open(project), config, out / "stop",
                          hooks=[cancel_rank_1_at_step_2], stop=stop)
        try:
            trainer.fit()
            (out / f"stop{rank}.txt").write_text("finished")
        except TrainingStopped as exc:
            (out / f"stop{rank}.txt").write_text(f"stopped at {exc.step}")
    finally:
        distributed.teardown()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="gloo on loopback")
def test_a_stop_on_one_rank_stops_every_rank_at_the_same_step(tiny_project, tiny_config,
                                                                tmp_path):
    config = configure(tiny_config)
    config.optim.steps = 6
    (tmp_path / "stop").mkdir()
    mp.start_processes(worker_stop_on_one_rank, args=(2, free_port(), tiny_project, config,
                                                      tmp_path), nprocs=2, start_method="spawn")
    outcome = [(tmp_path / f"stop{r}.txt").read_text() for r in range(2)]
    assert outcome[0] == outcome[1] and outcome[0].startswith("stopped at ")
    assert 2 <= int(outcome[0].split()[-1]) < 6


def test_ranks_wait_long_enough_for_an_evaluation_on_rank_0(monkeypatch):
    """Rank 0 evaluates alone while the others wait in a collective: the process group's
    timeout must outlast a long evaluation, not NCCL's 10-minute default."""
    import datetime

    from rewis3d.train import distributed

    seen = {}
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group",
                        lambda *a, **kw: seen.update(kw))
    monkeypatch.setattr(distributed.dist, "get_rank", lambda: 1)
    monkeypatch.setattr(distributed.dist, "get_world_size", lambda: 2)
    distributed.init_from_env()
    assert seen["timeout"] == datetime.timedelta(hours=2)
    monkeypatch.setenv("REWIS3D_DIST_TIMEOUT_S", "60")
    assert distributed.collective_timeout() == datetime.timedelta(seconds=60)
