"""An imperfect reconstruction of a synthetic scene, with a confidence that tracks its error.

Real reconstructions (MapAnything and the like) are noisier far away, smear depth across object
edges ("flying pixels"), fail in whole regions (glass, sky-like walls) and report a raw confidence
``conf >= 1`` that is high where they are right, but not perfectly so. This model reproduces
those traits from ground-truth depth so that filtering and confidence weighting can be tested.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from rewis3d.errors import InputError
from rewis3d.store.reconstruction import ReconstructionData
from rewis3d.synthetic._camera import backproject


@dataclass(frozen=True)
class ReconstructionNoise:
    """Depth error sigma(z) = linear * z + quadratic * z^2 metres; rates are per pixel/frame."""

    linear: float = 0.01
    quadratic: float = 0.0005
    flying_rate: float = 0.6  # share of depth-edge pixels that land between the two surfaces
    edge_ratio: float = 1.08  # max/min depth in a 3x3 window above which a pixel is an edge
    outlier_regions: float = 0.6  # mean number of failed regions per frame
    outlier_scale: tuple[float, float] = (0.75, 1.3)  # depth factor range inside a region
    pose_sigma: tuple[float, float] = (0.005, 0.05)  # metres, degrees per frame
    conf_noise: float = 0.4  # how loosely conf follows the error
    stride: int = 1  # keep every stride-th pixel in v and u

    def validate(self) -> None:
        if self.stride < 1:
            raise InputError(f"stride must be >= 1, got {self.stride}")
        for name in ("linear", "quadratic", "flying_rate", "outlier_regions", "conf_noise"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must be >= 0, got {getattr(self, name)}")


def simulate_view(depth: np.ndarray, rgb: np.ndarray, intrinsics: np.ndarray, pose: np.ndarray,
                  noise: ReconstructionNoise, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One frame's points (world), colours, conf and pixels (v, u); sky/no-depth is dropped."""
    valid = np.isfinite(depth) & (depth > 0)
    z = np.where(valid, depth, 0.0).astype(np.float64)
    sigma = noise.linear * z + noise.quadratic * z**2
    rel = sigma / np.maximum(z, 1e-6)
    noisy = z + sigma * (0.6 * _smooth_field(depth.shape, rng) + 0.8 * rng.normal(size=z.shape))
    logit = 1.5 * np.log(0.02 / np.maximum(rel, 1e-4)) + 1.5

    flying = _depth_edges(z, valid, noise.edge_ratio) & (rng.random(z.shape) < noise.flying_rate)
    near = ndimage.minimum_filter(np.where(valid, z, np.inf), size=3)
    far = ndimage.maximum_filter(z, size=3)
    blend = rng.random(z.shape)
    noisy[flying] = near[flying] + (far[flying] - near[flying]) * blend[flying]
    noticed = flying & (rng.random(z.shape) < 0.8)
    logit[noticed] -= rng.uniform(1.5, 3.5, noticed.sum())

    for _ in range(rng.poisson(noise.outlier_regions)):
        region = _random_ellipse(depth.shape, rng) & valid
        noisy[region] *= rng.uniform(*noise.outlier_scale)
        logit[region] -= rng.uniform(0.0, 2.5)

    logit += rng.normal(0, noise.conf_noise, z.shape)
    conf = 1.0 + np.exp(np.clip(logit, -20, 20))

    keep = np.zeros_like(valid)
    keep[:: noise.stride, :: noise.stride] = True
    keep &= valid & (noisy > 0)
    points = backproject(np.where(keep, noisy, np.nan), intrinsics, _perturb(pose, noise, rng))
    v, u = np.nonzero(keep)
    return {
        "points": points[v, u].astype(np.float32),
        "colors": rgb[v, u],
        "conf": conf[v, u].astype(np.float32),
        "pixel": np.stack([v, u], axis=1).astype(np.int32),
    }


def simulate_reconstruction(frames, noise: ReconstructionNoise, seed: int) -> ReconstructionData:
    """``frames``: objects with ``depth``, ``rgb``, ``intrinsics`` and ``pose`` (in order)."""
    noise.validate()
    views = {}
    for index, frame in enumerate(frames):
        views[index] = simulate_view(np.asarray(frame.depth), np.asarray(frame.rgb),
                                     frame.intrinsics, frame.pose, noise, view_rng(seed, index))
    return ReconstructionData.from_views(len(views), views)


def view_rng(seed: int, index: int) -> np.random.Generator:
    """The random stream of one view: the same whether views are simulated alone or together."""
    return np.random.default_rng([seed, 7919, index])


def _depth_edges(z: np.ndarray, valid: np.ndarray, ratio: float) -> np.ndarray:
    near = ndimage.minimum_filter(np.where(valid, z, np.inf), size=3)
    far = ndimage.maximum_filter(np.where(valid, z, 0.0), size=3)
    return valid & (far > near * ratio)


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Unit-variance noise that varies over ~1/8 of the image (a slightly warped surface)."""
    coarse = rng.normal(size=(9, 9))
    field = ndimage.zoom(coarse, (shape[0] / 9, shape[1] / 9), order=3)[: shape[0], : shape[1]]
    field = np.pad(field, ((0, shape[0] - field.shape[0]), (0, shape[1] - field.shape[1])),
                   mode="edge")
    return field / max(field.std(), 1e-6)


def _random_ellipse(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    cv, cu = rng.uniform(0, h), rng.uniform(0, w)
    rv, ru = rng.uniform(0.05, 0.15) * h, rng.uniform(0.05, 0.15) * w
    v, u = np.ogrid[0:h, 0:w]
    return ((v - cv) / rv) ** 2 + ((u - cu) / ru) ** 2 <= 1


def _perturb(pose: np.ndarray, noise: ReconstructionNoise, rng: np.random.Generator) -> np.ndarray:
    """A slightly wrong camera pose, as estimated poses are."""
    from scipy.spatial.transform import Rotation

    out = pose.copy()
    rot = Rotation.from_rotvec(np.radians(noise.pose_sigma[1]) * rng.normal(size=3))
    out[:3, :3] = rot.as_matrix() @ pose[:3, :3]
    out[:3, 3] += noise.pose_sigma[0] * rng.normal(size=3)
    return out
