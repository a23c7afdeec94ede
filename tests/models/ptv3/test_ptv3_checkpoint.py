"""Load a state dict named as Pointcept's PT-v3m1 (key list built from REFERENCE.md section 3)."""

import pytest
import torch

from rewis3d.models.ptv3 import PTv3Segmentor, build_ptv3, load_pointcept_state_dict, preset

ENC_CHANNELS = (32, 64, 128, 256, 512)
ENC_DEPTHS = (2, 2, 2, 6, 2)
DEC_CHANNELS = (64, 64, 128, 256)
DEC_DEPTHS = (2, 2, 2, 2)


def batch_norm(prefix: str, channels: int) -> dict:
    return {
        f"{prefix}.weight": (channels,),
        f"{prefix}.bias": (channels,),
        f"{prefix}.running_mean": (channels,),
        f"{prefix}.running_var": (channels,),
        f"{prefix}.num_batches_tracked": (),
    }


def linear(prefix: str, c_in: int, c_out: int) -> dict:
    return {f"{prefix}.weight": (c_out, c_in), f"{prefix}.bias": (c_out,)}


def block(prefix: str, c: int) -> dict:
    shapes = {f"{prefix}.cpe.0.weight": (c, 3, 3, 3, c), f"{prefix}.cpe.0.bias": (c,)}
    shapes |= linear(f"{prefix}.cpe.1", c, c)
    shapes |= {f"{prefix}.cpe.2.weight": (c,), f"{prefix}.cpe.2.bias": (c,)}
    shapes |= {f"{prefix}.norm1.0.weight": (c,), f"{prefix}.norm1.0.bias": (c,)}
    shapes |= linear(f"{prefix}.attn.qkv", c, 3 * c) | linear(f"{prefix}.attn.proj", c, c)
    shapes |= {f"{prefix}.norm2.0.weight": (c,), f"{prefix}.norm2.0.bias": (c,)}
    shapes |= linear(f"{prefix}.mlp.0.fc1", c, 4 * c) | linear(f"{prefix}.mlp.0.fc2", 4 * c, c)
    return shapes


def pointcept_m1_shapes(in_channels: int = 6) -> dict:
    """Key -> shape of a Pointcept PT-v3m1 semseg backbone, written from its documented names."""
    shapes = {"embedding.stem.conv.weight": (32, 5, 5, 5, in_channels)}
    shapes |= batch_norm("embedding.stem.norm", 32)
    for s, (c, depth) in enumerate(zip(ENC_CHANNELS, ENC_DEPTHS, strict=True)):
        if s > 0:
            shapes |= linear(f"enc.enc{s}.down.proj", ENC_CHANNELS[s - 1], c)
            shapes |= batch_norm(f"enc.enc{s}.down.norm.0", c)
        for i in range(depth):
            shapes |= block(f"enc.enc{s}.block{i}", c)
    dec_in = (*DEC_CHANNELS[1:], ENC_CHANNELS[-1])
    for s, (c, depth) in enumerate(zip(DEC_CHANNELS, DEC_DEPTHS, strict=True)):
        shapes |= linear(f"dec.dec{s}.up.proj.0", dec_in[s], c)
        shapes |= batch_norm(f"dec.dec{s}.up.proj.1", c)
        shapes |= linear(f"dec.dec{s}.up.proj_skip.0", ENC_CHANNELS[s], c)
        shapes |= batch_norm(f"dec.dec{s}.up.proj_skip.1", c)
        for i in range(depth):
            shapes |= block(f"dec.dec{s}.block{i}", c)
    return shapes


def random_state_dict(shapes: dict, prefix: str = "") -> dict:
    gen = torch.Generator().manual_seed(0)
    return {
        prefix + key: torch.randint(0, 100, shape, generator=gen)
        if key.endswith("num_batches_tracked")
        else torch.randn(shape, generator=gen)
        for key, shape in shapes.items()
    }


def test_model_has_exactly_the_pointcept_names_and_shapes():
    model = build_ptv3("ptv3-base")
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert ours == pointcept_m1_shapes()
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(46.2e6, rel=0.01)


@pytest.mark.parametrize("prefix", ["", "module.", "backbone.", "module.backbone."])
def test_backbone_loads_pointcept_state_dict_with_any_prefix(prefix):
    state = random_state_dict(pointcept_m1_shapes(), prefix)
    state[prefix.replace("backbone.", "") + "seg_head.weight"] = torch.randn(13, 64)
    model = build_ptv3("ptv3-base")
    report = load_pointcept_state_dict(model, {"state_dict": state, "epoch": 3})
    assert report.ok and not report.missing
    loaded = model.state_dict()
    for key, value in state.items():
        name = key.removeprefix("module.").removeprefix("backbone.")
        if name in loaded:
            assert torch.equal(loaded[name], value), key


def test_segmentor_loads_backbone_and_head():
    state = random_state_dict(pointcept_m1_shapes(), "module.backbone.")
    state |= {"module.seg_head.weight": torch.randn(13, 64), "module.seg_head.bias": torch.ones(13)}
    model = PTv3Segmentor(13, preset("ptv3-base"))
    report = load_pointcept_state_dict(model, state)
    assert report.ok
    assert torch.equal(model.seg_head.bias, torch.ones(13))


def test_old_sparse_conv_layout_is_converted():
    state = random_state_dict(pointcept_m1_shapes())
    old = state["embedding.stem.conv.weight"].permute(1, 2, 3, 4, 0).contiguous()
    state["embedding.stem.conv.weight"] = old
    model = build_ptv3("ptv3-base")
    report = load_pointcept_state_dict(model, state)
    assert report.converted_layout == ["embedding.stem.conv.weight"]
    assert torch.equal(model.embedding.stem["conv"].weight, old.permute(4, 0, 1, 2, 3))


def test_mismatches_are_reported_by_name():
    state = random_state_dict(pointcept_m1_shapes(in_channels=9))
    del state["enc.enc1.down.proj.bias"]
    state["enc.enc9.block0.extra"] = torch.zeros(1)
    model = build_ptv3("ptv3-base")
    with pytest.raises(ValueError) as error:
        load_pointcept_state_dict(model, state)
    message = str(error.value)
    assert "enc.enc1.down.proj.bias" in message
    assert "enc.enc9.block0.extra" in message
    assert "embedding.stem.conv.weight" in message
    report = load_pointcept_state_dict(model, state, strict=False)
    assert report.missing == ["enc.enc1.down.proj.bias"]
    assert report.unexpected == ["enc.enc9.block0.extra"]
    assert report.mismatched == [("embedding.stem.conv.weight", (32, 5, 5, 5, 9), (32, 5, 5, 5, 6))]
    torch.testing.assert_close(
        model.enc.enc0.block0.attn.qkv.weight, state["enc.enc0.block0.attn.qkv.weight"]
    )
