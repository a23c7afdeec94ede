"""Training step time by torch threads and OpenMP wait policy, on an idle machine and with one
core busy (another process spinning, as napari or a second job would).

    python benchmarks/bench_threads.py [--points 4000] [--steps 3]

Each cell is `bench_train_step.py --no-inference` in a fresh process (the policy is read when
torch loads libgomp): "default" leaves OMP_WAIT_POLICY unset (libgomp spins ~300k times before
sleeping), "PASSIVE" sleeps at once, "spin=N" sets GOMP_SPINCOUNT=N. The load is
a pure-Python busy loop pinned to nothing, started before and stopped after each loaded cell.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

STEP = Path(__file__).with_name("bench_train_step.py")
ROW = re.compile(r"\| (EMA baseline|Rewis3d)[^|]*\| ([\d.]+) \|")


def cell(threads: int, policy: str, loaded: bool, points: int, steps: int) -> dict:
    """``policy``: "default", "PASSIVE", or "spin=N" (GOMP_SPINCOUNT=N, policy unset)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    if policy == "PASSIVE":
        env["OMP_WAIT_POLICY"] = policy
    elif policy.startswith("spin="):
        env["GOMP_SPINCOUNT"] = policy.removeprefix("spin=")
    load = (subprocess.Popen([sys.executable, "-c", "while True: pass"]) if loaded else None)
    try:
        out = subprocess.run([sys.executable, str(STEP), "--points", str(points), "--steps",
                              str(steps), "--threads", str(threads), "--no-inference"],
                             env=env, capture_output=True, text=True, check=True).stdout
    finally:
        if load is not None:
            load.kill()
            load.wait()
    times = {name: float(value) for name, value in ROW.findall(out)}
    return {"ema": times["EMA baseline"], "rewis3d": times["Rewis3d"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--policies", nargs="+", default=["default", "PASSIVE"])
    args = ap.parse_args()
    print(f"| machine | threads | OpenMP waiting | EMA step s | Rewis3d step s | ratio |"
          f"  (cpu-quick, {args.points} points, median of {args.steps}; "
          f"load before: {os.getloadavg()[0]:.2f})")
    print("|---|---|---|---|---|---|")
    for loaded in (False, True):
        for threads in args.threads:
            for policy in args.policies:
                t = cell(threads, policy, loaded, args.points, args.steps)
                print(f"| {'one core busy' if loaded else 'idle'} | {threads} | {policy} | {t['ema']:.2f} | {t['rewis3d']:.2f} | "
                      f"{t['rewis3d'] / t['ema']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
