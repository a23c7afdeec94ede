import pytest
import torch
from ptv3_synthetic_scene import synthetic_scene

from rewis3d.models.ptv3 import PointTransformerV3, PTv3Segmentor, preset
from rewis3d.models.ptv3.model import batch_from_offset


def unique_voxel_scene(num_points: int = 600, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    flat = torch.randperm(40**3, generator=gen)[:num_points]
    cells = torch.stack([flat // 1600, (flat // 40) % 40, flat % 40], dim=1)
    coord = (cells.float() + 0.5) * 0.05
    feat = torch.randn(num_points, 3, generator=gen)
    return feat, coord, cells


def small_model(**overrides) -> PointTransformerV3:
    overrides.setdefault("in_channels", 3)
    return PointTransformerV3(preset("ptv3-tiny", **overrides).with_patch_size(32))


def test_output_is_per_point_64d_in_input_order():
    feat, coord, _ = unique_voxel_scene()
    model = small_model().eval()
    out = model(feat, coord)
    assert out.shape == (600, 64)
    assert torch.isfinite(out).all()


def test_permuting_input_points_permutes_output_in_eval_mode():
    feat, coord, cells = unique_voxel_scene()
    model = small_model().eval()
    perm = torch.randperm(600, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        out = model(feat, coord, grid_coord=cells)
        out_perm = model(feat[perm], coord[perm], grid_coord=cells[perm])
    torch.testing.assert_close(out_perm, out[perm], rtol=1e-4, atol=1e-4)


def test_eval_forward_is_deterministic_and_training_shuffles_orders():
    feat, coord, _ = unique_voxel_scene()
    model = small_model(drop_path=0.0)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(feat, coord), model(feat, coord))
    model.train()
    torch.manual_seed(0)
    levels = [model.prepare(feat, coord).serialization.code[:, 0].tolist() for _ in range(8)]
    assert len({tuple(codes) for codes in levels}) > 1
    model.eval()
    assert len({tuple(model.prepare(feat, coord).serialization.code[:, 0].tolist())}) == 1
    asked = [model.prepare(feat, coord, shuffle_orders=True).serialization for _ in range(8)]
    assert len({tuple(s.code[:, 0].tolist()) for s in asked}) > 1


def test_gradients_reach_every_parameter():
    feat, coord, _ = unique_voxel_scene()
    model = PTv3Segmentor(5, small_model(drop_path=0.0).config).train()
    logits = model(feat, coord)
    torch.nn.functional.cross_entropy(logits, torch.randint(0, 5, (600,))).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert param.grad.abs().sum() > 0, name


def test_offset_and_batch_inputs_agree_and_samples_stay_separate():
    feat, coord, _ = unique_voxel_scene()
    model = small_model().eval()
    offset = torch.tensor([250, 600])
    batch = batch_from_offset(offset, 600)
    assert batch.bincount().tolist() == [250, 350]
    with torch.no_grad():
        torch.testing.assert_close(
            model(feat, coord, offset=offset), model(feat, coord, batch=batch)
        )
    with pytest.raises(ValueError, match="offset"):
        batch_from_offset(torch.tensor([300, 200]), 600)


def test_duplicate_voxels_and_tiny_inputs_run():
    coord = torch.rand(300, 3) * 0.2  # many points per 5 cm voxel
    model = small_model().eval()
    with torch.no_grad():
        assert model(coord, coord).shape == (300, 64)
        assert model(coord[:3], coord[:3]).shape == (3, 64)


def test_a_cloud_inside_one_voxel_runs_with_hilbert_orders():
    """Largest cell index 0 -> serialization depth 0 (the reference's Hilbert encoder fails)."""
    coord = torch.rand(20, 3) * 0.01
    model = small_model().eval()
    with torch.no_grad():
        out = model(coord, coord, grid_coord=torch.zeros(20, 3, dtype=torch.long))
    assert out.shape == (20, 64) and torch.isfinite(out).all()


def test_tiny_preset_overfits_a_synthetic_scene():
    torch.manual_seed(0)
    coord, labels = synthetic_scene(1600)
    feat = coord - coord.mean(dim=0)
    model = PTv3Segmentor(4, preset("ptv3-tiny", in_channels=3, drop_path=0.0))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(120):
        loss = torch.nn.functional.cross_entropy(model(feat, coord), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(feat, coord).argmax(dim=1) == labels).float().mean().item()
    assert accuracy >= 0.9


def test_negative_grid_coordinates_are_refused():
    coord = torch.rand(20, 3)
    with pytest.raises(ValueError, match="non-negative"):
        small_model()(coord, coord, grid_coord=torch.full((20, 3), -1))
