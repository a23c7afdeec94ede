"""The 3D student is any registered backbone (built-in or plugin); model.pretrained_3d loads a
Pointcept checkpoint into it, strictly, with a clear error when it does not fit."""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from rewis3d.cli import main
from rewis3d.errors import InputError
from rewis3d.models import backbones3d
from rewis3d.train import run_training
from rewis3d.train.config import ModelConfig
from rewis3d.train.models import student_3d


class PerPointMLP(torch.nn.Module):
    """A plugin's backbone: the registry's forward signature, 8-d output."""

    out_channels = 8

    def __init__(self, in_channels: int, grid_size: float):
        super().__init__()
        self.mlp = torch.nn.Linear(in_channels, self.out_channels)

    def forward(self, feat, coord, grid_size=None, offset=None, **_):
        return self.mlp(feat)


class FakeEntryPoint:
    name = "mlp-plugin"

    def load(self):
        return lambda **kwargs: PerPointMLP(**kwargs)


@pytest.fixture
def plugin(monkeypatch):
    monkeypatch.setattr(backbones3d.BACKBONES, "plugins",
                        lambda: {"mlp-plugin": FakeEntryPoint()})


def test_a_plugin_backbone_trains_as_the_3d_student(plugin, tiny_project, tiny_config):
    tiny_config.model.model_3d = "mlp-plugin"
    tiny_config.optim.steps = 2
    result = run_training(tiny_project, tiny_config, run="plugin")
    assert result.steps == 2 and result.metrics.miou_3d is not None
    out = CliRunner().invoke(main, ["train", "--list-backbones"])
    assert out.exit_code == 0
    assert "mlp-plugin  (plugin)" in out.output and "ptv3-tiny  (built in)" in out.output


def test_an_unknown_backbone_lists_the_installed_ones():
    with pytest.raises(InputError, match=r"unknown 3D model 'ptv4'; available: .*ptv3-tiny"):
        student_3d(ModelConfig(model_3d="ptv4"), 3)


def test_pretrained_3d_loads_a_pointcept_checkpoint_strictly(tmp_path):
    torch.manual_seed(0)
    source = student_3d(ModelConfig(model_3d="ptv3-tiny"), 20)  # another head: skipped
    checkpoint = {"epoch": 7, "state_dict": {f"module.{k}": v
                                              for k, v in source.state_dict().items()}}
    torch.save(checkpoint, tmp_path / "model_best.pth")
    model = student_3d(ModelConfig(model_3d="ptv3-tiny",
                                   pretrained_3d=str(tmp_path / "model_best.pth")), 5)
    for key, value in source.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    assert model.seg_head.out_features == 5

    with pytest.raises(InputError, match=r"(?s)does not fit model_3d 'ptv3-base'.*shape mismatch.*and \d+ more"):
        student_3d(ModelConfig(model_3d="ptv3-base",
                               pretrained_3d=str(tmp_path / "model_best.pth")), 5)
    with pytest.raises(InputError, match="no such file"):
        student_3d(ModelConfig(model_3d="ptv3-tiny", pretrained_3d=str(tmp_path / "nope.pth")), 5)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="cannot read it as a checkpoint"):
        student_3d(ModelConfig(model_3d="ptv3-tiny", pretrained_3d=str(tmp_path / "junk.pth")), 5)
