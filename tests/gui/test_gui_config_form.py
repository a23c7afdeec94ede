"""The Train tab's "All settings" form is generated from TrainConfig: every field without its
own control is there, and changed ones reach the job as --set pairs (checked before it starts)."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from rewis3d.train.config import TrainConfig
from rewis3d_gui.config_form import ConfigForm
from rewis3d_gui.training_settings import KNOBS, train_args

pytestmark = pytest.mark.gui


def _all_fields(config_type, prefix=""):
    hints = typing.get_type_hints(config_type)
    for field in dataclasses.fields(config_type):
        if dataclasses.is_dataclass(hints[field.name]):
            yield from _all_fields(hints[field.name], f"{prefix}{field.name}.")
        else:
            yield f"{prefix}{field.name}"


def test_every_config_field_without_a_control_has_a_widget(dock, street_project):
    dock.project_panel.open_project(street_project)
    form = dock.training_panel.settings.advanced
    assert sorted(form.widgets) == sorted(k for k in _all_fields(TrainConfig) if k not in KNOBS)
    assert form.changed() == {}  # the preset as shown
    assert form.widgets["data.batch_size"].min == 1  # limits from the type
    assert form.widgets["method.alpha"].value == "0.99"  # floats as YAML text: never rounded
    assert form.widgets["optim.lr_2d"].value == "0.0006"


def test_changed_fields_become_set_pairs_and_bad_ones_are_refused(dock, street_project):
    panel = dock.training_panel
    dock.project_panel.open_project(street_project)
    panel.settings.advanced_toggle.setChecked(True)
    panel.settings.advanced.widgets["data.crop"].value = "[64, 96]"
    panel.settings.advanced.widgets["run.seed"].value = 3
    settings = panel.settings.changed()
    assert settings == {"data.crop": [64, 96], "run.seed": 3}
    args = train_args(street_project, "r", "cpu-quick", None, False, "view-aware", "dual",
                      settings)
    assert args[-4:] == ["--set", "data.crop=[64, 96]", "--set", "run.seed=3"]
    panel.settings.advanced.widgets["data.crop"].value = "[4, 96]"
    with pytest.raises(Exception, match=r"data.crop.0 must be >= 8, got 4"):
        panel.settings.changed()
    panel.settings.preset.setCurrentText("paper-nyuv2")  # another preset: its values, nothing changed
    assert panel.settings.advanced.changed() == {} and panel.settings.advanced.widgets["data.crop"].value == \
        "[480, 480]"


def test_a_form_of_any_dataclass(qtbot):
    @dataclasses.dataclass
    class Options:
        stride: int = 1
        voxel: float | None = None
        mode: typing.Literal["a", "b"] = "a"
        keep: bool = False

    form = ConfigForm(Options)
    form.show(Options())
    form.widgets["voxel"].value = "0.05"
    form.widgets["mode"].value = "b"
    assert form.changed() == {"voxel": 0.05, "mode": "b"}
    form.widgets["voxel"].value = "[1"
    with pytest.raises(Exception, match="voxel: '\\[1' is not a value"):
        form.values()


def test_the_3d_tab_generates_the_backends_options_and_runs_with_them(dock, street_project,
                                                                       qtbot):
    from rewis3d.reconstruct.sensor_depth import SensorDepthConfig

    session = dock.session
    dock.project_panel.open_project(street_project)
    panel = dock.reconstruction_panel
    panel.backend.setCurrentText("sensor-depth")
    names = [f.name for f in dataclasses.fields(SensorDepthConfig)]
    assert sorted(panel.options.widgets) == sorted(names) and panel.options.changed() == {}
    panel.options_toggle.setChecked(True)
    panel.options.widgets["voxel_size"].value = "abc"
    assert panel.run() is None  # refused before any work, the field named
    assert "voxel_size" in session.last_error
    panel.options.widgets["voxel_size"].value = "null"
    panel.options.widgets["stride"].value = 3
    panel.run()
    qtbot.waitUntil(lambda: session.reconstruction_name == "sensor-depth", timeout=20_000)
    rec = session.scene.reconstruction("sensor-depth")
    assert rec.attrs["parameters"]["stride"] == 3
