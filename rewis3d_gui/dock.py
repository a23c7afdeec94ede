"""The plugin's dock widget: one session shared by every panel, the panels in tabs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qtpy.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rewis3d_gui.annotate_panel import AnnotatePanel
from rewis3d_gui.classes_panel import ClassesPanel
from rewis3d_gui.predictions import PredictionsPanel
from rewis3d_gui.preview_panel import PreviewPanel
from rewis3d_gui.project_panel import ProjectPanel
from rewis3d_gui.reconstruction_panel import ReconstructionPanel
from rewis3d_gui.review_panel import ReviewPanel
from rewis3d_gui.session import Session
from rewis3d_gui.training_panel import TrainingPanel

if TYPE_CHECKING:
    import napari


class Rewis3dDock(QWidget):
    """Project | Label (classes, tools, preview) | 3D (reconstruction) | Train | Review."""

    def __init__(self, napari_viewer: napari.Viewer):
        super().__init__()
        self.session = Session(napari_viewer)
        self.project_panel = ProjectPanel(self.session)
        self.classes_panel = ClassesPanel(self.session)
        self.annotate_panel = AnnotatePanel(self.session)
        self.preview_panel = PreviewPanel(self.session)
        self.reconstruction_panel = ReconstructionPanel(self.session)
        label_tab = QWidget()
        label_layout = QVBoxLayout(label_tab)
        for panel in (self.classes_panel, self.annotate_panel, self.preview_panel):
            label_layout.addWidget(panel)
        self.tabs = QTabWidget()
        self.tabs.addTab(_scrolling(self.project_panel), "Project")
        self.tabs.addTab(_scrolling(label_tab), "Label")
        self.tabs.addTab(_scrolling(self.reconstruction_panel), "3D")
        self._add_training_tabs()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._error_line())
        layout.addWidget(self.tabs)
        self.session.scene_changed.connect(lambda: self.tabs.setCurrentIndex(1))

    def show_panel(self, panel: QWidget) -> None:
        """Bring the tab holding ``panel`` to the front."""
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).isAncestorOf(panel):
                self.tabs.setCurrentIndex(i)
                return

    def _error_line(self) -> QWidget:
        """The last error, above every tab, until an action succeeds or it is dismissed: a
        toast alone is gone in a second or two."""
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #ff6b6b")
        dismiss = QToolButton()
        dismiss.setText("✕")
        dismiss.setToolTip("Dismiss")
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(self.error_label, 1)
        row.addWidget(dismiss)
        box.setVisible(False)
        self.error_box = box

        def show(message: str) -> None:
            self.error_label.setText(message)
            box.setVisible(bool(message))

        self.session.error_changed.connect(show)
        dismiss.clicked.connect(lambda: show(""))
        return box

    def _add_training_tabs(self) -> None:
        """Train (jobs) and Review (predictions, ranking, accept, retrain), wired together."""
        self.predictions_panel = PredictionsPanel(self.session)
        self.training_panel = TrainingPanel(self.session,
                                            load_predictions=self.predictions_panel.load_run)
        self.review_panel = ReviewPanel(self.session, retrain=self.training_panel.retrain)
        self.predictions_panel.runs_changed.connect(self.review_panel.set_runs)
        review_tab = QWidget()
        review_layout = QVBoxLayout(review_tab)
        review_layout.addWidget(self.predictions_panel)
        review_layout.addWidget(self.review_panel)
        self.tabs.addTab(_scrolling(self.training_panel), "Train")
        self.tabs.addTab(_scrolling(review_tab), "Review")


def _scrolling(panel: QWidget) -> QScrollArea:
    """A tab that scrolls when the window is short, instead of squashing its controls below
    their readable size (napari's default window is ~1200x800)."""
    area = QScrollArea()
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area
