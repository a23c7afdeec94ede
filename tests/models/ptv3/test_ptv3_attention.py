import math

import pytest
import torch

from rewis3d.models.ptv3.attention import build_patch_layout, serialized_attention


def naive_patch_attention(qkv, order, counts, patch_size, num_heads):
    """Loop over samples and patches, written from the reference's padding rule."""
    channels = qkv.shape[1] // 3
    head_dim = channels // num_heads
    out = torch.zeros(qkv.shape[0], channels, dtype=qkv.dtype)
    start = 0
    for n in counts.tolist():
        points = order[start : start + n]
        owned_from = 0
        for patch_start in range(0, n, patch_size):
            members = list(range(patch_start, min(patch_start + patch_size, n)))
            if n > patch_size and len(members) < patch_size:
                members = list(range(n - patch_size, n))  # last patch = last K points
            x = qkv[points[members]]
            q, k, v = (
                x[:, i * channels : (i + 1) * channels].view(-1, num_heads, head_dim)
                for i in range(3)
            )
            weights = (torch.einsum("ihd,jhd->hij", q, k) / math.sqrt(head_dim)).softmax(-1)
            result = torch.einsum("hij,jhd->ihd", weights, v).reshape(-1, channels)
            for row, position in enumerate(members):
                if position >= owned_from:
                    out[points[position]] = result[row]
            owned_from = patch_start + patch_size
        start += n
    return out


@pytest.mark.parametrize("counts", [[37], [64], [10, 70, 33, 0, 5], [100, 128], [31, 32, 33]])
def test_equals_naive_per_patch_attention(counts):
    counts = torch.tensor(counts)
    num_points, patch_size, num_heads = int(counts.sum()), 32, 2
    gen = torch.Generator().manual_seed(0)
    batch = torch.repeat_interleave(torch.arange(len(counts)), counts)
    shuffle = torch.randperm(num_points, generator=gen)
    order = shuffle[torch.argsort(batch[shuffle], stable=True)]
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(num_points)
    qkv = torch.randn(num_points, 3 * 16, generator=gen, dtype=torch.float64)
    layout = build_patch_layout(counts, patch_size)
    out = serialized_attention(qkv, order, inverse, layout, num_heads)
    expected = naive_patch_attention(qkv, order, counts, patch_size, num_heads)
    torch.testing.assert_close(out, expected)


def test_padding_repeats_the_points_just_before_the_tail():
    layout = build_patch_layout(torch.tensor([10]), 4)
    assert layout.full_slots.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 6, 7]
    assert layout.output_row.tolist() == list(range(10))
    assert layout.short_slots.numel() == 0


def test_short_samples_form_one_masked_patch():
    layout = build_patch_layout(torch.tensor([3, 4]), 4)
    assert layout.full_slots.tolist() == [3, 4, 5, 6]
    assert layout.short_valid.tolist() == [[True, True, True, False]]
    assert layout.output_row.tolist() == [4, 5, 6, 0, 1, 2, 3]
