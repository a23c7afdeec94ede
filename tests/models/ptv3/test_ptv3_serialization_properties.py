"""Property tests of the serialization codes on random voxel sets up to the full 16-bit depth:
bijection onto [0, 8**depth), the parent relation ``code >> 3`` that pooling relies on, and the
batch bits above the curve bits."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rewis3d.models.ptv3.serialization import MAX_DEPTH, ORDERS, batched_code, curve_encode

PROPERTY = settings(max_examples=40, deadline=None)


@st.composite
def cells(draw, min_depth: int = 1):
    """(depth, distinct cells (N, 3) in [0, 2**depth))."""
    depth = draw(st.integers(min_depth, MAX_DEPTH))
    side = 2**depth
    coords = draw(st.sets(st.tuples(*[st.integers(0, side - 1)] * 3), min_size=1, max_size=64))
    return depth, torch.tensor(sorted(coords), dtype=torch.long)


@PROPERTY
@given(cells(), st.sampled_from(ORDERS))
def test_codes_are_a_bijection_onto_the_index_range(data, order):
    depth, grid = data
    code = curve_encode(grid, depth, order)
    assert code.unique().numel() == len(grid)  # distinct cells -> distinct codes
    assert bool((code >= 0).all()) and bool((code < 8**depth).all())


@PROPERTY
@given(cells(min_depth=2), st.sampled_from(ORDERS))
def test_code_shifted_by_three_names_the_parent_cell(data, order):
    depth, grid = data
    grid = torch.cat([grid, grid ^ 1])  # a sibling of each cell, so groups have several members
    parent_code = curve_encode(grid, depth, order) >> 3
    parent_cell = grid >> 1
    same_code = parent_code[:, None] == parent_code[None, :]
    same_cell = (parent_cell[:, None, :] == parent_cell[None, :, :]).all(-1)
    assert torch.equal(same_code, same_cell)


@PROPERTY
@given(cells(min_depth=2), st.sampled_from(("z", "z-trans")))
def test_morton_parent_code_is_the_parent_cells_code(data, order):
    depth, grid = data
    assert torch.equal(curve_encode(grid, depth, order) >> 3,
                       curve_encode(grid >> 1, depth - 1, order))


@PROPERTY
@given(cells(), st.sampled_from(ORDERS), st.integers(0, 2**20), st.data())
def test_batch_bits_sit_above_the_curve_bits(data, order, max_batch, draw):
    depth, grid = data
    if 3 * depth + max(max_batch, 1).bit_length() > 63:
        max_batch = 0
    batch = torch.tensor(draw.draw(st.lists(st.integers(0, max_batch), min_size=len(grid),
                                            max_size=len(grid))), dtype=torch.long)
    code = batched_code(grid, batch, depth, order)
    assert torch.equal(code >> (3 * depth), batch)
    assert torch.equal(code & (8**depth - 1), curve_encode(grid, depth, order))
    order_of_codes = torch.argsort(code)
    assert bool((batch[order_of_codes].diff() >= 0).all())  # sorting never interleaves samples
