"""Screenshots of the forms generated from typed configs: the Train tab's "All settings"
(TrainConfig) and the 3D tab's "Backend options" (the backend's options dataclass), for
docs/gui_training.md: `xvfb-run -a python benchmarks/gui_screenshots_settings.py`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_screenshots import sample_viewer  # noqa: E402


def main() -> None:
    project, viewer, dock, app, shot = sample_viewer("rewis3d-settings-", (1280, 900))
    dock.project_panel.open_project(project)
    dock.tabs.setCurrentIndex([dock.tabs.tabText(i) for i in range(dock.tabs.count())].index("Train"))
    panel = dock.training_panel
    panel.settings.advanced_toggle.setChecked(True)
    panel.settings.advanced.widgets["data.crop"].value = "[64, 96]"  # a changed field
    scroll = dock.tabs.currentWidget()
    scroll.ensureWidgetVisible(panel.settings.advanced.widgets["data.crop"].native)
    shot("train_all_settings")
    dock.tabs.setCurrentIndex([dock.tabs.tabText(i) for i in range(dock.tabs.count())].index("3D"))
    dock.reconstruction_panel.options_toggle.setChecked(True)
    shot("3d_backend_options")
    viewer.close()


if __name__ == "__main__":
    main()
