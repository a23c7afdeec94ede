"""Speed and memory of the pure-PyTorch PTv3: forward and forward+backward, per preset and size.

    .venv/bin/python benchmarks/bench_ptv3.py            # tiny + base at 5K, 20K, 100K points
    .venv/bin/python benchmarks/bench_ptv3.py --quick    # 5K and 20K only
    # side by side with the reference (Pointcept/PointTransformerV3 model.py, spconv) run by
    # another interpreter that has its dependencies (see benchmarks/ptv3_reference/):
    .venv/bin/python benchmarks/bench_ptv3.py --presets ptv3-base --sizes 20000 --patch 128 \
        --threads 1 --reference /tmp/ptv3ref-src --reference-python /tmp/ptv3ref-venv/bin/python

Every case runs in its own subprocess so that memory is measured cleanly: on CPU the peak is
`resource.getrusage(RUSAGE_SELF).ru_maxrss` (the process's high-water resident set, which is
what an out-of-memory kill sees; tracemalloc does not see torch's allocator), reported as the
total and as the delta over the RSS after the model and inputs were built. On CUDA it is
`torch.cuda.max_memory_allocated`. A case that exceeds --time-limit is reported as such.
The scene is a synthetic room (8 x 6 x 3 m, points on its walls, floor and ceiling), features
xyz + rgb, grid_size 0.05 as in the released Rewis3d (so large clouds have duplicate voxels).

With --reference, every case also runs the reference PTv3 in its own subprocess of
--reference-python, with the same architecture (the preset mapped to the reference's keyword
arguments, enable_flash=False: on CPU its attention is the plain softmax path), the same points,
patch size, thread count, mode, loss and timing rule, and the table shows both and their ratio.
Its torch_scatter is the pure-torch stand-in of benchmarks/ptv3_reference/reference_env.py (used
only by its pooling), and on CPU its sparse convolutions add their bias after the kernel (spconv's
CPU build cannot fuse it in eval mode).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

SIZES = (5_000, 20_000, 100_000)
GRID_SIZE = 0.05
QUICK_SIZES = (5_000, 20_000)


def room_scene(num_points: int, seed: int = 0):
    import torch

    gen = torch.Generator().manual_seed(seed)
    extent = torch.tensor([8.0, 6.0, 3.0])
    coord = torch.rand(num_points, 3, generator=gen) * extent
    face = torch.randint(0, 3, (num_points,), generator=gen)
    far_side = torch.rand(num_points, generator=gen) < 0.5
    coord[torch.arange(num_points), face] = torch.where(far_side, extent[face], 0.0)
    color = torch.rand(num_points, 3, generator=gen)
    return torch.cat([coord, color], dim=1), coord


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(step, device: str) -> dict:
    """Time `step` (the faster of two runs when one takes < 10 s) and the memory it peaks at."""
    import torch

    def timed() -> float:
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        step()
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    baseline = peak_rss_mb()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    seconds = timed()
    if seconds < 10:  # first call pays one-off costs; repeat when cheap
        seconds = min(seconds, timed())
    result = {"seconds": seconds, "peak_mb": peak_rss_mb(), "delta_mb": peak_rss_mb() - baseline}
    if device == "cuda":
        result["peak_mb"] = result["delta_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def run_worker(preset_name: str, num_points: int, mode: str, patch: int, device: str) -> dict:
    """One measurement of our PTv3 in this process; printed as JSON for the parent."""
    import torch

    from rewis3d.models.ptv3 import PointTransformerV3

    torch.manual_seed(0)
    model = PointTransformerV3(bench_config(preset_name, patch)).to(device)
    feat, coord = (t.to(device) for t in room_scene(num_points))

    def step() -> None:
        if mode == "fwd":
            model.eval()
            with torch.no_grad():
                model(feat, coord, grid_size=GRID_SIZE)
        else:
            model.train()
            model(feat, coord, grid_size=GRID_SIZE).square().mean().backward()
            model.zero_grad(set_to_none=True)

    return measure(step, device)


def bench_config(preset_name: str, patch: int):
    from rewis3d.models.ptv3 import preset

    config = preset(preset_name)
    return config.with_patch_size(patch) if patch else config


def reference_kwargs(preset_name: str, patch: int) -> dict:
    """Our preset as keyword arguments of the reference's PointTransformerV3 (no flash, no RPE)."""
    c = bench_config(preset_name, patch)
    return {
        "in_channels": c.in_channels,
        "order": list(c.orders),
        "stride": list(c.strides),
        "enc_depths": list(c.enc_depths),
        "enc_channels": list(c.enc_channels),
        "enc_num_head": list(c.enc_num_heads),
        "enc_patch_size": list(c.enc_patch_sizes),
        "dec_depths": list(c.dec_depths),
        "dec_channels": list(c.dec_channels),
        "dec_num_head": list(c.dec_num_heads),
        "dec_patch_size": list(c.dec_patch_sizes),
        "mlp_ratio": c.mlp_ratio,
        "qkv_bias": c.qkv_bias,
        "attn_drop": c.attn_drop,
        "proj_drop": c.proj_drop,
        "drop_path": c.drop_path,
        "pre_norm": c.pre_norm,
        "shuffle_orders": c.shuffle_orders,
        "enable_rpe": False,
        "enable_flash": False,
        "upcast_attention": False,
        "upcast_softmax": False,
    }


def run_reference_worker(
    reference: str, kwargs: dict, num_points: int, mode: str, device: str
) -> dict:
    """One measurement of the reference PTv3 (run by the reference's interpreter)."""
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent / "ptv3_reference"))
    from reference_env import import_reference, spconv_bias_after_conv

    ref = import_reference(Path(reference))
    torch.manual_seed(0)
    model = ref.PointTransformerV3(**kwargs).to(device)
    feat, coord = (t.to(device) for t in room_scene(num_points))
    offset = torch.tensor([num_points], device=device)

    def data() -> dict:
        return {"feat": feat, "coord": coord, "grid_size": GRID_SIZE, "offset": offset}

    def step() -> None:
        if mode == "fwd":
            model.eval()
            with torch.no_grad(), spconv_bias_after_conv(model):
                model(data())
        else:
            model.train()
            model(data()).feat.square().mean().backward()
            model.zero_grad(set_to_none=True)

    return measure(step, device)


def run_case(
    args, preset_name: str, num_points: int, mode: str, patch: int, device: str, threads: int,
    reference: bool = False,
):  # fmt: skip
    if reference:
        kwargs = json.dumps(reference_kwargs(preset_name, patch))
        command = [
            args.reference_python, __file__, "--reference-worker", str(args.reference), kwargs,
            str(num_points), mode, device, "--threads", str(threads),
        ]  # fmt: skip
    else:
        command = [
            sys.executable, __file__, "--worker", preset_name, str(num_points), mode,
            str(patch), device, "--threads", str(threads),
        ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.time_limit, check=True, env=env
        )
    except subprocess.TimeoutExpired:
        return {"status": f"> {args.time_limit:.0f} s limit"}
    except subprocess.CalledProcessError as error:
        return {"status": "failed: " + error.stderr.strip().splitlines()[-1][:60]}
    return {"status": "ok", **json.loads(done.stdout.strip().splitlines()[-1])}


def format_cell(result: dict, key: str, pattern: str) -> str:
    return pattern.format(result[key]) if result.get("status") == "ok" else result["status"]


def format_memory(result: dict) -> str:
    if result.get("status") != "ok":
        return result["status"]
    return f"{result['peak_mb']:,.0f} (+{result['delta_mb']:,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only 5K and 20K points")
    parser.add_argument("--presets", nargs="+", default=["ptv3-tiny", "ptv3-base"])
    parser.add_argument("--sizes", nargs="+", type=int, help="point counts (default 5K 20K 100K)")
    parser.add_argument(
        "--patch", nargs="+", type=int, default=[0],
        help="patch sizes to run; 0 = the preset's own (base 1024, tiny 128)",
    )  # fmt: skip
    parser.add_argument("--time-limit", type=float, default=600, help="seconds per case")
    parser.add_argument(
        "--threads", nargs="+", type=int, default=[1, os.cpu_count() or 1],
        help="torch intra-op threads per case (on a busy shared machine 1 can be much faster)",
    )  # fmt: skip
    parser.add_argument(
        "--reference", type=Path,
        help="checkout of Pointcept/PointTransformerV3 (its model.py): run it side by side",
    )  # fmt: skip
    parser.add_argument(
        "--reference-python", default=sys.executable,
        help="interpreter with the reference's dependencies (torch, spconv, addict)",
    )  # fmt: skip
    parser.add_argument(
        "--modes", nargs="+", default=["fwd", "fwd+bwd"], choices=["fwd", "fwd+bwd"],
        help="with --reference: which modes to compare",
    )  # fmt: skip
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--reference-worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads[0])
    if args.worker:
        name, points, mode, patch, device = args.worker
        print(json.dumps(run_worker(name, int(points), mode, int(patch), device)))
        return
    if args.reference_worker:
        reference, kwargs, points, mode, device = args.reference_worker
        result = run_reference_worker(reference, json.loads(kwargs), int(points), mode, device)
        print(json.dumps(result))
        return

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    print(
        f"torch {torch.__version__}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}, time limit {args.time_limit:.0f} s per case"
    )
    if args.reference:
        compare_with_reference(args, devices, sizes)
        return
    header = "| preset | patch | points | device | threads | fwd s | fwd peak MB (+delta) | "
    header += "fwd+bwd s | fwd+bwd peak MB (+delta) |"
    print(header)
    print("|" + "---|" * 9)
    cases = [
        (device, name, patch, points, threads)
        for device in devices
        for name in args.presets
        for patch in args.patch
        for points in sizes
        for threads in (args.threads if device == "cpu" else args.threads[:1])
    ]
    for device, name, patch, points, threads in cases:
        fwd = run_case(args, name, points, "fwd", patch, device, threads)
        both = run_case(args, name, points, "fwd+bwd", patch, device, threads)
        cells = [
            name, str(patch or "preset"), f"{points:,}", device, str(threads),
            format_cell(fwd, "seconds", "{:.2f}"), format_memory(fwd),
            format_cell(both, "seconds", "{:.2f}"), format_memory(both),
        ]  # fmt: skip
        print("| " + " | ".join(cells) + " |", flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def ratio(reference: dict, ours: dict, key: str) -> str:
    if reference.get("status") != "ok" or ours.get("status") != "ok":
        return "-"
    return f"{reference[key] / ours[key]:.2f}"


def compare_with_reference(args, devices: list[str], sizes) -> None:
    """Ours and the reference, case by case, each in its own subprocess, same settings."""
    print(f"reference: {args.reference} run by {args.reference_python}")
    print(
        "| preset | patch | points | device | threads | mode | ours s | reference s | "
        "time ref/ours | ours peak MB (+delta) | reference peak MB (+delta) | peak ref/ours |"
    )
    print("|" + "---|" * 12)
    for device in devices:
        for name in args.presets:
            for patch in args.patch:
                for points in sizes:
                    threads_list = args.threads if device == "cpu" else args.threads[:1]
                    for threads in threads_list:
                        for mode in args.modes:
                            case = (args, name, points, mode, patch, device, threads)
                            ours = run_case(*case)
                            ref = run_case(*case, reference=True)
                            cells = [
                                name, str(patch or "preset"), f"{points:,}", device,
                                str(threads), mode,
                                format_cell(ours, "seconds", "{:.2f}"),
                                format_cell(ref, "seconds", "{:.2f}"),
                                ratio(ref, ours, "seconds"),
                                format_memory(ours), format_memory(ref),
                                ratio(ref, ours, "peak_mb"),
                            ]  # fmt: skip
                            print("| " + " | ".join(cells) + " |", flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
