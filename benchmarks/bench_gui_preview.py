"""Per-stroke preview update in the GUI at 2M points / 100 frames:
`xvfb-run -a python benchmarks/bench_gui_preview.py` (last line: RESULT {json} for run_all.py).

A synthetic RGB-D scene (a camera sliding past a wall and a floor, 100 frames of 160x125, all
pixels with depth) is reconstructed with sensor-depth (2.0M points; ``--width 876 --height 684``
gives 60M). Strokes are painted through the Labels layer's API; each is timed from the paint
call until the frame on screen shows the new preview (store write + propagation + redraw of the
shown frame + the cloud's labels), the preview's own share, and the time until every other
changed frame has been re-rendered in the idle slices (the event loop kept running).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

FRAMES = 100


def make_scene(path: Path, W: int, H: int):
    from rewis3d.reconstruct import reconstruct_scene
    from rewis3d.store import Project

    project = Project.create(path, ["wall", "floor", "thing"])
    focal = 120.0 * W / 160  # the same view at any resolution
    K = np.array([[focal, 0, W / 2], [0, focal, H / 2], [0, 0, 1]])
    v = np.arange(H)[:, None].repeat(W, 1)
    horizon = int(0.56 * H)  # wall above, floor below
    depth = np.where(v < horizon, 4.0, 4.0 * (horizon - 15 * H / 125) / np.maximum(
        v - 15 * H / 125, 1)).astype(np.float32)
    rng = np.random.default_rng(0)
    with project.scene_writer("bench") as writer:
        for f in range(FRAMES):
            pose = np.eye(4)
            pose[0, 3] = 0.05 * f
            writer.append(rgb=rng.integers(0, 255, (H, W, 3), dtype=np.uint8), intrinsics=K,
                          pose=pose, depth=depth, name=f"{f:04d}")
    scene = project.scene("bench")
    recon = reconstruct_scene(scene, "sensor-depth")
    return project, recon.num_points


def main() -> None:
    import argparse

    import napari
    from qtpy.QtWidgets import QApplication

    from rewis3d_gui.dock import Rewis3dDock

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=160)
    parser.add_argument("--height", type=int, default=125)
    parser.add_argument("--strokes", type=int, default=12)
    args = parser.parse_args()
    W, H = args.width, args.height
    path = Path(tempfile.mkdtemp(prefix="rewis3d-bench-gui-")) / "proj"
    t = time.perf_counter()
    project, num_points = make_scene(path, W, H)
    print(f"scene: {FRAMES} frames {W}x{H}, {num_points:,} points ({time.perf_counter() - t:.1f} s)")
    viewer = napari.Viewer(show=True)
    dock = Rewis3dDock(viewer)
    viewer.window.add_dock_widget(dock)
    app = QApplication.instance()
    dock.project_panel.open_project(path)
    session, layer = dock.session, dock.session.labels_layer
    panel = dock.preview_panel
    t = time.perf_counter()
    panel.toggle.setChecked(True)
    ticks = []
    while panel.building:  # in a worker thread: the event loop keeps turning
        ticks.append(time.perf_counter())
        app.processEvents()
        time.sleep(0.01)
    gaps = np.diff(ticks) if len(ticks) > 1 else np.zeros(1)
    print(f"preview built in {1000 * (time.perf_counter() - t):.0f} ms "
          f"(event loop: longest gap {1000 * gaps.max():.0f} ms)")
    dock.annotate_panel.set_tool("scribble")
    totals, previews, settled, stale = [], [], [], []
    rng = np.random.default_rng(1)
    for i in range(args.strokes):
        frame = int(rng.integers(0, FRAMES))
        session.viewer.dims.set_current_step(0, frame)
        app.processEvents()
        class_id = i % 3
        v0 = int((30 if class_id == 0 else 100) * H / 125)
        start = time.perf_counter()
        layer._begin_stroke()  # one mouse drag = one paint event
        for u in range(int(20 * W / 160), int(60 * W / 160), 2):
            layer.paint((frame, v0 + (i % 5), u), class_id + 1, refresh=False)
        layer._commit_stroke()
        layer.refresh()
        totals.append(1000 * (time.perf_counter() - start))
        previews.append(panel.last_update_ms)
        stale.append(len(panel.stale_frames))
        while panel.stale_frames:  # the other changed frames, in idle slices
            app.processEvents()
        settled.append(1000 * (time.perf_counter() - start))
    totals, previews = np.array(totals[2:]), np.array(previews[2:])  # skip warm-up
    settled, stale = np.array(settled[2:]), np.array(stale[2:])
    print(f"per stroke, {len(totals)} strokes (brush 7, {int(40 * W / 160)} px long):")
    print(f"  stroke end -> shown frame updated (store write + preview + redraw): "
          f"median {np.median(totals):.0f} ms, max {totals.max():.0f} ms")
    print(f"  preview update alone: median {np.median(previews):.0f} ms, "
          f"max {previews.max():.0f} ms   (budget 150 ms)")
    print(f"  other changed frames (median {np.median(stale):.0f}) all re-rendered after: "
          f"median {np.median(settled):.0f} ms, max {settled.max():.0f} ms (idle slices)")
    print("RESULT " + json.dumps({
        "points": num_points, "stroke_to_preview_ms": float(np.median(totals)),
        "preview_update_ms": float(np.median(previews)),
        "all_frames_ms": float(np.median(settled)), "load": os.getloadavg()[0]}))
    viewer.close()


if __name__ == "__main__":
    main()
