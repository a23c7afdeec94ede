"""Per-stroke preview update in the GUI at 2M points / 100 frames:
`xvfb-run -a python benchmarks/bench_gui_preview.py` (last line: RESULT {json} for run_all.py).

A synthetic RGB-D scene (a camera sliding past a wall and a floor, 100 frames of 160x125, all
pixels with depth) is reconstructed with sensor-depth (2.0M points). Strokes are painted through
the Labels layer's API; each is timed from the paint call until the preview layer is updated
(store write + propagation + redraw of the changed frames), and the preview's own share too.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

FRAMES, H, W = 100, 125, 160


def make_scene(path: Path):
    from rewis3d.reconstruct import reconstruct_scene
    from rewis3d.store import Project

    project = Project.create(path, ["wall", "floor", "thing"])
    K = np.array([[120.0, 0, W / 2], [0, 120.0, H / 2], [0, 0, 1]])
    v = np.arange(H)[:, None].repeat(W, 1)
    depth = np.where(v < 70, 4.0, 4.0 * 55 / np.maximum(v - 15, 1)).astype(np.float32)  # wall + floor
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
    import napari
    from qtpy.QtWidgets import QApplication

    from rewis3d_gui.dock import Rewis3dDock

    path = Path(tempfile.mkdtemp(prefix="rewis3d-bench-gui-")) / "proj"
    t = time.perf_counter()
    project, num_points = make_scene(path)
    print(f"scene: {FRAMES} frames {W}x{H}, {num_points:,} points ({time.perf_counter() - t:.1f} s)")
    viewer = napari.Viewer(show=True)
    dock = Rewis3dDock(viewer)
    viewer.window.add_dock_widget(dock)
    app = QApplication.instance()
    dock.project_panel.open_project(path)
    session, layer = dock.session, dock.session.labels_layer
    t = time.perf_counter()
    dock.preview_panel.toggle.setChecked(True)
    print(f"preview built in {1000 * (time.perf_counter() - t):.0f} ms")
    dock.annotate_panel.set_tool("scribble")
    totals, previews = [], []
    rng = np.random.default_rng(1)
    for i in range(12):
        frame = int(rng.integers(0, FRAMES))
        session.viewer.dims.set_current_step(0, frame)
        app.processEvents()
        class_id = i % 3
        v0 = 30 if class_id == 0 else 100
        start = time.perf_counter()
        layer._begin_stroke()  # one mouse drag = one paint event
        for u in range(20, 60, 2):
            layer.paint((frame, v0 + (i % 5), u), class_id + 1, refresh=False)
        layer._commit_stroke()
        layer.refresh()
        totals.append(1000 * (time.perf_counter() - start))
        previews.append(dock.preview_panel.last_update_ms)
        app.processEvents()
    totals, previews = np.array(totals[2:]), np.array(previews[2:])  # skip warm-up
    print(f"per stroke, {len(totals)} strokes (brush 7, 40 px long):")
    print(f"  stroke end -> preview updated (store write + preview + redraw): "
          f"median {np.median(totals):.0f} ms, max {totals.max():.0f} ms")
    print(f"  preview update alone: median {np.median(previews):.0f} ms, "
          f"max {previews.max():.0f} ms   (budget 150 ms)")
    print("RESULT " + json.dumps({
        "points": num_points, "stroke_to_preview_ms": float(np.median(totals)),
        "preview_update_ms": float(np.median(previews)), "load": os.getloadavg()[0]}))
    viewer.close()


if __name__ == "__main__":
    main()
