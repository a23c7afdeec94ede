"""How long MapAnything takes on this CPU, per chunk size: the released architecture with random
weights (the compute does not depend on the weights), through the same ``load_images`` +
``infer`` calls the plugin makes. Prints a table; the numbers feed the CPU estimate the backend
prints before a run (``estimate.py``).

    python time_cpu.py --mapanything-src PATH/TO/map-anything [--views 1,2,4] [--threads 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mapanything-src", type=Path, required=True)
    parser.add_argument("--views", default="1,2,4", help="chunk sizes to time")
    parser.add_argument("--size", default="640x480", help="frame size WxH")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tiny", action="store_true", help="the tiny model (a quick dry run)")
    args = parser.parse_args()

    import numpy as np
    import torch
    from mapanything.utils.image import load_images
    from PIL import Image
    from random_model import build

    torch.set_num_threads(args.threads)
    width, height = (int(v) for v in args.size.split("x"))
    model, _ = build(args.mapanything_src, tiny=args.tiny)
    params = sum(p.numel() for p in model.parameters())
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(v) for v in args.views.split(",")):
            paths = []
            for i in range(n):
                path = Path(tmp) / f"{n}-{i:03d}.png"
                Image.fromarray(rng.integers(0, 255, (height, width, 3), np.uint8)).save(path)
                paths.append(str(path))
            views = load_images(paths)
            grid = tuple(views[0]["img"].shape[-2:])
            start = time.perf_counter()
            with torch.no_grad():
                model.infer(views, memory_efficient_inference=True, use_amp=False,
                            apply_mask=True, mask_edges=True)
            seconds = time.perf_counter() - start
            rows.append((n, grid, seconds))
            print(f"  {n} views: {seconds:.1f} s", flush=True)
    print(f"\nMapAnything ({params / 1e9:.2f} B parameters, random weights), CPU, "
          f"{args.threads} thread(s), {width}x{height} frames")
    print("| views per chunk | model input | seconds | seconds per view |")
    print("|---:|---|---:|---:|")
    for n, grid, seconds in rows:
        print(f"| {n} | {grid[1]}x{grid[0]} | {seconds:.1f} | {seconds / n:.1f} |")


if __name__ == "__main__":
    main()
