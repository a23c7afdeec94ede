import itertools

import pytest
import torch

from rewis3d.models.ptv3.serialization import (
    ORDERS,
    batched_code,
    curve_encode,
    hilbert_encode,
    morton_encode,
    serialization_depth,
    serialize,
)


def brute_force_morton(x: int, y: int, z: int, depth: int) -> int:
    code = 0
    for bit in range(depth):
        code |= ((x >> bit) & 1) << (3 * bit + 2)
        code |= ((y >> bit) & 1) << (3 * bit + 1)
        code |= ((z >> bit) & 1) << (3 * bit)
    return code


def all_cells(depth: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product(range(2**depth), repeat=3)))


def test_morton_equals_brute_force_bit_interleave():
    gen = torch.Generator().manual_seed(0)
    cells = torch.randint(0, 2**16, (500, 3), generator=gen)
    codes = morton_encode(cells, 16)
    expected = [brute_force_morton(*cell, 16) for cell in cells.tolist()]
    assert codes.tolist() == expected


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_hilbert_is_a_bijection_onto_the_index_range(depth):
    codes = hilbert_encode(all_cells(depth), depth)
    assert sorted(codes.tolist()) == list(range(8**depth))


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_hilbert_consecutive_codes_are_face_neighbours(depth):
    cells = all_cells(depth)
    walk = cells[torch.argsort(hilbert_encode(cells, depth))]
    steps = (walk[1:] - walk[:-1]).abs().sum(dim=1)
    assert torch.all(steps == 1)
    assert walk[0].tolist() == [0, 0, 0]


def test_hilbert_parent_cell_is_code_prefix():
    """Pooling relies on code >> 3 naming the 2x2x2 parent cell for every curve."""
    cells = all_cells(3)
    for order in ("z", "z-trans", "hilbert", "hilbert-trans"):
        parents = curve_encode(cells, 3, order) >> 3
        for parent in parents.unique():
            members = cells[parents == parent]
            assert len(members) == 8
            assert len({tuple(m) for m in (members >> 1).tolist()}) == 1


def test_trans_orders_swap_x_and_y():
    cells = torch.tensor([[1, 2, 3], [5, 0, 7]])
    swapped = cells[:, [1, 0, 2]]
    assert torch.equal(curve_encode(cells, 3, "z-trans"), morton_encode(swapped, 3))
    assert torch.equal(curve_encode(cells, 3, "hilbert-trans"), hilbert_encode(swapped, 3))


def test_batch_bits_sit_above_the_curve_bits():
    cells = torch.tensor([[7, 7, 7], [0, 0, 0]])
    batch = torch.tensor([0, 1])
    codes = batched_code(cells, batch, 3, "z")
    assert codes.tolist() == [511, 1 << 9]


def test_depth_is_bit_length_of_the_largest_cell():
    """int(max).bit_length() as the reference, not of max + 1 (they differ at 2^k - 1)."""
    assert serialization_depth(torch.tensor([[0, 0, 0]])) == 0
    assert serialization_depth(torch.tensor([[1, 0, 0]])) == 1
    assert serialization_depth(torch.tensor([[0, 6, 0]])) == 3
    assert serialization_depth(torch.tensor([[0, 7, 0]])) == 3
    assert serialization_depth(torch.tensor([[0, 8, 0]])) == 4
    assert serialization_depth(torch.tensor([[2**16 - 1, 0, 0]])) == 16
    with pytest.raises(ValueError, match="grid_size"):
        serialization_depth(torch.tensor([[2**16, 0, 0]]))


def test_a_single_cell_has_depth_zero_and_code_zero_on_every_curve():
    cells = torch.zeros(4, 3, dtype=torch.long)
    result = serialize(cells, torch.tensor([0, 0, 1, 1]), ORDERS)
    assert result.depth == 0
    assert result.code.tolist() == [[0, 0, 1, 1]] * 4
    assert hilbert_encode(cells, 0).tolist() == [0] * 4


def test_largest_cell_two_to_the_k_minus_one_keeps_k_bits_on_the_hilbert_curve():
    """Max cell 7 -> depth 3 (the reference's); depth 4 would order these cells differently."""
    cells = torch.tensor(list(itertools.product(range(8), repeat=3)))
    result = serialize(cells, torch.zeros(len(cells), dtype=torch.long), ("hilbert",))
    assert result.depth == 3
    assert torch.equal(result.code[0], hilbert_encode(cells, 3))
    assert not torch.equal(torch.argsort(hilbert_encode(cells, 4)), result.order[0])


def test_ties_of_duplicate_voxels_are_broken_by_index():
    cells = torch.tensor([[1, 1, 1], [0, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 1]])
    result = serialize(cells, torch.zeros(5, dtype=torch.long), ("z", "hilbert"))
    assert result.order.tolist() == [[1, 3, 0, 2, 4]] * 2
    positions = torch.arange(5).expand(2, 5)
    assert torch.equal(result.order.gather(1, result.inverse), positions)


def test_shuffled_permutes_whole_curves_only():
    cells = torch.randint(0, 16, (50, 3), generator=torch.Generator().manual_seed(1))
    orders = ("z", "z-trans", "hilbert", "hilbert-trans")
    base = serialize(cells, torch.zeros(50, dtype=torch.long), orders)
    shuffled = base.shuffled(torch.Generator().manual_seed(3))
    rows = {tuple(r) for r in base.code.tolist()}
    assert {tuple(r) for r in shuffled.code.tolist()} == rows
    for i in range(4):
        assert torch.equal(
            shuffled.code[i][shuffled.order[i]].sort().values, shuffled.code[i][shuffled.order[i]]
        )
