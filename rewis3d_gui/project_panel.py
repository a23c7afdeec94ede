"""Project panel: open, create, import frames (in the background, with progress), pick the scene."""

from __future__ import annotations

from pathlib import Path

from qtpy.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rewis3d_gui.background import run_in_background
from rewis3d_gui.session import Session

VIDEO_PATTERNS = "*.mp4 *.mov *.avi *.mkv *.webm *.m4v"


class ProjectPanel(QWidget):
    """Where a project comes from, and which of its scenes the viewer shows."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.worker = None
        self.path_label = QLabel("No project open")
        self.path_label.setWordWrap(True)
        open_button, new_button = QPushButton("Open…"), QPushButton("New…")
        open_button.clicked.connect(self._choose_project)
        new_button.clicked.connect(self._choose_new_project)
        buttons = QHBoxLayout()
        buttons.addWidget(open_button)
        buttons.addWidget(new_button)
        self.scenes = QComboBox()
        self.scenes.activated.connect(lambda i: self.session.show_scene(self.scenes.itemText(i)))
        self.info = QLabel("")
        self.info.setWordWrap(True)

        from rewis3d.io import READERS

        self.import_format = QComboBox()
        self.import_format.addItems(list(READERS))  # images first, then video, RGB-D formats
        self.import_format.setCurrentText("images")
        self.import_scene = QLineEdit()
        self.import_scene.setPlaceholderText("new scene name")
        import_button = QPushButton("Import frames…")
        import_button.clicked.connect(self._choose_import_source)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        form = QFormLayout()
        form.addRow("Scene", self.scenes)
        form.addRow("Import format", self.import_format)
        form.addRow("Import as", self.import_scene)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Project</b>"))
        layout.addWidget(self.path_label)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(import_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.info)
        layout.addStretch()
        session.project_changed.connect(self.refresh)
        session.scene_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        project, scene = self.session.project, self.session.scene
        self.path_label.setText(str(project.path) if project else "No project open")
        self.scenes.clear()
        if project is not None:
            self.scenes.addItems(project.scene_names())
        if scene is not None:
            self.scenes.setCurrentText(scene.name)
            h, w = scene.image_size
            recons = ", ".join(scene.reconstruction_names()) or "none"
            self.info.setText(
                f"{scene.num_frames} frames, {w}×{h}; depth: {'yes' if scene.has_depth else 'no'}"
                f"; ground truth: {'yes' if scene.has_gt else 'no'}; reconstructions: {recons}"
            )
        else:
            self.info.setText("")

    # -- actions (the dialogs only pick paths; these do the work and are what tests call) ----
    def open_project(self, path: str | Path) -> bool:
        return self.session.open_project(path)

    def import_frames(self, fmt: str, source: str | Path, scene: str):
        """Import ``source`` as ``scene`` of the open project in a background thread."""
        from rewis3d.io import READERS, import_frames

        project = self.session.project
        if project is None:
            from napari.utils.notifications import show_warning

            show_warning("Open or create a project before importing frames.")
            return None

        def job(progress):
            frames = READERS[fmt](Path(source))  # lists and checks before anything is written
            import_frames(project, scene, frames, progress=progress)
            return scene

        self.worker = run_in_background(job, self.progress, f"import {source}", self._imported)
        return self.worker

    def _imported(self, scene: str) -> None:
        project = self.session.project
        if project is not None and scene in project.scene_names():
            self.session.show_scene(scene)

    # -- dialogs ---------------------------------------------------------------------------
    def _choose_project(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a Rewis3d project")
        if path:
            self.open_project(path)

    def _choose_new_project(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder for the new project")
        if not path:
            return
        names, ok = QInputDialog.getText(self, "Classes", "Class names, comma separated:")
        if ok:
            self.session.create_project(path, [n.strip() for n in names.split(",") if n.strip()])

    def _choose_import_source(self) -> None:
        """A video is a file, every other format a folder: the picker asks for the right one."""
        if self.import_format.currentText() == "video":
            source, _ = QFileDialog.getOpenFileName(
                self, "Video to import", "", f"Videos ({VIDEO_PATTERNS});;All files (*)")
        else:
            source = QFileDialog.getExistingDirectory(self, "Folder to import")
        if source:
            self.import_frames(self.import_format.currentText(), source,
                               self.import_scene.text().strip() or Path(source).stem)
