"""The one short GPU check: paper-sized training steps, memory, and PTv3 with fused SDPA.

Trains the EMA baseline and Rewis3d with a `paper-*` preset's models and batch (SegFormer-B4
from its config — no download — and PTv3 m1) for a few hundred steps on a synthetic street, and
reports step time, their ratio (budget <= 2.0x) and peak GPU memory; then runs the PTv3
benchmark on the GPU, where `scaled_dot_product_attention` picks its fused kernels.

    python benchmarks/gpu_check.py                       # on a CUDA machine (~10 min on an H100)
    python benchmarks/gpu_check.py --device cpu --preset cpu-quick --steps 2 --size 64x48 \
        --frames 4 --skip-ptv3                           # smoke test of the script itself
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _table import print_table  # noqa: E402


def prepare_project(root: Path, frames: int, size: tuple[int, int]) -> Path:
    from rewis3d.annotations import FrameSelection, simulate_scene_labels
    from rewis3d.store import Project
    from rewis3d.synthetic import SceneConfig, sample_into_project

    path = root / "street"
    sample_into_project(path, SceneConfig("street", frames, size[0], size[1], seed=0))
    simulate_scene_labels(Project.open(path), "street", "scribbles", FrameSelection(every=3))
    return path


def train_variant(project: Path, preset: str, variant: str, steps: int, device: str) -> dict:
    import torch

    from rewis3d.bench.quality import variant_config
    from rewis3d.train import preset as load_preset
    from rewis3d.train import run_training

    config = variant_config(load_preset(preset), variant, seed=0, steps=steps)
    config.model.pretrained_2d = None  # offline: the architecture from its config
    config.run.device = device
    config.run.log_every = 1
    times: list[float] = []
    last = [time.perf_counter()]

    def clock(trainer, event):
        if event.get("kind") == "step":
            if device == "cuda":
                torch.cuda.synchronize()
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    run_training(project, config, run=f"gpu-{variant}", hooks=[clock])
    steady = times[min(5, len(times) - 1):] or times  # skip warm-up / autotuning steps
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else float("nan")
    return {"variant": variant, "steps": len(times), "step_s": statistics.median(steady),
            "peak_gb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--preset", default="paper-kitti360")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", default="512x376", help="WxH of the synthetic frames")
    parser.add_argument("--skip-ptv3", action="store_true")
    args = parser.parse_args()

    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("skipped: no CUDA device (this check is for a GPU machine)")
        return
    size = tuple(int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        project = prepare_project(Path(tmp), args.frames, size)
        rows = [train_variant(project, args.preset, v, args.steps, args.device)
                for v in ("ema", "rewis3d")]
    base = rows[0]["step_s"]
    name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    print_table(f"training steps, {args.preset}, {name}",
                ["method", "steps", "median step s", "ratio to EMA", "peak GPU GB"],
                [[r["variant"], r["steps"], r["step_s"], r["step_s"] / base, r["peak_gb"]]
                 for r in rows])
    print("RESULT " + json.dumps({"train_ratio": rows[1]["step_s"] / base, "rows": rows}))
    if not args.skip_ptv3:
        subprocess.run([sys.executable, str(HERE / "bench_ptv3.py"), "--quick",
                        "--presets", "ptv3-base", "--threads", "1"], check=False)


if __name__ == "__main__":
    main()
