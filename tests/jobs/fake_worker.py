"""A stand-in for ``rewis3d train`` in job tests: writes step events with sleeps, and on demand
spawns a child process, crashes, ignores SIGTERM, or writes a (slow) prediction via the store.

Usage: fake_worker.py [train] PROJECT --run RUN [--steps N] [--interval S] [--spawn-child]
       [--crash-at K] [--ignore-term] [--predict SCENE] [--predict-seconds S] [--resume RUN]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path


def write_event(path: Path, **event) -> None:
    with path.open("a") as fh:
        fh.write(json.dumps({"time": time.time(), **event}) + "\n")
        fh.flush()


def write_prediction(project: Path, scene_name: str, run: str, seconds: float) -> None:
    import numpy as np

    from rewis3d.store import Project

    scene = Project.open(project).scene(scene_name)
    with scene.prediction_writer(run) as writer:
        for frame in range(scene.num_frames):
            labels = np.full(scene.image_size, frame % 2, np.uint8)
            writer.write(frame, labels, np.full(scene.image_size, 0.5, np.float32))
            time.sleep(seconds / scene.num_frames)  # a cancel lands mid-write


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("words", nargs="+", help="[train] PROJECT")
    parser.add_argument("--run")
    parser.add_argument("--resume")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--spawn-child", action="store_true")
    parser.add_argument("--crash-at", type=int, default=None)
    parser.add_argument("--ignore-term", action="store_true")
    parser.add_argument("--predict", default=None)
    parser.add_argument("--predict-seconds", type=float, default=0.0)
    args = parser.parse_args()
    project = Path(args.words[-1])
    run = args.resume or args.run
    events = project / "runs" / run / "events.jsonl"
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    first = 0
    if args.resume and events.is_file():
        first = sum(1 for line in events.read_text().splitlines() if '"step"' in line)
    print(f"fake worker for run {run}, steps {first}..{args.steps}", flush=True)
    if args.spawn_child:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        write_event(events, kind="child", pid=child.pid)
    if args.predict and args.predict_seconds:
        write_event(events, kind="predicting")
        write_prediction(project, args.predict, run, args.predict_seconds)
    for step in range(first, args.steps):
        if step == args.crash_at:
            print("about to fail: the fake loss went NaN", flush=True)
            raise RuntimeError(f"fake crash at step {step}")
        write_event(events, kind="step", step=step, total_steps=args.steps)
        time.sleep(args.interval)
    if args.predict and not args.predict_seconds:
        write_prediction(project, args.predict, run, 0.0)
    write_event(events, kind="done", steps=args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
