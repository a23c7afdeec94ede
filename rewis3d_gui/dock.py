"""The plugin's dock widget: one session shared by every panel, the panels in tabs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qtpy.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from rewis3d_gui.annotate_panel import AnnotatePanel
from rewis3d_gui.classes_panel import ClassesPanel
from rewis3d_gui.preview_panel import PreviewPanel
from rewis3d_gui.project_panel import ProjectPanel
from rewis3d_gui.reconstruction_panel import ReconstructionPanel
from rewis3d_gui.session import Session

if TYPE_CHECKING:
    import napari


class Rewis3dDock(QWidget):
    """Project | Label (classes, tools, preview) | 3D (reconstruction)."""

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
        self.tabs.addTab(self.project_panel, "Project")
        self.tabs.addTab(label_tab, "Label")
        self.tabs.addTab(self.reconstruction_panel, "3D")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.session.scene_changed.connect(lambda: self.tabs.setCurrentIndex(1))
