import pytest
import torch
import torch.nn.functional as F

from rewis3d.models.ptv3.sparse_conv import (
    SubMConv3d,
    build_voxel_grid,
    kernel_offsets,
    submanifold_conv3d,
)


def random_cells(num: int, size: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    flat = torch.randperm(size**3, generator=gen)[:num]
    return torch.stack([flat // size**2, (flat // size) % size, flat % size], dim=1)


def dense_reference(feat, cells, weight, size):
    """conv3d on the dense grid, read back at the occupied cells (submanifold semantics)."""
    dense = torch.zeros(feat.shape[1], size, size, size, dtype=feat.dtype)
    dense[:, cells[:, 0], cells[:, 1], cells[:, 2]] = feat.t()
    out = F.conv3d(dense[None], weight.permute(0, 4, 1, 2, 3), padding=weight.shape[1] // 2)
    return out[0][:, cells[:, 0], cells[:, 1], cells[:, 2]].t()


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_equals_dense_conv3d_with_one_point_per_voxel(kernel_size):
    size, num = 10, 300
    cells = random_cells(num, size, seed=kernel_size)
    gen = torch.Generator().manual_seed(1)
    feat = torch.randn(num, 4, generator=gen, dtype=torch.float64)
    weight = torch.randn(
        6, kernel_size, kernel_size, kernel_size, 4, generator=gen, dtype=torch.float64
    )
    grid = build_voxel_grid(cells, torch.zeros(num, dtype=torch.long))
    out = submanifold_conv3d(feat, grid, weight)
    torch.testing.assert_close(out, dense_reference(feat, cells, weight, size))


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_gradients_match_autograd_of_dense_conv3d(kernel_size):
    size, num = 8, 120
    cells = random_cells(num, size, seed=kernel_size)
    feat = torch.randn(num, 3, dtype=torch.float64, requires_grad=True)
    k = kernel_size
    weight = torch.randn(5, k, k, k, 3, dtype=torch.float64, requires_grad=True)
    grid = build_voxel_grid(cells, torch.zeros(num, dtype=torch.long))
    upstream = torch.randn(num, 5, dtype=torch.float64)
    ours = torch.autograd.grad(
        (submanifold_conv3d(feat, grid, weight) * upstream).sum(), (feat, weight)
    )
    ref = torch.autograd.grad(
        (dense_reference(feat, cells, weight, size) * upstream).sum(), (feat, weight)
    )
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b)


def test_samples_of_a_batch_do_not_see_each_other():
    cells = torch.tensor([[1, 1, 1], [1, 1, 2]])
    feat = torch.tensor([[1.0], [10.0]])
    weight = torch.ones(1, 3, 3, 3, 1)
    together = submanifold_conv3d(feat, build_voxel_grid(cells, torch.tensor([0, 0])), weight)
    apart = submanifold_conv3d(feat, build_voxel_grid(cells, torch.tensor([0, 1])), weight)
    assert together.flatten().tolist() == [11.0, 11.0]
    assert apart.flatten().tolist() == [1.0, 10.0]


def test_duplicate_points_see_the_mean_of_each_neighbouring_voxel():
    cells = torch.tensor([[0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]])
    feat = torch.tensor([[2.0], [4.0], [1.0], [2.0], [6.0]])
    weight = torch.ones(1, 3, 3, 3, 1)
    grid = build_voxel_grid(cells, torch.zeros(5, dtype=torch.long))
    out = submanifold_conv3d(feat, grid, weight)
    assert out.flatten().tolist() == [6.0] * 5  # mean 3 + mean 3 for both voxels


def test_layer_keeps_the_spconv_weight_layout():
    layer = SubMConv3d(6, 32, kernel_size=5, bias=False)
    assert layer.weight.shape == (32, 5, 5, 5, 6)
    assert layer.bias is None


def test_runs_in_the_features_dtype_and_returns_weight_grads_in_the_weights_dtype():
    cells = random_cells(50, 6, seed=2)
    grid = build_voxel_grid(cells, torch.zeros(50, dtype=torch.long))
    feat = torch.randn(50, 4, dtype=torch.bfloat16, requires_grad=True)
    weight = torch.randn(3, 3, 3, 3, 4, requires_grad=True)
    out = submanifold_conv3d(feat, grid, weight)
    assert out.dtype == torch.bfloat16
    out.float().sum().backward()
    assert feat.grad.dtype == torch.bfloat16 and weight.grad.dtype == torch.float32


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_kernel_map_pairs_equal_a_brute_force_lookup(kernel_size):
    gen = torch.Generator().manual_seed(kernel_size)
    cells = torch.unique(
        torch.randint(0, 7, (400, 4), generator=gen) * torch.tensor([1, 1, 2, 1]), dim=0
    )
    batch, cells = cells[:, 0] % 2, cells[:, 1:]
    grid = build_voxel_grid(cells, batch)
    voxel_of = {}
    for p, v in enumerate(grid.point_to_voxel.tolist()):
        voxel_of[(int(batch[p]), *cells[p].tolist())] = v
    kernel_map = grid.kernel_map(kernel_size)
    for o, offset in enumerate(kernel_offsets(kernel_size).tolist()):
        expected = set()
        if o != kernel_map.center:
            for (b, x, y, z), v in voxel_of.items():
                u = voxel_of.get((b, x + offset[0], y + offset[1], z + offset[2]))
                if u is not None:
                    expected.add((v, u))
        got = zip(kernel_map.out_index[o].tolist(), kernel_map.in_index[o].tolist(), strict=True)
        assert set(got) == expected
