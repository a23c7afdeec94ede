"""The Train tab's settings: the controls a run is usually changed by, and "All settings", a
form generated from ``TrainConfig`` for every other field. Together they become the arguments
of ``rewis3d train`` (flags, and ``--set KEY=VALUE`` for what has no flag)."""

from __future__ import annotations

import json
from pathlib import Path

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rewis3d.train.config import TrainConfig
from rewis3d_gui.config_form import ConfigForm

# Config fields with their own control (or set by the panel): "All settings" shows the others.
KNOBS = ("preset", "model.model_3d", "model.pretrained_3d", "model.allow_download",
         "data.scenes", "data.reconstruction", "data.sampling", "method.baseline", "method.conf",
         "method.lambda_2d", "method.lambda_3d", "optim.steps", "run.threads")


def train_args(project: Path, run: str, preset: str, steps: int | None, baseline: bool,
               sampling: str, conf: str, settings: dict[str, object] | None = None) -> list[str]:
    """The ``rewis3d train`` arguments (``settings``: dotted config keys the CLI has no flag
    for, passed as ``--set KEY=VALUE``)."""
    args = ["train", str(project), "--preset", preset, "--run", run, "--sampling", sampling,
            "--conf", conf, "--baseline", "ema" if baseline else "none"]
    if steps:
        args += ["--steps", str(steps)]
    for key, value in (settings or {}).items():
        args += ["--set", f"{key}={json.dumps(value)}"]  # JSON is YAML: strings stay strings
    return args


class TrainingSettings(QWidget):
    """Preset, steps, CMC weights, confidence, sampling, 3D model and weights, the EMA
    baseline, and "All settings"; ``args`` turns them into a ``rewis3d train`` command."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        from rewis3d.models.backbones3d import available_backbones
        from rewis3d.train.config import PRESETS

        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        self.preset.currentTextChanged.connect(self.load_preset)
        self.steps = QSpinBox()
        self.steps.setRange(0, 1_000_000)
        self.steps.setSpecialValueText("preset")
        self.lambda_2d, self.lambda_3d = QDoubleSpinBox(), QDoubleSpinBox()
        for box in (self.lambda_2d, self.lambda_3d):
            box.setRange(0.0, 10.0)
            box.setDecimals(3)
            box.setSingleStep(0.025)
        self.conf = QComboBox()
        self.conf.addItems(["dual", "pred", "recon", "none"])
        self.sampling = QComboBox()
        self.sampling.addItems(["view-aware", "random"])
        self.model_3d = QComboBox()  # built-in PTv3 presets and installed plugin backbones
        self.model_3d.addItems(available_backbones())
        self.weights_3d = QLineEdit()
        self.weights_3d.setPlaceholderText("none (random init)")
        self.weights_3d.setToolTip("A Pointcept checkpoint (model_best.pth) or safetensors file "
                                   "to start the 3D network from (model.pretrained_3d)")
        self.baseline = QCheckBox("EMA baseline (2D only)")
        self.baseline.setToolTip("The paper's baseline: the same 2D Mean Teacher without the 3D "
                                 "branch and its cross-modal consistency")
        self.advanced = ConfigForm(TrainConfig, skip=KNOBS)  # every other config field
        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("All settings")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setToolTip("Every other field of the training config (generated "
                                        "from it; changed ones are passed as --set KEY=VALUE)")
        self.advanced_toggle.toggled.connect(self._show_advanced)
        self.advanced.native.setVisible(False)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow docks
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for field in (self.steps, self.lambda_2d, self.lambda_3d, self.conf, self.sampling,
                      self.weights_3d):  # fill the row: texts are not cut
            field.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        form.addRow("Preset", self.preset)
        form.addRow("Steps", self.steps)
        form.addRow("CMC weight 3D→2D", self.lambda_2d)
        form.addRow("CMC weight 2D→3D", self.lambda_3d)
        form.addRow("Confidence", self.conf)
        form.addRow("Sampling", self.sampling)
        form.addRow("3D model", self.model_3d)
        form.addRow("3D weights", self.weights_3d)
        form.addRow("", self.baseline)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.advanced_toggle)
        layout.addWidget(self.advanced.native)
        self.load_preset(self.preset.currentText())

    def load_preset(self, name: str) -> None:
        """Show the preset's own values, so an untouched box means 'as the preset'."""
        from rewis3d.train.config import preset

        config = preset(name)
        self.advanced.show(config)
        self.model_3d.setCurrentText(config.model.model_3d)
        self.lambda_2d.setValue(config.method.lambda_2d)
        self.lambda_3d.setValue(config.method.lambda_3d)
        length = (f"{config.optim.steps} steps" if config.optim.steps
                  else f"{config.optim.epochs} epochs")
        self.steps.setSpecialValueText(f"preset ({length})")
        text = self.steps.fontMetrics().horizontalAdvance(self.steps.specialValueText())
        self.steps.setMinimumWidth(text + 110)  # napari's +/- buttons and frame: text stays whole

    def args(self, project: Path, run: str, reconstruction: str | None) -> list[str]:
        """The ``rewis3d train`` command of these settings (``reconstruction``: the one the
        3D tab chose, passed when it is not the preset's)."""
        return train_args(project, run, self.preset.currentText(), self.steps.value() or None,
                          self.baseline.isChecked(), self.sampling.currentText(),
                          self.conf.currentText(), self.changed(reconstruction))

    def steps_args(self) -> list[str]:
        """The Steps box, when it is not 'preset' (0)."""
        return ["--steps", str(self.steps.value())] if self.steps.value() else []

    def changed(self, reconstruction: str | None = None) -> dict[str, object]:
        """What the CLI has no flag for (CMC weights, the reconstruction, the 3D model and its
        weights, "All settings"), where changed from the preset: dotted config key -> value.
        Checked here, naming the field, rather than by the job a moment later."""
        from rewis3d.train.config import preset, with_overrides

        config = preset(self.preset.currentText())
        settings: dict[str, object] = {}
        for key, box in (("lambda_2d", self.lambda_2d), ("lambda_3d", self.lambda_3d)):
            if abs(box.value() - getattr(config.method, key)) > 1e-9:
                settings[f"method.{key}"] = round(box.value(), 6)
        if reconstruction and reconstruction != config.data.reconstruction:
            settings["data.reconstruction"] = reconstruction
        if self.model_3d.currentText() != config.model.model_3d:
            settings["model.model_3d"] = self.model_3d.currentText()
        if weights := self.weights_3d.text().strip():
            settings["model.pretrained_3d"] = str(Path(weights).expanduser())
        settings.update(self.advanced.changed())
        with_overrides(config, [f"{k}={json.dumps(v)}" for k, v in settings.items()])
        return settings

    def _show_advanced(self, shown: bool) -> None:
        self.advanced.native.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown
                                          else Qt.ArrowType.RightArrow)
