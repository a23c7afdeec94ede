"""Screenshots of the Train tab with the real trainer: mid-run, then after Cancel (which
checkpoints the step) — `xvfb-run -a python benchmarks/gui_screenshots_cancel.py`.

Unlike gui_screenshots_train.py this runs `rewis3d train` itself (cpu-quick, 300 steps on the
12-frame sample street), so the progress, ETA and curves are what a person sees; it takes a
few minutes on a 2-core machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_screenshots import sample_viewer, scribble_frames, settle  # noqa: E402

LABELLED = (0, 6)
MID_RUN_STEP = 25  # late enough for the curves to be lines, early enough to cancel


def main() -> None:
    from rewis3d.train.events import read_events

    project, viewer, dock, app, shot = sample_viewer("rewis3d-shots-cancel-", (1700, 1000),
                                                     settle_s=0.5)
    session = dock.session
    dock.project_panel.open_project(project)
    scribble_frames(session, LABELLED)

    panel = dock.training_panel
    dock.show_panel(panel)
    panel.run_name.setText("rewis3d-1")
    panel.start()
    run_dir = project / "runs" / "rewis3d-1"
    deadline = time.monotonic() + 1800
    while not any(e["step"] >= MID_RUN_STEP for e in read_events(run_dir, "progress")
                  if e.get("phase") == "training"):
        if "failed" in panel.status.text() or time.monotonic() > deadline:
            raise SystemExit(f"the run did not get to step {MID_RUN_STEP}: "
                             f"{panel.status.text()}\n{panel.log_tail.toPlainText()}")
        settle(app, 0.2)
    settle(app, 1.0)
    shot("train_midrun")
    print("mid-run:", panel.status.text())

    panel.cancel()
    settle(app, 0.5)
    shot("train_cancelling")
    while panel.timer.isActive() or panel._cancel_worker.is_running:
        settle(app, 0.2)
    shot("train_cancelled")
    print("after cancel:", panel.status.text(), "|", panel.resume_button.text())
    viewer.close()


if __name__ == "__main__":
    main()
