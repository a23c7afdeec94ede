"""The plugin against a fake `pointcept` package injected into sys.modules."""

import sys
import types
from importlib.metadata import entry_points

import pytest
import torch
from rewis3d_pointcept.backbone import PointceptPTv3, build_pointcept_ptv3


class FakeRegistry:
    """Pointcept's Registry contract: register_module(name) and build({"type": name, ...})."""

    def __init__(self):
        self.modules = {}

    def register_module(self, name):
        def decorate(cls):
            self.modules[name] = cls
            return cls
        return decorate

    def build(self, cfg):
        cfg = dict(cfg)
        return self.modules[cfg.pop("type")](**cfg)


def fake_ptv3_class(variant):
    class PointTransformerV3(torch.nn.Module):
        """Pointcept's contract: a data dict in, an object with `.feat` (N, 64) out."""

        def __init__(self, in_channels=6, dec_channels=(64, 64, 128, 256), **kwargs):
            super().__init__()
            self.variant, self.kwargs = variant, kwargs
            self.embedding = torch.nn.Linear(in_channels, dec_channels[0])
            self.last_data = None

        def forward(self, data):
            self.last_data = data
            return types.SimpleNamespace(feat=self.embedding(data["feat"]))

    return PointTransformerV3


@pytest.fixture
def fake_pointcept(monkeypatch):
    """The real package's layout: pointcept.models.builder holds MODELS and build_model;
    point_transformer_v3 star-imports m1, m2, m3, each defining a `PointTransformerV3`
    registered as PT-v3m1/m2/m3, so the package attribute is m3's class."""
    registry = FakeRegistry()
    builder = types.ModuleType("pointcept.models.builder")
    builder.MODELS, builder.build_model = registry, registry.build
    ptv3 = types.ModuleType("pointcept.models.point_transformer_v3")
    for variant in ("m1", "m2", "m3"):
        cls = registry.register_module(f"PT-v3{variant}")(fake_ptv3_class(variant))
        module = types.ModuleType(f"pointcept.models.point_transformer_v3.point_transformer_{variant}")
        module.PointTransformerV3 = cls
        monkeypatch.setitem(sys.modules, module.__name__, module)
        ptv3.PointTransformerV3 = cls  # `from .m{1,2,3} import *`: the last import wins
    for module in (types.ModuleType("pointcept"), types.ModuleType("pointcept.models"), builder,
                   ptv3):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(sys.modules, "flash_attn", None)
    return ptv3


def test_the_m1_model_is_built_by_registry_name_not_the_last_class_imported(fake_pointcept):
    model = build_pointcept_ptv3()
    assert fake_pointcept.PointTransformerV3(in_channels=6).variant == "m3"  # the trap
    assert model.backbone.variant == "m1"


def test_wraps_pointcept_with_m1_defaults_and_the_rewis3d_interface(fake_pointcept):
    model = build_pointcept_ptv3()
    assert type(model.backbone).__name__ == "PointTransformerV3"
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
