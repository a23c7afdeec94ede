"""`make bench`: run every benchmark and print one table with every budget of DESIGN.md.

    .venv/bin/python benchmarks/run_all.py            # each script's default sizes
    .venv/bin/python benchmarks/run_all.py --quick    # each script's --quick mode (minutes)
    .venv/bin/python benchmarks/run_all.py --full     # adds the 60M-point sampling scene
    ... --only sampling propagation                   # a subset of the scripts

Each script runs in its own subprocess with a time limit (GUI ones under ``xvfb-run -a`` when
there is no display). Numbers come from the script's ``RESULT {json}`` line; scripts owned by
other parts that print markdown tables are parsed where feasible. A budget whose script did
not run, failed or has no parseable number is "not measured" with the reason. Every script's
full output is kept in the log folder printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _table import print_table  # noqa: E402


@dataclass
class Script:
    name: str
    file: str
    args: list[str] = field(default_factory=list)
    quick: list[str] | None = None  # None: the script has no quick mode (skipped by --quick)
    full: list[str] | None = None
    limit: int = 900
    gui: bool = False


SCRIPTS = [
    Script("sampling", "bench_sampling.py", [], ["--quick"], ["--max", "60e6"], limit=1800),
    Script("propagation", "bench_propagation.py", [], ["--quick"]),
    Script("gui_cloud", "bench_gui_cloud.py", [], ["--quick"], gui=True),
    Script("gui_preview", "bench_gui_preview.py", [], [], gui=True),
    Script("train_step", "bench_train_step.py", [], ["--steps", "2"], limit=1200),
    Script("import", "bench_import.py", [], []),
    Script("ptv3", "bench_ptv3.py", [], ["--quick"], limit=1200),
    Script("reconstruct", "bench_reconstruct.py", [], None),
    Script("synthetic", "bench_synthetic.py", [], ["--frames", "10"]),
    Script("quality", "bench_quality.py",  # the reduced run of its docstring; full: hours
           ["--steps", "40", "--seeds", "0", "--scenes", "street", "--points", "2048",
            "--variants", "ema,rewis3d,random-sampling,conf-none"], None, limit=3600),
]


def run_script(script: Script, mode: str, log_dir: Path) -> dict:
    """Run one script; return {status, seconds, result, text}."""
    argv = {"quick": script.quick, "full": script.full or script.args}.get(mode, script.args)
    if argv is None:
        return {"status": "skipped (no --quick mode)", "seconds": 0.0, "result": None, "text": ""}
    if not (HERE / script.file).is_file():
        return {"status": "missing", "seconds": 0.0, "result": None, "text": ""}
    cmd = [sys.executable, str(HERE / script.file), *argv]
    if script.gui and not os.environ.get("DISPLAY"):
        if not shutil.which("xvfb-run"):
            return {"status": "skipped (no display, no xvfb-run)", "seconds": 0.0,
                    "result": None, "text": ""}
        cmd = ["xvfb-run", "-a", *cmd]
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=script.limit,
                              cwd=HERE.parent)
        text, status = done.stdout + done.stderr, "ok" if done.returncode == 0 else \
            f"failed (exit {done.returncode})"
    except subprocess.TimeoutExpired as exc:
        text = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) \
            else (exc.stdout or "")
        status = f"timeout ({script.limit} s)"
    seconds = time.perf_counter() - t0
    (log_dir / f"{script.name}.log").write_text(f"$ {' '.join(cmd)}\n{text}")
    return {"status": status, "seconds": seconds, "result": parse_result(text), "text": text}


def parse_result(text: str) -> dict | None:
    for line in reversed(text.splitlines()):
        if line.startswith("RESULT "):
            try:
                return json.loads(line[len("RESULT "):])
            except json.JSONDecodeError:
                return None
    return None


def markdown_value(text: str, row_start: str, column: int) -> float | None:
    """A number from a markdown table row printed by a script (``| name | v1 | v2 |``)."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith(row_start) and len(cells) > column:
            match = re.match(r"[-+]?\d*\.?\d+", cells[column])
            if match:
                return float(match.group())
    return None


def budget_rows(runs: dict[str, dict]) -> list[list]:
    """One row per DESIGN.md budget: what, measured, budget, ratio to baseline, verdict, note."""
    rows = []

    def reason(name: str) -> str:
        run = runs.get(name)
        return "script not run" if run is None else (
            f"bench {name}: {run['status']}" if run["status"] != "ok" else
            f"bench {name}: no number in its output")

    r = (runs.get("sampling") or {}).get("result")
    if r:
        ok = r["sample_ms"] <= 20 and r["growth"] <= 1.5
        rows.append(["view-aware sample, 120K points", f"{r['sample_ms']:.1f} ms at "
                     f"{r['largest'] / 1e6:.0f}M points (largest/smallest scene {r['growth']:.2f})",
                     "<= 20 ms, flat", f"{r['sample_ms'] / r['random_ms']:.1f}x random sampling",
                     "pass" if ok else "miss",
                     "" if r["largest"] >= 60e6 else "60M: run_all.py --full"])
    else:
        rows.append(["view-aware sample, 120K points", "not measured",
                     "<= 20 ms, flat", "", "not measured", reason("sampling")])
    r = (runs.get("propagation") or {}).get("result")
    if r:
        rows.append(["propagation preview after one stroke", f"{r['median_ms']:.0f} ms median "
                     f"({r['points'] / 1e6:.1f}M points / {r['frames']} frames)", "<= 150 ms",
                     f"{r['median_ms'] / r['baseline_all_frames_ms']:.2f}x re-render all frames",
                     "pass" if r["median_ms"] <= 150 else "miss", ""])
    else:
        rows.append(["propagation preview after one stroke", "not measured", "<= 150 ms", "",
                     "not measured", reason("propagation")])
    r = (runs.get("gui_cloud") or {}).get("result")
    if r:
        worst = max(r["first_open_s"], r["later_open_s"])
        rows.append(["napari 3D view", f"{r['later_open_s']:.1f} s (first open "
                     f"{r['first_open_s']:.1f} s), {r['points'] / 1e6:.0f}M points, "
                     f"{r['shown']:,} shown", "<= 3 s at 20M",
                     f"{r['later_open_s'] / r['full_read_s']:.2f}x reading all arrays",
                     ("pass" if worst <= 3 else "miss") if r["points"] >= 20e6 else "n/a (quick)",
                     "software OpenGL under xvfb" if os.environ.get("DISPLAY") is None else ""])
    else:
        rows.append(["napari 3D view", "not measured", "<= 3 s at 20M", "", "not measured",
                     reason("gui_cloud")])
    run = runs.get("train_step") or {}
    text = run.get("text", "")
    ema = markdown_value(text, "EMA baseline", 1)
    rw, step_ratio = markdown_value(text, "Rewis3d", 1), markdown_value(text, "Rewis3d", 2)
    if rw is not None and step_ratio is not None:
        rows.append(["Rewis3d training step vs EMA baseline", f"{rw:.2f} (EMA {ema:.2f})",
                     "<= 2.0x", f"{step_ratio:.2f}x", "pass" if step_ratio <= 2 else "miss", ""])
    else:
        rows.append(["Rewis3d training step vs EMA baseline", "not measured", "<= 2.0x", "",
                     "not measured", reason("train_step")])
    plain, inf_ratio = markdown_value(text, "plain SegFormer", 1), \
        markdown_value(text, "exported Rewis3d", 2)
    if plain is not None and inf_ratio is not None:
        rows.append(["2D inference vs plain SegFormer", f"{plain * inf_ratio:.1f} ms "
                     f"(plain {plain:.1f} ms)", "<= 1.05x", f"{inf_ratio:.2f}x",
                     "pass" if inf_ratio <= 1.05 else "miss", ""])
    else:
        rows.append(["2D inference vs plain SegFormer", "not measured", "<= 1.05x", "",
                     "not measured", reason("train_step")])
    rows.append(["full `make test`", "not measured", "<= 15 min", "", "not measured",
                 "not a benchmark: time `make test` itself (it must not run inside make bench)"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--full", action="store_true")
    parser.add_argument("--only", nargs="+", help="script names: " +
                        " ".join(s.name for s in SCRIPTS))
    parser.add_argument("--log-dir", type=Path)
    args = parser.parse_args()
    chosen = [s for s in SCRIPTS if not args.only or s.name in args.only]
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="rewis3d-bench-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    mode_name = "quick" if args.quick else "full" if args.full else "default"
    runs = {}
    for script in chosen:
        print(f"running {script.file} ({mode_name}) ...", flush=True)
        runs[script.name] = run_script(script, mode_name, log_dir)
        print(f"  {runs[script.name]['status']} in {runs[script.name]['seconds']:.0f} s",
              flush=True)
    print_table("benchmark scripts", ["script", "status", "seconds"],
                [[s.file, runs[s.name]["status"], round(runs[s.name]["seconds"])]
                 for s in chosen])
    load = os.getloadavg()
    print_table(f"performance budgets (DESIGN.md), {mode_name} mode, {os.cpu_count()} CPUs, "
                f"load avg {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}",
                ["budget", "measured", "budget", "ratio to baseline (same run)", "verdict",
                 "note"], budget_rows(runs))
    print(f"\nlogs: {log_dir}")


if __name__ == "__main__":
    main()
