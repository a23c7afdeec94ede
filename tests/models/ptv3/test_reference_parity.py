"""Numerical parity with the reference PTv3 (Pointcept/PointTransformerV3 `model.py`).

The fixtures were written by `benchmarks/ptv3_reference/make_fixture.py` running the reference
itself (spconv, CPU, one thread, no order shuffling, stable sorts); see fixtures/README.md. Each
holds random weights in Pointcept's checkpoint format, loaded here through
`load_pointcept_state_dict`, the inputs, and the reference's eval-mode output and train-mode
output, parameter / input gradients and BatchNorm buffers after one training forward.

Configurations (fixtures/configs.json): `deep_not_pow2` (4 stages, largest cell index 20: only
the unpooling quirk matters), `deep_pow2_max` and `batch3_pow2_max` (largest cell index
2^k - 1 with >= 3 blocks per stage, so the Hilbert orders depend on the serialization depth;
the second with three samples given by offset), `grid_size_two_orders` (grid_coord computed from
coord + grid_size, orders (hilbert, z-trans), no qkv bias), `flash_short_sample` (the reference's
flash-attention path emulated in float32; a sample shorter than the patch size).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from rewis3d.models.ptv3 import PointTransformerV3, PTv3Config, load_pointcept_state_dict

FIXTURES = Path(__file__).parent / "fixtures"
CONFIGS: dict = json.loads((FIXTURES / "configs.json").read_text())["configs"]
TOLERANCE = 1e-4


def fixed_loss_weight(num_points: int, channels: int) -> torch.Tensor:
    """Same formula as make_fixture.py: w[i, c] = cos(0.37 i + 1.3 c) / N."""
    i = torch.arange(num_points, dtype=torch.float64)[:, None]
    c = torch.arange(channels, dtype=torch.float64)[None, :]
    return (torch.cos(0.37 * i + 1.3 * c) / num_points).float()


def load_case(name: str, **overrides) -> tuple[dict, dict[str, torch.Tensor], PointTransformerV3]:
    """Fixture description, tensors, and our model with the fixture's Pointcept weights."""
    description = CONFIGS[name]
    tensors = load_file(str(FIXTURES / f"{name}.safetensors"))
    fields = {
        k: tuple(v) if isinstance(v, list) else v for k, v in description["ptv3_config"].items()
    }
    model = PointTransformerV3(PTv3Config(**fields, **overrides))
    checkpoint = {
        key.removeprefix("state_dict/"): value
        for key, value in tensors.items()
        if key.startswith("state_dict/")
    }
    report = load_pointcept_state_dict(model, {"state_dict": checkpoint, "epoch": 1})
    assert report.ok and not report.converted_layout, str(report)
    return description, tensors, model


def forward(model, description: dict, tensors: dict, feat: torch.Tensor) -> torch.Tensor:
    kwargs = {"offset": tensors["input/offset"], "shuffle_orders": False}
    if description["grid_size_input"] is not None:
        kwargs["grid_size"] = description["grid_size_input"]
    else:
        kwargs["grid_coord"] = tensors["input/grid_coord"]
    return model(feat, tensors["input/coord"], **kwargs)


def max_abs_diff(ours: torch.Tensor, reference: torch.Tensor) -> float:
    assert ours.shape == reference.shape
    return float((ours.detach() - reference).abs().max())


def test_fixtures_cover_what_the_issue_asks_for():
    assert len(CONFIGS) >= 4
    maxima = [d["max_grid_coord"] for d in CONFIGS.values()]
    assert any((m + 1) & m == 0 for m in maxima), "an input whose largest cell is 2^k - 1"
    assert any(len(d["samples"]) > 1 for d in CONFIGS.values()), "a multi-sample batch"
    hilbert_used = [
        name
        for name, d in CONFIGS.items()
        if (d["max_grid_coord"] + 1) & d["max_grid_coord"] == 0
        and d["reference_kwargs"]["order"][2:3] == ["hilbert"]
        and max(d["reference_kwargs"]["enc_depths"]) >= 3
    ]
    assert hilbert_used, "a 2^k - 1 input through a stage of >= 3 blocks (a Hilbert order)"
    total = sum(p.stat().st_size for p in FIXTURES.glob("*.safetensors"))
    assert total < 2 * 2**20


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_eval_output_matches_reference(name):
    description, tensors, model = load_case(name)
    model.eval()
    with torch.no_grad():
        out = forward(model, description, tensors, tensors["input/feat"])
    assert max_abs_diff(out, tensors["eval/out"]) < TOLERANCE


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_train_output_gradients_and_batch_norm_stats_match_reference(name):
    description, tensors, model = load_case(name)
    model.train()
    feat = tensors["input/feat"].clone().requires_grad_(True)
    out = forward(model, description, tensors, feat)
    assert max_abs_diff(out, tensors["train/out"]) < TOLERANCE
    (out * fixed_loss_weight(*out.shape)).sum().backward()

    diffs = {"input feat": max_abs_diff(feat.grad, tensors["train/grad_input_feat"])}
    params = dict(model.named_parameters())
    grads = {k.removeprefix("train/grad/"): v for k, v in tensors.items() if "/grad/" in k}
    assert grads
    for key, reference in grads.items():
        diffs[key] = max_abs_diff(params[key].grad, reference)
    buffers = dict(model.named_buffers())
    stats = {k.removeprefix("train/buffers/"): v for k, v in tensors.items() if "/buffers/" in k}
    assert stats
    for key, reference in stats.items():
        if reference.is_floating_point():
            diffs[key] = max_abs_diff(buffers[key], reference)
        else:
            assert torch.equal(buffers[key], reference), key
    worst = max(diffs, key=diffs.get)
    assert diffs[worst] < TOLERANCE, f"{worst}: {diffs[worst]:.2e}"


def test_without_the_unpooling_quirk_the_decoder_departs_from_pointcept_weights():
    """The option exists for models trained here from scratch; Pointcept weights need it on."""
    description, tensors, model = load_case("deep_not_pow2", decoder_cpe_sees_skip_only=False)
    model.eval()
    with torch.no_grad():
        out = forward(model, description, tensors, tensors["input/feat"])
    assert max_abs_diff(out, tensors["eval/out"]) > 1e-2
