"""The plugin against a fake `pointcept` package injected into sys.modules."""

import sys
import types
from importlib.metadata import entry_points

import pytest
import torch
from rewis3d_pointcept.backbone import POINTCEPT_MODULE, PointceptPTv3, build_pointcept_ptv3


class FakePointTransformerV3(torch.nn.Module):
    """Mimics Pointcept's contract: a data dict in, an object with `.feat` (N, 64) out."""

    def __init__(self, in_channels=6, dec_channels=(64, 64, 128, 256), **kwargs):
        super().__init__()
        self.kwargs = kwargs
        self.embedding = torch.nn.Linear(in_channels, dec_channels[0])
        self.last_data = None

    def forward(self, data):
        self.last_data = data
        return types.SimpleNamespace(feat=self.embedding(data["feat"]))


@pytest.fixture
def fake_pointcept(monkeypatch):
    names = ["pointcept", "pointcept.models", POINTCEPT_MODULE]
    for name in names:
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules[POINTCEPT_MODULE].PointTransformerV3 = FakePointTransformerV3
    monkeypatch.setitem(sys.modules, "flash_attn", None)


def test_wraps_pointcept_with_m1_defaults_and_the_rewis3d_interface(fake_pointcept):
    model = build_pointcept_ptv3()
    assert isinstance(model.backbone, FakePointTransformerV3)
    assert model.backbone.kwargs["enc_patch_size"] == (1024,) * 5
    assert model.backbone.kwargs["enable_flash"] is False  # flash_attn not importable
    assert model.out_channels == 64
    coord = torch.rand(10, 3)
    feat = torch.rand(10, 6)
    out = model(feat, coord, offset=torch.tensor([4, 10]))
    assert out.shape == (10, 64)
    data = model.backbone.last_data
    assert data["grid_size"] == 0.05 and data["offset"].tolist() == [4, 10]
    model(feat, coord, grid_coord=torch.zeros(10, 3), batch=torch.zeros(10))
    assert "batch" in model.backbone.last_data and "grid_coord" in model.backbone.last_data
    model(feat, coord)
    assert model.backbone.last_data["offset"].tolist() == [10]


def test_pointcept_segmentor_checkpoint_keys_load(fake_pointcept):
    model = build_pointcept_ptv3(enc_patch_size=(128,) * 5)
    assert model.backbone.kwargs["enc_patch_size"] == (128,) * 5
    state = {f"backbone.{k}": torch.ones_like(v) for k, v in model.backbone.state_dict().items()}
    model.load_state_dict(state)
    assert torch.equal(model.backbone.embedding.bias, torch.ones(64))


def test_missing_pointcept_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pointcept", None)
    with pytest.raises(ImportError, match="Pointcept is not on PyPI.*ptv3-base"):
        PointceptPTv3()


def test_entry_point_is_registered_with_rewis3d():
    names = {ep.name: ep.value for ep in entry_points(group="rewis3d.backbones")}
    if "pointcept-ptv3" not in names:
        pytest.skip("plugin not installed (pip install --no-deps -e plugins/rewis3d-pointcept)")
    assert names["pointcept-ptv3"] == "rewis3d_pointcept.backbone:build_pointcept_ptv3"
    from rewis3d.models.backbones3d import available_backbones

    assert "pointcept-ptv3" in available_backbones()


def test_build_backbone_reaches_the_plugin(fake_pointcept):
    from rewis3d.models.backbones3d import build_backbone

    if "pointcept-ptv3" not in {ep.name for ep in entry_points(group="rewis3d.backbones")}:
        pytest.skip("plugin not installed")
    assert isinstance(build_backbone("pointcept-ptv3"), PointceptPTv3)
