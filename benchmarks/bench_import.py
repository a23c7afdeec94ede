"""Import speed of the 200-frame 7-Scenes sequence and the store's size on disk.

Baseline in the same run: decoding the same files alone (PIL + numpy, no store), so the ratio
shows what the store's validation and zarr writes add.

    .venv/bin/python benchmarks/bench_import.py [--src ../shared/data/7scenes-redkitchen]
        [--json OUT.json]      # key numbers for run_all.py (also printed as a RESULT line)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import Timer, print_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", type=Path, default=REPO / ".." / "shared" / "data" / "7scenes-redkitchen")
    parser.add_argument("--json", type=Path, help="write the key numbers here")
    args = parser.parse_args()
    if not args.src.is_dir():
        print(f"skipped: {args.src} not found")
        print("RESULT " + json.dumps({"skipped": f"{args.src} not found"}))
        return

    from rewis3d.io import READERS, import_frames
    from rewis3d.store import Project

    source = READERS["7scenes"](args.src)
    with Timer() as decode:
        n = sum(1 for _ in source.frames)
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "proj")
        with Timer() as full:
            scene = import_frames(project, "kitchen", READERS["7scenes"](args.src))
        store_bytes = folder_size(project.store_path)
        source_bytes = folder_size(args.src)
        h, w = scene.image_size
    print_table(
        f"import 7scenes: {n} frames {w}x{h} ({args.src.name})",
        ["step", "seconds", "frames/s", "ratio to decode"],
        [
            ["decode only (baseline)", decode.seconds, n / decode.seconds, 1.0],
            ["import into the store", full.seconds, n / full.seconds, full.seconds / decode.seconds],
        ],
    )
    print_table(
        "size on disk", ["what", "MB"],
        [["source files (jpg + png + txt)", source_bytes / 1e6], ["rewis3d.zarr", store_bytes / 1e6]],
    )
    result = {"frames": n, "decode_s": decode.seconds, "import_s": full.seconds,
              "ratio": full.seconds / decode.seconds, "store_mb": store_bytes / 1e6,
              "load": os.getloadavg()[0]}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
