"""The 3D model's view of a frame: which points, which features, the same draw every time."""

import numpy as np
import torch

from rewis3d.train.evaluate import view_point_logits


class _Recorder(torch.nn.Module):
    """Returns its features as logits, so a test can read what the model was given."""

    def forward(self, feat, coord, grid_size):
        self.coord, self.grid_size = coord, grid_size
        return feat


def _view(n: int = 50) -> dict:
    rng = np.random.default_rng(3)
    return {"points": rng.uniform([10, -4, 0], [14, 2, 3], (n, 3)),
            "colors": rng.integers(0, 256, (n, 3), dtype=np.uint8)}


def test_a_fixed_sorted_draw_with_training_features():
    view, model = _view(), _Recorder()
    logits, keep = view_point_logits(model, view, budget=20, grid_size=0.1)
    again, keep_again = view_point_logits(model, view, budget=20, grid_size=0.1)
    assert keep.shape == (20,) and len(set(keep)) == 20 and np.all(np.diff(keep) > 0)
    np.testing.assert_array_equal(keep, keep_again)
    torch.testing.assert_close(logits, again)
    xyz = view["points"][keep].astype(np.float32)
    mid = (xyz.min(0) + xyz.max(0)) / 2
    np.testing.assert_allclose(logits[:, :2].numpy(), xyz[:, :2] - mid[:2], atol=1e-6)
    np.testing.assert_allclose(logits[:, 2].numpy(), xyz[:, 2])  # height is kept
    np.testing.assert_allclose(logits[:, 3:].numpy(), view["colors"][keep] / 255.0, rtol=1e-6)
    torch.testing.assert_close(model.coord, logits[:, :3])
    assert model.grid_size == 0.1


def test_a_budget_above_the_view_takes_every_point_and_a_given_rng_advances():
    view, model = _view(12), _Recorder()
    _, keep = view_point_logits(model, view, budget=100, grid_size=0.1)
    np.testing.assert_array_equal(keep, np.arange(12))
    rng = np.random.default_rng(0)
    _, first = view_point_logits(model, _view(), budget=10, grid_size=0.1, rng=rng)
    _, second = view_point_logits(model, _view(), budget=10, grid_size=0.1, rng=rng)
    assert not np.array_equal(first, second)
