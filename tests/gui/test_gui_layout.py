"""At napari's default window size every control of every tab keeps its readable size and
fits the dock's width: tabs scroll down instead of squashing (the annotate tool buttons used to
be crushed unreadable), and nothing needs sideways scrolling."""

import pytest
from qtpy.QtWidgets import QAbstractButton, QApplication

pytestmark = pytest.mark.gui


def test_no_control_is_squashed_at_the_default_window_size(make_napari_viewer, street_project):
    from rewis3d_gui.dock import Rewis3dDock

    viewer = make_napari_viewer(show=True)
    dock = Rewis3dDock(viewer)
    viewer.window.add_dock_widget(dock, name="Rewis3d")
    dock.project_panel.open_project(street_project)
    dock.training_panel.settings.advanced_toggle.setChecked(True)  # the generated form fits too
    squashed = []
    for i in range(dock.tabs.count()):
        dock.tabs.setCurrentIndex(i)
        QApplication.processEvents()
        if dock.tabs.widget(i).horizontalScrollBar().maximum() > 0:
            squashed.append(f"{dock.tabs.tabText(i)}: wider than the dock (scrolls sideways)")
        for button in dock.tabs.widget(i).findChildren(QAbstractButton):
            if button.isVisibleTo(dock.tabs.widget(i)) and (
                    button.height() < button.minimumSizeHint().height()):
                squashed.append(f"{dock.tabs.tabText(i)}: {button.text()!r} "
                                f"{button.height()} < {button.minimumSizeHint().height()} px")
    window = viewer.window._qt_window
    assert not squashed, f"window {window.width()}x{window.height()}: " + "; ".join(squashed)
