import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest
import torch

from rewis3d import registry
from rewis3d.models import backbones3d
from rewis3d.models.backbones3d import BACKBONES, available_backbones, build_backbone


def test_builtins_are_listed_and_build_with_overrides():
    assert {"ptv3-base", "ptv3-tiny"} <= set(available_backbones())
    model = build_backbone("ptv3-tiny", in_channels=3)
    assert model.out_channels == 64
    coord = torch.rand(50, 3)
    assert model.eval()(coord, coord).shape == (50, 64)


def test_unknown_name_lists_installed_backbones_and_how_to_add_plugins():
    with pytest.raises(KeyError) as error:
        build_backbone("no-such-net")
    message = str(error.value)
    assert "ptv3-tiny" in message and "rewis3d.backbones" in message and "pip install" in message


def test_register_decorator_and_duplicate_names(monkeypatch):
    monkeypatch.setattr(BACKBONES, "_built_in", dict(BACKBONES._built_in))

    @BACKBONES.register("constant")
    def constant(value=1):
        return value

    assert build_backbone("constant", value=7) == 7
    with pytest.raises(ValueError, match="already registered"):
        BACKBONES.register("constant")(lambda: None)


def test_plugins_come_from_entry_points_and_load_lazily(monkeypatch):
    plugin = EntryPoint("fake-net", "json:dumps", backbones3d.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [plugin])
    assert "fake-net" in available_backbones()
    assert build_backbone("fake-net", obj=[1]) == "[1]"


def test_importing_the_registry_does_not_import_torch():
    code = (
        "import sys, rewis3d.models.backbones3d as b; b.available_backbones(); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
