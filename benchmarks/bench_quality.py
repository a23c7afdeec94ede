"""Quality benchmark: EMA baseline vs Rewis3d vs ablations, same-clip and unseen-clip 2D mIoU,
mean +- std over repetitions (each seed draws its own scenes, labels and training seed) and the
paired difference to EMA with a 95 % interval. Same as `rewis3d bench quality`; see
docs/training.md ("Quality").

    python benchmarks/bench_quality.py                                     # full (many hours)
    python benchmarks/bench_quality.py --steps 300 --seeds 0,1,2,3,4 --scenes street \
        --labels scribbles,points --variants ema,rewis3d --points 4096      # README's main rows
    python benchmarks/bench_quality.py --steps 40 --seeds 0 --scenes street --points 2048 \
        --variants ema,rewis3d,random-sampling,conf-none                    # reduced
"""

from __future__ import annotations

import sys

from rewis3d.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "quality", *sys.argv[1:]]))
