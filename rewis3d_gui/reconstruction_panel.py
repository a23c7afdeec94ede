"""Reconstruction panel: run a backend in the background, and look at the cloud in 3D.

The 3D view swaps the frame layers for the cloud (and back): the cloud lives in metres and
the frames in pixels, so they are never in the viewer together and the frame slider keeps
its range.
"""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import Qt
from qtpy.QtGui import QColor, QLinearGradient, QPainter, QPixmap
from qtpy.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rewis3d_gui.background import run_in_background
from rewis3d_gui.cloud_layer import COLOR_MODES, CONF_COLORMAP, CloudView
from rewis3d_gui.config_form import ConfigForm
from rewis3d_gui.session import Session

SLIDER_STEPS = 100
MAPANYTHING = "mapanything"


class ReconstructionPanel(QWidget):
    """Backend + Run with a progress bar; the cloud's colour mode, colorbar and threshold."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.worker = None
        self.cloud: CloudView | None = None
        self._frame_step: tuple | None = None
        self._hidden: list = []  # the layers the 3D view hid, shown again on the way back
        self._frame_camera: tuple | None = None  # (center, zoom, angles) of the frames' view
        from rewis3d.reconstruct import registry

        self.backend = QComboBox()
        self.backend.addItems(registry.RECONSTRUCTORS.names())
        self.backend.setCurrentText("sensor-depth")
        self.options: ConfigForm | None = None  # the backend's options, generated from its type
        self.options_box = QVBoxLayout()
        self.options_box.setContentsMargins(0, 0, 0, 0)
        self.options_toggle = QToolButton()
        self.options_toggle.setText("Backend options")
        self.options_toggle.setCheckable(True)
        self.options_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.options_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.options_toggle.toggled.connect(self._show_options)
        self.backend.currentTextChanged.connect(self._build_options)
        self.backend_hint = QLabel("")  # what to use (or install) for a scene without depth
        self.backend_hint.setWordWrap(True)
        self.backend_hint.setVisible(False)
        self.run_button = QPushButton("Reconstruct")
        self.run_button.clicked.connect(self.run)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.recons = QComboBox()
        self.recons.activated.connect(lambda i: self.choose(self.recons.itemText(i)))
        self.view_button = QPushButton("Show 3D view")
        self.view_button.setCheckable(True)
        self.view_button.toggled.connect(self.show_3d)
        self.color_mode = QComboBox()
        self.color_mode.addItems(COLOR_MODES)
        self.color_mode.currentTextChanged.connect(self.set_color_mode)
        self.colorbar = QLabel()
        self.colorbar_range = QLabel("")
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(0, SLIDER_STEPS)
        self.threshold.valueChanged.connect(self._on_threshold)
        self.threshold_label = QLabel("")
        self.point_size = QDoubleSpinBox()
        self.point_size.setRange(0.25, 8.0)
        self.point_size.setSingleStep(0.25)
        self.point_size.setValue(1.0)
        self.point_size.setSuffix(" ×")
        self.point_size.setToolTip("Size of every point, relative to the automatic size that "
                                   "closes the gaps between neighbours")
        self.point_size.valueChanged.connect(self._on_point_size)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Backend", self.backend)
        form.addRow("Reconstruction", self.recons)
        form.addRow("Colour by", self.color_mode)
        form.addRow("Min confidence", self.threshold)
        form.addRow("Point size", self.point_size)
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.colorbar)
        bar_row.addWidget(self.colorbar_range)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Reconstruction</b>"))
        layout.addLayout(form)
        layout.addWidget(self.options_toggle)
        layout.addLayout(self.options_box)
        layout.addWidget(self.backend_hint)
        layout.addWidget(self.run_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.view_button)
        layout.addLayout(bar_row)
        layout.addWidget(self.legend)
        layout.addWidget(self.threshold_label)
        layout.addWidget(self.info)
        layout.addStretch()
        session.scene_changed.connect(self._on_scene_changed)
        session.classes_changed.connect(self._on_classes_changed)
        session.stroke_saved.connect(self._on_stroke)
        session.propagation_changed.connect(self._on_propagation)
        self._build_options(self.backend.currentText())
        self._on_scene_changed()

    # -- running a backend -----------------------------------------------------------------
    def run(self):
        """Reconstruct the scene with the chosen backend in a thread; returns the worker."""
        from rewis3d.reconstruct import reconstruct_scene

        scene, backend = self.session.scene, self.backend.currentText()
        if scene is None or not backend:
            from napari.utils.notifications import show_warning

            show_warning("Open a scene (and install a reconstruction backend) first.")
            return None

        options = None
        with self.session.user_errors(f"reconstruct with {backend}"):
            options = self._checked_options(backend)
        if options is None:
            return None

        def job(progress):
            return reconstruct_scene(scene, backend, options=options, progress=progress).name

        self.run_button.setEnabled(False)
        self.worker = run_in_background(job, self.progress, f"reconstruct with {backend}",
                                        self.choose)
        self.worker.finished.connect(lambda: self.run_button.setEnabled(True))
        return self.worker

    def _checked_options(self, backend: str) -> dict | None:
        """The options changed in the form, refused (None, with the error shown) when the
        backend would refuse them."""
        from rewis3d.reconstruct import create_reconstructor

        options = self.options.changed() if self.options is not None else {}
        create_reconstructor(backend, **options)  # validates; building a backend loads nothing
        return options

    def _build_options(self, backend: str) -> None:
        """A form of ``backend``'s options dataclass (none for a backend without one)."""
        from rewis3d.reconstruct.registry import options_type

        if self.options is not None:
            self.options_box.removeWidget(self.options.native)
            self.options.native.deleteLater()
            self.options = None
        try:
            kind = options_type(backend) if backend else None
        except Exception:  # noqa: BLE001 - a broken plugin: no form; running it says why
            kind = None
        self.options_toggle.setEnabled(kind is not None)
        if kind is None:
            return
        self.options = ConfigForm(kind)
        self.options.show(kind())
        self.options.native.setVisible(self.options_toggle.isChecked())
        self.options_box.addWidget(self.options.native)

    def _show_options(self, shown: bool) -> None:
        self.options_toggle.setArrowType(Qt.ArrowType.DownArrow if shown
                                         else Qt.ArrowType.RightArrow)
        if self.options is not None:
            self.options.native.setVisible(shown)

    # -- which reconstruction --------------------------------------------------------------
    def _on_scene_changed(self) -> None:
        self.show_3d(False)
        self.cloud = None
        self._list_reconstructions()
        self._suggest_backend()

    def _suggest_backend(self) -> None:
        """Frames without depth (an image folder, a video) need a model that infers the
        geometry: MapAnything when installed, else say how to get it."""
        import importlib.util

        scene = self.session.scene
        no_depth = scene is not None and not scene.has_depth
        # the plugin registered and the MapAnything package it runs importable
        installed = (self.backend.findText(MAPANYTHING) >= 0
                     and importlib.util.find_spec(MAPANYTHING) is not None)
        if no_depth and installed:
            self.backend.setCurrentText(MAPANYTHING)
        self.backend_hint.setVisible(no_depth)
        self.backend_hint.setText(
            "This scene has no depth maps, so sensor-depth cannot reconstruct it. "
            + ("MapAnything infers the geometry from the frames (a GPU is advised; on one CPU "
               "core it took 40 s to a minute per frame in chunks of 1-8 frames, more in "
               "longer chunks, and it times one frame first and says how long)." if installed else
               "Install the MapAnything backend to reconstruct it from the frames alone: "
               "MapAnything itself (from its git repository, with uniception) and "
               "`pip install -e plugins/rewis3d-mapanything`, then restart napari "
               "(plugins/rewis3d-mapanything/README.md; a GPU is advised)."))

    def _list_reconstructions(self) -> None:
        scene = self.session.scene
        self.recons.clear()
        if scene is not None:
            self.recons.addItems(scene.reconstruction_names())
        if self.session.reconstruction_name:
            self.recons.setCurrentText(self.session.reconstruction_name)

    def choose(self, name: str) -> None:
        """Make ``name`` the session's reconstruction (the preview and 3D view use it)."""
        was_shown = self.view_button.isChecked()
        self.show_3d(False)
        self.cloud = None
        self.session.reconstruction_name = name
        self._list_reconstructions()
        self.session.reconstruction_changed.emit(name)
        if was_shown:
            self.show_3d(True)

    def _load_cloud(self) -> CloudView | None:
        scene, name = self.session.scene, self.session.reconstruction_name
        if scene is None or name is None:
            return None
        with self.session.user_errors(f"load reconstruction {name!r}"):
            cloud = CloudView(scene.reconstruction(name), self.session.class_rgba())
            for frame in scene.annotations.labelled_frames():
                cloud.lift_frame(frame, scene.annotations.frame(frame))
            if _fits(self.session.propagation, cloud):
                cloud.set_propagated(self.session.propagation)
            cloud.set_mode(self.color_mode.currentText())
            cloud.set_size_scale(self.point_size.value())
            self.info.setText(f"{cloud.reconstruction.num_points:,} points, "
                              f"{len(cloud.subset):,} shown")
            return cloud
        return None

    # -- the 3D view -----------------------------------------------------------------------
    def show_3d(self, on: bool) -> None:
        """Swap every shown layer (frames, labels, preview, predictions, review regions: all
        in pixels) for the cloud (in metres), and back to exactly the layers that were shown."""
        viewer = self.session.viewer
        if on and self.cloud is None:
            self.cloud = self._load_cloud()
            self._show_colorbar()
        if on and self.cloud is not None:
            self._frame_step = viewer.dims.current_step
            if self.cloud.layer not in viewer.layers:  # the frames' view, to come back to
                camera = viewer.scene.camera
                self._frame_camera = (camera.center, camera.zoom, camera.angles)
            if self.cloud.layer not in viewer.layers:
                self._hidden = [ly for ly in viewer.layers if ly.visible]
            for layer in self._hidden:
                layer.visible = False
            if self.cloud.layer not in viewer.layers:
                viewer.layers.append(self.cloud.layer)
            viewer.dims.ndisplay = 3
            self._fit_camera()
        elif self.cloud is not None and self.cloud.layer in viewer.layers:
            for layer in self._hidden:
                if layer in viewer.layers:
                    layer.visible = True
            self._hidden = []
            viewer.dims.ndisplay = 2
            viewer.layers.remove(self.cloud.layer)
            if self._frame_step is not None:
                viewer.dims.current_step = self._frame_step
            if self._frame_camera is not None:  # the 3D fit zoomed in metres, not pixels
                center, zoom, angles = self._frame_camera
                camera = viewer.scene.camera
                camera.center, camera.zoom, camera.angles = center, zoom, angles
        self.view_button.blockSignals(True)
        self.view_button.setChecked(bool(on and self.cloud is not None))
        self.view_button.setText("Back to frames" if self.view_button.isChecked()
                                 else "Show 3D view")
        self.view_button.blockSignals(False)

    def _fit_camera(self) -> None:
        """Look at the cloud from behind and above the cameras, along their mean heading."""
        data = self.cloud.layer.data
        if not len(data):
            return
        camera = self.session.viewer.scene.camera
        low, high = np.percentile(data, [5, 95], axis=0)
        camera.center = tuple((low + high) / 2)
        poses = self.session.scene.poses
        forward, down = poses[:, :3, 2].mean(axis=0), poses[:, :3, 1].mean(axis=0)
        view = forward + 0.5 * down  # world (x, y, z); napari axes are (z, y, x)
        camera.set_view_direction(tuple(view[::-1]), up_direction=tuple(-down[::-1]))
        canvas = self.session.viewer.window._qt_viewer.canvas.size
        camera.zoom = 1.1 * min(canvas) / max(float(np.max(high - low)), 1e-6)

    def set_color_mode(self, mode: str) -> None:
        if self.color_mode.currentText() != mode:
            self.color_mode.setCurrentText(mode)  # comes back here through the signal
            return
        if self.cloud is not None:
            self.cloud.set_mode(mode)
        self._show_colorbar()

    def _show_colorbar(self) -> None:
        """What the colours mean: the confidence scale, or the classes' legend."""
        mode = self.color_mode.currentText() if self.cloud is not None else None
        self.colorbar.setVisible(mode == "confidence")
        self.colorbar_range.setVisible(mode == "confidence")
        if mode == "confidence":
            low, high = self.cloud.conf_limits
            kind = self.cloud.reconstruction.attrs.get("conf_kind", "?")
            self.colorbar.setPixmap(_colorbar_pixmap(CONF_COLORMAP))
            self.colorbar_range.setText(f"{low:.2f} (unsure) … {high:.2f} (sure)")
            self.colorbar_range.setToolTip(f"Reconstruction confidence per point ({kind}); "
                                           "1st to 99th percentile")
        self.legend.setVisible(mode == "label")
        if mode == "label":
            self.legend.setText(_legend_html(self.session.project.classes))
        self._on_threshold(self.threshold.value())

    def _on_point_size(self, scale: float) -> None:
        if self.cloud is not None:
            self.cloud.set_size_scale(scale)

    def _on_threshold(self, step: int) -> None:
        if self.cloud is None:
            self.threshold_label.setText("")
            return
        low, high = float(self.cloud.conf.min()), float(self.cloud.conf.max())
        value = low + (high - low) * step / SLIDER_STEPS
        self.cloud.set_threshold(value)
        shown = int(np.count_nonzero(self.cloud.layer.shown))
        self.threshold_label.setText(f"confidence ≥ {value:.2f}: {shown:,} points shown")

    # -- labels follow the annotations and the preview -------------------------------------
    def _on_stroke(self, frame: int, labels: np.ndarray) -> None:
        if self.cloud is not None:
            self.cloud.lift_frame(frame, labels)

    def _on_propagation(self, preview) -> None:
        if self.cloud is not None and (preview is None or _fits(preview, self.cloud)):
            self.cloud.set_propagated(preview)

    def _on_classes_changed(self) -> None:
        if self.cloud is not None:
            self.cloud.set_class_colors(self.session.class_rgba())
            self._show_colorbar()


def _fits(preview, cloud: CloudView) -> bool:
    """Whether ``preview`` runs over the cloud's reconstruction (same number of points)."""
    return preview is not None and preview.num_points == cloud.reconstruction.num_points


def _legend_html(classes) -> str:
    """One coloured square and name per class, and what unlabelled points look like."""
    items = [f"<span style='color:rgb{tuple(c.color)}'>■</span>&nbsp;{c.name}" for c in classes]
    return "Labels: " + " &nbsp; ".join(items) + " &nbsp; (grey: unlabelled)"


def _colorbar_pixmap(name: str, width: int = 160, height: int = 14) -> QPixmap:
    """A horizontal strip of the napari colormap ``name``."""
    from napari.utils.colormaps import ensure_colormap

    colors = ensure_colormap(name).map(np.linspace(0, 1, 16))
    gradient = QLinearGradient(0, 0, width, 0)
    for i, rgba in enumerate(colors):
        gradient.setColorAt(i / 15, QColor.fromRgbF(*map(float, rgba)))
    pixmap = QPixmap(width, height)
    painter = QPainter(pixmap)
    painter.fillRect(0, 0, width, height, gradient)
    painter.end()
    return pixmap
