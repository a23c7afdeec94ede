"""Annotate panel: drawing tools, undo/redo, and the list of labelled frames.

Every finished stroke (one ``paint`` event of the labels layer) is written to the store with
``annotations.add_stroke`` right away, so a killed napari loses nothing. The touched pixels are
re-read from the layer, which handles both kinds of history atoms napari emits (masked atoms
and (indices, old, new) tuples) and whatever the stroke did (paint, erase, polygon fill).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qtpy.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rewis3d.store import IGNORE_INDEX
from rewis3d_gui.layers import labels_from_layer
from rewis3d_gui.session import Session


@dataclass(frozen=True)
class Tool:
    """How a drawing tool sets up the labels layer; ``size`` None = from the panel's spin box."""

    name: str
    label: str
    mode: str
    size: int | None = None


TOOLS = (
    Tool("point", "Point (click = disk)", "paint"),
    Tool("scribble", "Scribble (brush)", "paint"),
    Tool("coarse", "Coarse (large brush)", "paint", 31),
    Tool("polygon", "Coarse (polygon fill)", "polygon"),
    Tool("eraser", "Eraser", "erase", 15),
)


def stroke_changes(atoms, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(K, 3) unique (frame, v, u) a stroke changed and their new layer values (last wins).

    Values come from the atoms, not the layer: napari emits ``paint`` for a direct
    ``layer.paint`` call before it writes the pixels, and after a mouse stroke.
    """
    coords, values = [], []
    for atom in atoms:
        if hasattr(atom, "slice_key"):  # masked atom: a bounding box and an optional mask
            ranges = [np.arange(*s.indices(n)) for s, n in zip(atom.slice_key, shape, strict=True)]
            grids = np.meshgrid(*ranges, indexing="ij")
            where = np.stack([g.ravel() for g in grids], axis=1)
            if atom.mask is not None:
                where = where[np.asarray(atom.mask).ravel()]
            new = np.full(len(where), atom.new_value)
        else:  # (indices, old values, new values)
            where = np.stack([np.asarray(i).ravel() for i in atom[0]], axis=1)
            new = np.broadcast_to(np.asarray(atom[2]).ravel(), len(where))
        coords.append(where)
        values.append(new)
    if not coords:
        return np.zeros((0, len(shape)), dtype=np.int64), np.zeros(0, dtype=np.int64)
    coords_all = np.concatenate(coords).astype(np.int64)[::-1]
    values_all = np.concatenate(values).astype(np.int64)[::-1]
    unique, first = np.unique(coords_all, axis=0, return_index=True)  # first of reversed = last
    return unique, values_all[first]


class AnnotatePanel(QWidget):
    """Tools that configure the labels layer, and the store write behind every stroke."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._layer = None
        self._undo: list[np.ndarray] = []  # touched pixels of each stroke, newest last
        self._redo: list[np.ndarray] = []
        self.counts: dict[int, int] = {}
        self.tool_buttons = QButtonGroup(self)
        tools = QVBoxLayout()
        for i, tool in enumerate(TOOLS):
            button = QRadioButton(tool.label)
            self.tool_buttons.addButton(button, i)
            tools.addWidget(button)
        self.tool_buttons.idClicked.connect(lambda i: self.set_tool(TOOLS[i].name))
        self.point_radius = QSpinBox(minimum=0, maximum=20, value=3)
        self.brush_width = QSpinBox(minimum=1, maximum=99, value=7)
        self.point_radius.valueChanged.connect(lambda _: self.set_tool(self.tool.name))
        self.brush_width.valueChanged.connect(lambda _: self.set_tool(self.tool.name))
        sizes = QFormLayout()
        sizes.addRow("Point radius (px)", self.point_radius)
        sizes.addRow("Scribble width (px)", self.brush_width)
        undo, redo = QPushButton("Undo"), QPushButton("Redo")
        undo.clicked.connect(self.undo)
        redo.clicked.connect(self.redo)
        history = QHBoxLayout()
        history.addWidget(undo)
        history.addWidget(redo)
        self.frames = QListWidget()
        self.frames.itemClicked.connect(self._go_to_frame)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Annotate</b>"))
        layout.addLayout(tools)
        layout.addLayout(sizes)
        layout.addLayout(history)
        layout.addWidget(QLabel("Labelled frames (click to go there)"))
        layout.addWidget(self.frames)
        self.tool = TOOLS[0]
        self.tool_buttons.button(0).setChecked(True)
        session.scene_changed.connect(self._on_scene_changed)
        self._on_scene_changed()

    # -- tools -----------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        """Switch the labels layer to tool ``name`` (see ``TOOLS``)."""
        index = next(i for i, t in enumerate(TOOLS) if t.name == name)
        self.tool = TOOLS[index]
        self.tool_buttons.button(index).setChecked(True)
        layer = self.session.labels_layer
        if layer is None:
            return
        layer.mode = self.tool.mode
        if self.tool.name == "point":
            layer.brush_size = 2 * self.point_radius.value() + 1
        elif self.tool.size is None:
            layer.brush_size = self.brush_width.value()
        else:
            layer.brush_size = self.tool.size
        self.session.viewer.layers.selection.active = layer

    # -- strokes ---------------------------------------------------------------------------
    def _on_scene_changed(self) -> None:
        if self._layer is not None:
            self._layer.events.paint.disconnect(self._on_paint)
        self._layer = self.session.labels_layer
        self._undo.clear()
        self._redo.clear()
        scene = self.session.scene
        self.counts = scene.annotations.labelled_counts() if scene is not None else {}
        self._show_counts()
        if self._layer is not None:
            self._layer.events.paint.connect(self._on_paint)
            self._layer.bind_key("Control-Z", lambda _layer: self.undo(), overwrite=True)
            self._layer.bind_key("Control-Shift-Z", lambda _layer: self.redo(), overwrite=True)
            self.set_tool(self.tool.name)

    def _on_paint(self, event) -> None:
        pixels, values = stroke_changes(event.value, self._layer.data.shape)
        self._undo.append(pixels)
        self._redo.clear()
        self._save(pixels, values, self.tool.name)

    def undo(self) -> None:
        if self._layer is None or not self._undo:
            return
        self._layer.undo()
        pixels = self._undo.pop()
        self._redo.append(pixels)
        self._save(pixels, self._current_values(pixels), "undo")

    def redo(self) -> None:
        if self._layer is None or not self._redo:
            return
        self._layer.redo()
        pixels = self._redo.pop()
        self._undo.append(pixels)
        self._save(pixels, self._current_values(pixels), "redo")

    def _current_values(self, pixels: np.ndarray) -> np.ndarray:
        return np.asarray(self._layer.data[tuple(pixels.T)])

    def _save(self, pixels: np.ndarray, layer_values: np.ndarray, tool: str) -> None:
        """Write ``layer_values`` at ``pixels`` (frame, v, u) to the store, one stroke per class."""
        scene = self.session.scene
        if scene is None or not len(pixels):
            return
        with self.session.user_errors("save the stroke"):
            for frame in np.unique(pixels[:, 0]).tolist():
                in_frame = pixels[:, 0] == frame
                vu, values = pixels[in_frame, 1:], labels_from_layer(layer_values[in_frame])
                for class_id in np.unique(values).tolist():
                    stroke_tool = "eraser" if class_id == IGNORE_INDEX else tool
                    scene.annotations.add_stroke(frame, class_id, vu[values == class_id],
                                                 stroke_tool)
                stored = scene.annotations.frame(frame)
                self.counts[frame] = int(np.count_nonzero(stored != IGNORE_INDEX))
                self._show_counts()
                self.session.stroke_saved.emit(frame, stored)

    # -- labelled frames -------------------------------------------------------------------
    def _show_counts(self) -> None:
        self.frames.clear()
        for frame, count in sorted(self.counts.items()):
            if count:
                self.frames.addItem(f"frame {frame}: {count:,} px")

    def _go_to_frame(self, item) -> None:
        frame = int(item.text().split()[1].rstrip(":"))
        self.session.viewer.dims.set_current_step(0, frame)
