import torch

from rewis3d.models.ptv3.blocks import Block
from rewis3d.models.ptv3.point_level import PointLevel
from rewis3d.models.ptv3.pooling import SerializedPooling, SerializedUnpooling, pool_topology
from rewis3d.models.ptv3.serialization import serialize


def make_level(cells, feat, coord=None, batch=None) -> PointLevel:
    cells = torch.tensor(cells)
    batch = torch.zeros(len(cells), dtype=torch.long) if batch is None else torch.tensor(batch)
    coord = cells.float() if coord is None else coord
    return PointLevel(
        feat=feat,
        coord=coord,
        grid_coord=cells,
        batch=batch,
        num_samples=int(batch.max()) + 1,
        serialization=serialize(cells, batch, ("z", "hilbert")),
    )


def test_clusters_are_parent_cells_and_heads_are_lowest_indices():
    cells = [[3, 3, 3], [0, 0, 0], [1, 1, 0], [2, 2, 2], [0, 1, 1], [2, 3, 2]]
    level = make_level(cells, torch.zeros(6, 1))
    cluster, head, depth = pool_topology(level, stride=2)
    assert depth == 1
    assert cluster[1] == cluster[2] == cluster[4]
    assert cluster[0] == cluster[3] == cluster[5]
    assert cluster[0] != cluster[1]
    assert sorted(head.tolist()) == [0, 1]


def test_pooling_takes_max_of_features_and_mean_of_coords():
    cells = [[0, 0, 0], [1, 1, 1], [2, 2, 2], [0, 0, 0]]
    feat = torch.tensor([[1.0, -5.0], [3.0, -1.0], [7.0, 7.0], [2.0, -9.0]])
    pool = SerializedPooling(2, 2).eval()
    with torch.no_grad():
        pool.proj.weight.copy_(torch.eye(2))
        pool.proj.bias.zero_()
    coarse = pool(make_level(cells, feat))
    cluster = coarse.cluster
    assert cluster.tolist()[0] == cluster.tolist()[1] == cluster.tolist()[3]
    first = cluster[0]
    expected = pool.act(pool.norm(torch.tensor([[3.0, -1.0], [7.0, 7.0]])))
    torch.testing.assert_close(coarse.feat[first], expected[0])
    torch.testing.assert_close(coarse.coord[first], torch.tensor([1 / 3, 1 / 3, 1 / 3]))
    assert coarse.grid_coord[cluster[2]].tolist() == [1, 1, 1]
    assert coarse.serialization.depth == 1


def test_samples_never_share_a_cluster():
    level = make_level([[0, 0, 0], [1, 1, 1]], torch.zeros(2, 1), batch=[0, 1])
    cluster, _, _ = pool_topology(level, 2)
    assert cluster[0] != cluster[1]


def test_unpooling_returns_the_parent_with_skip_plus_broadcast_coarse():
    cells = [[0, 0, 0], [1, 0, 0], [4, 4, 4]]
    fine = make_level(cells, torch.randn(3, 4))
    pool, unpool = SerializedPooling(4, 8).eval(), SerializedUnpooling(8, 4, 5).eval()
    coarse = pool(fine)
    fine_skip = fine.feat.clone()
    restored = unpool(coarse)
    assert restored is fine
    expected = unpool.proj_skip(fine_skip) + unpool.proj(coarse.feat)[coarse.cluster]
    torch.testing.assert_close(restored.feat, expected)


def test_unpooling_leaves_the_projected_skip_for_the_next_xcpe_as_pointcept():
    """Pointcept's unpooling replaces feat but not the sparse tensor its next conv reads, so the
    first decoder block's xCPE convolves proj_skip(skip) alone; the block consumes it once."""
    cells = [[0, 0, 0], [1, 0, 0], [4, 4, 4], [5, 4, 4], [9, 9, 9]]
    fine = make_level(cells, torch.randn(5, 4))
    coarse = SerializedPooling(4, 8).eval()(fine)
    fine_skip = fine.feat.clone()
    unpool = SerializedUnpooling(8, 4, 4).eval()
    restored = unpool(coarse)
    torch.testing.assert_close(restored.cpe_feat, unpool.proj_skip(fine_skip))

    block = Block(4, 2, 4).eval()
    seen = []
    block.cpe[0].register_forward_hook(lambda mod, args, out: seen.append(args[0]))
    summed = restored.feat.clone()
    block(restored, 0)
    after_first = restored.feat.clone()
    block(restored, 0)
    torch.testing.assert_close(seen[0], unpool.proj_skip(fine_skip))
    torch.testing.assert_close(seen[1], after_first)
    assert restored.cpe_feat is None and not torch.equal(seen[0], summed)


def test_unpooling_without_the_quirk_lets_the_xcpe_see_skip_plus_up():
    fine = make_level([[0, 0, 0], [1, 0, 0], [4, 4, 4]], torch.randn(3, 4))
    coarse = SerializedPooling(4, 8).eval()(fine)
    restored = SerializedUnpooling(8, 4, 4, cpe_sees_skip_only=False).eval()(coarse)
    assert restored.cpe_feat is None
    block = Block(4, 2, 4).eval()
    seen = []
    block.cpe[0].register_forward_hook(lambda mod, args, out: seen.append(args[0]))
    summed = restored.feat.clone()
    block(restored, 0)
    torch.testing.assert_close(seen[0], summed)


def test_pooled_levels_shuffle_their_curve_order_only_when_asked():
    cells = torch.randint(0, 16, (80, 3), generator=torch.Generator().manual_seed(0))
    level = make_level(cells.tolist(), torch.randn(80, 4))
    pool = SerializedPooling(4, 4).eval()
    plain = {tuple(pool(level).serialization.code[:, 0].tolist()) for _ in range(6)}
    torch.manual_seed(0)
    shuffled = {
        tuple(pool(level, shuffle_orders=True).serialization.code[:, 0].tolist()) for _ in range(6)
    }
    assert len(plain) == 1 and len(shuffled) == 2
