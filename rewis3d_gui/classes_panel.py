"""Classes panel: the palette. Pick the class to paint; add, rename and recolour classes.

Changes go straight to the project (``Project.add_class`` / ``rename_class`` /
``set_class_color``) and the session repaints every label layer, so colours match everywhere.
"""

from __future__ import annotations

from qtpy.QtGui import QColor, QIcon, QPixmap
from qtpy.QtWidgets import (
    QColorDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rewis3d_gui.session import MAX_CLASS_KEYS, Session


def color_icon(rgb: tuple[int, int, int], size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


class ClassesPanel(QWidget):
    """A list of the project's classes; the selected row is the class being painted."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("class name")
        add, rename, recolor = QPushButton("Add"), QPushButton("Rename"), QPushButton("Colour…")
        add.clicked.connect(lambda: self.add_class(self.name_edit.text()))
        rename.clicked.connect(lambda: self.rename_selected(self.name_edit.text()))
        recolor.clicked.connect(self._pick_color)
        buttons = QHBoxLayout()
        for button in (add, rename, recolor):
            buttons.addWidget(button)
        hint = QLabel(f"Keys 1–{MAX_CLASS_KEYS} select a class while the labels layer is active.")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Classes</b>"))
        layout.addWidget(self.list)
        layout.addWidget(self.name_edit)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        session.project_changed.connect(self.refresh)
        session.classes_changed.connect(self.refresh)
        session.class_selected.connect(self._show_selected)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the list from the project's classes."""
        self.list.blockSignals(True)
        self.list.clear()
        project = self.session.project
        for c in project.classes if project else []:
            key = f"[{c.id + 1}] " if c.id < MAX_CLASS_KEYS else ""
            self.list.addItem(QListWidgetItem(color_icon(c.color), f"{key}{c.name}"))
        self.list.blockSignals(False)
        if self.session.selected_class is not None:
            self._show_selected(self.session.selected_class)

    def add_class(self, name: str, color=None) -> bool:
        ok = self.session.edit_classes(
            f"add class {name!r}", lambda project: project.add_class(name.strip(), color)
        )
        if ok:
            self.name_edit.clear()
            self.session.select_class(self.session.project.num_classes - 1)
        return ok

    def rename_selected(self, name: str) -> bool:
        class_id = self.session.selected_class
        if class_id is None:
            return False
        return self.session.edit_classes(
            f"rename class {class_id}", lambda project: project.rename_class(class_id, name.strip())
        )

    def recolor_selected(self, color) -> bool:
        class_id = self.session.selected_class
        if class_id is None:
            return False
        return self.session.edit_classes(
            f"recolour class {class_id}", lambda project: project.set_class_color(class_id, color)
        )

    def _pick_color(self) -> None:
        class_id = self.session.selected_class
        if class_id is None:
            return
        current = QColor(*self.session.project.classes[class_id].color)
        chosen = QColorDialog.getColor(current, self, "Class colour")
        if chosen.isValid():
            self.recolor_selected((chosen.red(), chosen.green(), chosen.blue()))

    def _on_row_changed(self, row: int) -> None:
        if row >= 0:
            self.session.select_class(row)

    def _show_selected(self, class_id: int) -> None:
        if self.list.currentRow() != class_id:
            self.list.blockSignals(True)
            self.list.setCurrentRow(class_id)
            self.list.blockSignals(False)
