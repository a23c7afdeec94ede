"""EoMT adapter: shape and normalisation of the semantic scores, gradients, pretrained loading."""

import time

import pytest
import torch

from rewis3d.errors import InputError
from rewis3d.models.eomt import EomtSemantic, eomt_config, semantic_scores, window_starts
from rewis3d.models.models2d import MODELS_2D, build_model_2d, segment_logits


@pytest.fixture(scope="module")
def mini():
    torch.manual_seed(0)
    return build_model_2d("eomt-mini", 5, [f"c{i}" for i in range(5)])


def test_registered_with_paper_sizes():
    assert {"eomt-mini", "eomt-large"} <= set(MODELS_2D)
    large = eomt_config("eomt-large", 19)
    assert (large.hidden_size, large.num_hidden_layers, large.num_attention_heads,
            large.patch_size, large.num_labels) == (1024, 24, 16, 16, 19)


@pytest.mark.parametrize("shape", [(2, 3, 32, 48), (1, 3, 64, 40), (1, 3, 48, 200)])
def test_log_probabilities_at_quarter_size(mini, shape):
    with torch.no_grad():
        out = segment_logits(mini, torch.randn(*shape))
    b, _, h, w = shape
    assert out.shape == (b, 5, -(-h // 4), -(-w // 4))
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out.exp().sum(1), torch.ones(b, *out.shape[2:]))


def test_scores_are_transformers_semantic_postprocessing_normalised():
    torch.manual_seed(1)
    cls, masks = torch.randn(2, 6, 4), torch.randn(2, 6, 3, 5)
    raw = torch.einsum("bqc,bqhw->bchw", cls.softmax(-1)[..., :-1], masks.sigmoid())
    scores = semantic_scores(cls, masks)
    torch.testing.assert_close(scores, raw / raw.sum(1, keepdim=True))


def test_windows_cover_on_mask_pixels():
    assert window_starts(64, 64, 4) == [0]
    starts = window_starts(200, 64, 4)
    assert starts[0] == 0 and starts[-1] == 136 and all(s % 4 == 0 for s in starts)
    assert all(b - a <= 64 for a, b in zip(starts, starts[1:], strict=False))


def test_gradients_reach_encoder_and_heads(mini):
    mini.zero_grad()
    out = segment_logits(mini, torch.randn(1, 3, 32, 48))
    torch.nn.functional.cross_entropy(out, torch.randint(0, 5, (1, 8, 12))).backward()
    eomt = mini.eomt
    for p in (eomt.embeddings.patch_embeddings.projection.weight, eomt.class_predictor.weight,
              eomt.mask_head.fc3.weight, eomt.query.weight):
        assert p.grad is not None and p.grad.abs().sum() > 0


def test_from_local_directory_round_trips(mini, tmp_path):
    mini.eomt.save_pretrained(tmp_path / "w")
    same = build_model_2d("eomt-mini", 5, pretrained=str(tmp_path / "w")).eval()
    x = torch.randn(1, 3, 48, 64)
    with torch.no_grad():
        torch.testing.assert_close(segment_logits(same, x), segment_logits(mini.eval(), x))
    other = build_model_2d("eomt-mini", 3, pretrained=str(tmp_path / "w"))
    assert isinstance(other, EomtSemantic) and other.eomt.class_predictor.out_features == 4


def test_hub_id_offline_fails_fast(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="not in the local Hugging Face cache.*HF_HUB_OFFLINE"):
        build_model_2d("eomt-large", 3, pretrained="tue-mps/cityscapes_semantic_eomt_large_1024",
                       allow_download=True)
    assert time.perf_counter() - t0 < 10
