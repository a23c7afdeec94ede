"""Quality benchmark: EMA baseline vs Rewis3d vs ablations (same labels, same step budget,
seeds; held-out frames with dense gt). Same as `rewis3d bench quality`; see docs/training.md.

    python benchmarks/bench_quality.py --steps 300 --seeds 0,1,2          # full (hours on 2 cores)
    python benchmarks/bench_quality.py --steps 40 --seeds 0 --scenes street --points 2048 \
        --variants ema,rewis3d,random-sampling,conf-none                    # reduced
"""

from __future__ import annotations

import sys

import torch

from rewis3d.cli import main

if __name__ == "__main__":
    torch.set_num_threads(2)
    sys.exit(main(["bench", "quality", *sys.argv[1:]]))
