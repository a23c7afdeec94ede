"""Speed and memory of the pure-PyTorch PTv3: forward and forward+backward, per preset and size.

    .venv/bin/python benchmarks/bench_ptv3.py            # tiny + base at 5K, 20K, 100K points
    .venv/bin/python benchmarks/bench_ptv3.py --quick    # 5K and 20K only

Every case runs in its own subprocess so that memory is measured cleanly: on CPU the peak is
`resource.getrusage(RUSAGE_SELF).ru_maxrss` (the process's high-water resident set, which is
what an out-of-memory kill sees; tracemalloc does not see torch's allocator), reported as the
total and as the delta over the RSS after the model and inputs were built. On CUDA it is
`torch.cuda.max_memory_allocated`. A case that exceeds --time-limit is reported as such.
The scene is a synthetic room (8 x 6 x 3 m, points on its walls, floor and ceiling), features
xyz + rgb, grid_size 0.05 as in the released Rewis3d (so large clouds have duplicate voxels).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

SIZES = (5_000, 20_000, 100_000)
QUICK_SIZES = (5_000, 20_000)


def room_scene(num_points: int, seed: int = 0):
    import torch

    gen = torch.Generator().manual_seed(seed)
    extent = torch.tensor([8.0, 6.0, 3.0])
    coord = torch.rand(num_points, 3, generator=gen) * extent
    face = torch.randint(0, 3, (num_points,), generator=gen)
    far_side = torch.rand(num_points, generator=gen) < 0.5
    coord[torch.arange(num_points), face] = torch.where(far_side, extent[face], 0.0)
    colour = torch.rand(num_points, 3, generator=gen)
    return torch.cat([coord, colour], dim=1), coord


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_worker(preset_name: str, num_points: int, mode: str, patch: int, device: str) -> dict:
    """One measurement in this process; printed as JSON for the parent."""
    import torch

    from rewis3d.models.ptv3 import PointTransformerV3, preset

    torch.manual_seed(0)
    config = preset(preset_name)
    if patch:
        config = config.with_patch_size(patch)
    model = PointTransformerV3(config).to(device)
    feat, coord = (t.to(device) for t in room_scene(num_points))

    def step() -> None:
        if mode == "fwd":
            model.eval()
            with torch.no_grad():
                model(feat, coord)
        else:
            model.train()
            model(feat, coord).square().mean().backward()
            model.zero_grad(set_to_none=True)

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


def run_case(
    args, preset_name: str, num_points: int, mode: str, patch: int, device: str, threads: int
):
    command = [
        sys.executable, __file__, "--worker", preset_name, str(num_points), mode,
        str(patch), device, "--threads", str(threads),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.time_limit, check=True
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
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads[0])
    if args.worker:
        name, points, mode, patch, device = args.worker
        print(json.dumps(run_worker(name, int(points), mode, int(patch), device)))
        return

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    print(
        f"torch {torch.__version__}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}, time limit {args.time_limit:.0f} s per case"
    )
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


if __name__ == "__main__":
    main()
