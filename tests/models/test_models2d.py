"""2D model registry: sizes, from a local directory, hub ids offline fail fast."""

import time

import pytest
import torch

from rewis3d.errors import InputError
from rewis3d.models.models2d import MODELS_2D, build_model_2d, segment_logits


def test_registry_sizes_and_logits():
    assert {"segformer-b0", "segformer-b4", "segformer-b5"} <= set(MODELS_2D)
    model = build_model_2d("segformer-mini", 5)
    out = segment_logits(model, torch.rand(1, 3, 32, 48))
    assert out.shape == (1, 5, 8, 12)
    b0 = build_model_2d("segformer-b0", 3)
    assert 3.0e6 < sum(p.numel() for p in b0.parameters()) < 4.0e6


def test_unknown_model_lists_names():
    with pytest.raises(InputError, match="segformer-b0"):
        build_model_2d("segformer-b9", 3)


def test_from_local_directory_reinitialises_head(tmp_path):
    src = build_model_2d("segformer-mini", 4)
    src.save_pretrained(tmp_path / "w")
    same = build_model_2d("segformer-mini", 4, pretrained=str(tmp_path / "w"))
    key = next(k for k in src.state_dict() if "patch_embeddings" in k)
    assert torch.equal(same.state_dict()[key], src.state_dict()[key])
    other = build_model_2d("segformer-mini", 6, pretrained=str(tmp_path / "w"))
    assert other.decode_head.classifier.out_channels == 6


def test_hub_id_offline_fails_fast(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="not in the local Hugging Face cache.*HF_HUB_OFFLINE"):
        build_model_2d("segformer-b4", 3, pretrained="nvidia/mit-b4", allow_download=True)
    assert time.perf_counter() - t0 < 10


def test_hub_id_without_opt_in_stays_local(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(InputError, match="--allow-download"):
        build_model_2d("segformer-b4", 3, pretrained="nvidia/mit-b4")


def test_missing_local_directory():
    with pytest.raises(InputError, match="no such directory"):
        build_model_2d("segformer-mini", 3, pretrained="./nowhere/weights")


def test_pretrained_weights_of_another_size_are_refused_naming_theirs(tmp_path):
    build_model_2d("segformer-b0", 3).save_pretrained(tmp_path / "b0")
    with pytest.raises(InputError) as info:
        build_model_2d("segformer-mini", 3, pretrained=str(tmp_path / "b0"))
    message = str(info.value)
    assert "are not a 'segformer-mini' model" in message and "hidden_sizes [32, 64, 160, 256]" in message
    assert "set model_2d to 'segformer-b0'" in message
    assert build_model_2d("segformer-b0", 5, pretrained=str(tmp_path / "b0")).config.num_labels == 5
