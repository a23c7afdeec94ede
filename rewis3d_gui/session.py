"""What the panels of one viewer share: the open project, the scene shown and its layers.

One ``Session`` per viewer, created by the dock and handed to every panel (no global state).
Panels talk to each other only through its signals, so each panel stays a thin client.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from psygnal import Signal

from rewis3d.errors import Rewis3dError
from rewis3d.store import Project, Scene
from rewis3d_gui.layers import class_color_dict, labels_to_layer

if TYPE_CHECKING:
    import napari
    from napari.layers import Labels

MAX_CLASS_KEYS = 9  # number keys 1..9 select classes 0..8


class Session:
    """The open project and scene of one viewer, and the layers that show them."""

    project_changed = Signal()
    scene_changed = Signal()
    classes_changed = Signal()
    class_selected = Signal(int)  # store class id
    stroke_saved = Signal(int, object)  # frame, its (H, W) store labels after the stroke
    reconstruction_changed = Signal(object)  # name or None
    propagation_changed = Signal(object)  # the PropagationPreview (labels per point), or None
    error_changed = Signal(str)  # the last failed action's message; "" once an action succeeds

    def __init__(self, viewer: napari.Viewer):
        self.viewer = viewer
        self.project: Project | None = None
        self.scene: Scene | None = None
        self.rgb_layer = None
        self.labels_layer: Labels | None = None
        self.reconstruction_name: str | None = None
        self.propagation = None  # the live PropagationPreview over that reconstruction, or None
        self.colored_layers: list = []  # Labels layers that must follow the class colours
        self._adding_layers = False
        self.last_error = ""
        viewer.layers.events.inserted.connect(self._adopt_reader_layers)

    # -- errors ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def user_errors(self, doing: str) -> Iterator[None]:
        """Show expected failures as a notification, never as a traceback dialog, and keep
        the message in ``last_error`` (the dock's error line) until an action succeeds."""
        try:
            yield
        except (Rewis3dError, OSError, ValueError) as exc:
            from napari.utils.notifications import show_error

            self._set_error(f"Could not {doing}: {exc}")
            show_error(self.last_error)
        else:
            self._set_error("")

    def _set_error(self, message: str) -> None:
        if message != self.last_error:
            self.last_error = message
            self.error_changed.emit(message)

    # -- project and scene -----------------------------------------------------------------
    def open_project(self, path: str | Path, scene: str | None = None) -> bool:
        """Open the project at ``path`` and show ``scene`` (default: its first scene)."""
        with self.user_errors(f"open {path}"):
            project = _open_in_gui(path)
            self._set_project(project)
            names = project.scene_names()
            if names:
                self.show_scene(scene or names[0])
            return True
        return False

    def create_project(self, path: str | Path, class_names: list[str]) -> bool:
        with self.user_errors(f"create a project in {path}"):
            self._set_project(Project.create(path, class_names))
            return True
        return False

    def _set_project(self, project: Project) -> None:
        self._remove_scene_layers()
        self.project, self.scene, self.reconstruction_name = project, None, None
        self.project_changed.emit()

    def show_scene(self, name: str) -> bool:
        """Show one scene's frames and annotations; a broken scene is reported, not shown."""
        if self.project is None:
            return False
        with self.user_errors(f"show scene {name!r}"):
            scene = self.project.scene(name)
            if scene.num_frames == 0:
                raise Rewis3dError(f"scene {name!r} has no frames; import frames into it first")
            from rewis3d_gui._reader import scene_layer_data

            self._remove_scene_layers()
            self.scene = scene
            (rgb, rgb_kw, _), (labels, labels_kw, _) = scene_layer_data(self.project, name)
            self._adding_layers = True
            try:
                self.rgb_layer = self.viewer.add_image(rgb, **rgb_kw)
                self._bind_labels_layer(self.viewer.add_labels(labels, **labels_kw))
                self.viewer.dims.axis_labels = ("frame", "y", "x")
                self.viewer.dims.set_current_step(0, 0)
                self.viewer.reset_view()  # the new frames may differ in size from the last
            finally:
                self._adding_layers = False
            names = scene.reconstruction_names()
            self.reconstruction_name = names[0] if names else None
            self.scene_changed.emit()
            return True
        return False

    def _adopt_reader_layers(self, event) -> None:
        """Layers opened through File > Open or a sample become the session's scene."""
        layer = event.value
        meta = getattr(layer, "metadata", {}) or {}
        if self._adding_layers or "project" not in meta or "scene" not in meta:
            return
        if type(layer).__name__ != "Labels" or self.labels_layer is not None:
            return
        with self.user_errors(f"open {meta['project']}"):
            self.project = Project.open(meta["project"])
            self.scene = self.project.scene(meta["scene"])
            self.rgb_layer = next((ly for ly in self.viewer.layers
                                   if ly.metadata == meta and ly is not layer), None)
            self._bind_labels_layer(layer)
            names = self.scene.reconstruction_names()
            self.reconstruction_name = names[0] if names else None
            self.project_changed.emit()
            self.scene_changed.emit()

    def _bind_labels_layer(self, layer: Labels) -> None:
        self.labels_layer = layer
        self.colored_layers = [layer]
        layer.events.selected_label.connect(self._on_selected_label)
        for key in range(1, MAX_CLASS_KEYS + 1):
            layer.bind_key(str(key), self._class_key(key - 1), overwrite=True)
        _advertise_class_keys(self.viewer, layer)
        if self.project and self.project.num_classes:
            self.select_class(0)

    def _class_key(self, class_id: int):
        def select(_layer) -> None:
            self.select_class(class_id)

        return select

    def _remove_scene_layers(self) -> None:
        for layer in (self.rgb_layer, self.labels_layer):
            if layer is not None and layer in self.viewer.layers:
                self.viewer.layers.remove(layer)
        self.rgb_layer = self.labels_layer = None
        self.colored_layers = []

    # -- classes ---------------------------------------------------------------------------
    @property
    def selected_class(self) -> int | None:
        if self.labels_layer is None or self.labels_layer.selected_label == 0:
            return None
        return int(self.labels_layer.selected_label) - 1

    def select_class(self, class_id: int) -> None:
        if self.project is None or not 0 <= class_id < self.project.num_classes:
            return
        if self.labels_layer is not None:
            self.labels_layer.selected_label = class_id + 1
        self.class_selected.emit(class_id)

    def _on_selected_label(self, event=None) -> None:
        if self.selected_class is not None:
            self.class_selected.emit(self.selected_class)

    def class_colormap(self):
        """The one colormap of every label layer (annotations, preview), from the classes."""
        from napari.utils.colormaps import DirectLabelColormap

        classes = self.project.classes if self.project else []
        return DirectLabelColormap(color_dict=class_color_dict(classes))

    def class_rgba(self) -> np.ndarray:
        """(256, 4) float RGBA per store label (255 = unlabelled, grey) for point clouds."""
        table = np.tile(np.array([0.55, 0.55, 0.55, 1.0], np.float32), (256, 1))
        for c in self.project.classes if self.project else []:
            table[c.id, :3] = np.array(c.color) / 255
        return table

    def edit_classes(self, doing: str, change) -> bool:
        """Apply ``change(project)`` (add / rename / recolour) and repaint every label layer."""
        if self.project is None:
            return False
        with self.user_errors(doing):
            change(self.project)
            colormap = self.class_colormap()
            for layer in self.colored_layers:
                layer.colormap = colormap
            self.classes_changed.emit()
            return True
        return False

    def set_propagation(self, preview) -> None:
        """The preview whose labels the cloud shows (None: off). A view asks it for its shown
        points only (``preview.point_labels(subset)``), never for all N."""
        self.propagation = preview
        self.propagation_changed.emit(preview)

    # -- frames ----------------------------------------------------------------------------
    @property
    def current_frame(self) -> int:
        return int(self.viewer.dims.current_step[0])

    def reload_labels(self) -> None:
        """Re-read the annotations from the store into the labels layer."""
        if self.scene is not None and self.labels_layer is not None:
            self.labels_layer.data = labels_to_layer(self.scene.annotations.labels[:])


def _open_in_gui(path: str | Path) -> Project:
    """``Project.open``, with advice in the panel's own words for a folder that is no project."""
    from rewis3d.errors import InputError, NotAProjectError

    try:
        return Project.open(path)
    except NotAProjectError:
        raise InputError(
            f"{path} is not a Rewis3d project (a project folder holds rewis3d.zarr). Pick the "
            "project folder itself, or make one with New… in the Project tab and add a video "
            "or an image folder to it with Import frames…") from None


CLASS_KEYS_HELP = f"1-{MAX_CLASS_KEYS}: select a class (Rewis3d)"


def _advertise_class_keys(viewer, layer) -> None:
    """Keys 1-9 select classes on this layer (napari binds them to its modes): say so in the
    status bar's help and drop the digits from the mode buttons' tooltips, so napari does not
    advertise them as its own tools; the letter keys (P, E, F, L, Z) keep their napari meaning."""
    import re

    digit_help = re.compile(r"^use <\d> for ")

    def fix_help(_event=None) -> None:
        parts = [p for p in layer.help.split(", ")
                 if p and not digit_help.match(p) and p != CLASS_KEYS_HELP]
        text = ", ".join([CLASS_KEYS_HELP, *parts])
        if layer.help != text:
            layer.help = text

    layer.events.mode.connect(fix_help)
    layer.events.help.connect(fix_help)
    fix_help()
    qt_viewer = getattr(viewer.window, "_qt_viewer", None)  # absent without a Qt window
    controls = getattr(getattr(qt_viewer, "controls", None), "widgets", {}).get(layer)
    if controls is None:
        return
    from qtpy.QtWidgets import QAbstractButton

    for button in controls.findChildren(QAbstractButton):
        tip = re.sub(r"\(\d or (\w)\)", r"(\1)", button.toolTip())
        button.setToolTip(re.sub(r" ?\(\d\)", "", tip))
