"""View-aware sampling of 3D points for one target image (Rewis3d's 3D batches).

``sphere`` (the released code, default): ``image_ratio`` of the budget from the image's own
points, then other views' points inside the sphere of radius 1.5 R around the centroid of the
own points (R = their largest distance to it), then uniform fill from the whole scene if the
sphere runs short; shuffled. The paper's text says 60/40: ``SamplingConfig(image_ratio=0.6)``.
``random`` is the paper's ablation: an i.i.d. uniform draw without replacement over the whole
scene (order random, not storage order), so few sampled points come from the image.
``single-view`` stands in for single-frame reconstruction: the image's own points only (as if
each image had been reconstructed alone), up to the budget.

Either way the result carries the correspondences of the target view: for each sampled point
that came from the target image, its position in the sample and its pixel (v, u).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rewis3d.geometry.sampling_index import SamplingIndex, accept

RELEASED_IMAGE_RATIO = 0.7
PAPER_IMAGE_RATIO = 0.6
MAX_OVERDRAW = 20


@dataclass(frozen=True)
class SamplingConfig:
    budget: int = 120_000
    image_ratio: float = RELEASED_IMAGE_RATIO
    method: Literal["sphere", "random", "single-view"] = "sphere"


@dataclass
class ViewSample:
    """Sampled point indices and the target view's correspondences.

    ``correspondences`` (K, 3) int64 columns: position in ``indices``, v, u.
    """

    indices: np.ndarray
    correspondences: np.ndarray
    own_count: int
    budget_exceeds_scene: bool = False

    @property
    def correspondence_points(self) -> np.ndarray:
        """Global point index of every correspondence."""
        return self.indices[self.correspondences[:, 0]]


def view_aware_sample(
    index: SamplingIndex,
    frame: int,
    config: SamplingConfig = SamplingConfig(),
    rng: np.random.Generator | None = None,
) -> ViewSample:
    """Sample ``config.budget`` points for target image ``frame`` (see module docstring)."""
    rng = rng if rng is not None else np.random.default_rng()
    n = index.num_points
    lo, hi = int(index.frame_ptr[frame]), int(index.frame_ptr[frame + 1])
    if config.method == "single-view":  # own points only, whatever the budget
        return _finish(index, frame, lo + rng.permutation(hi - lo)[: config.budget])
    if config.budget >= n:
        warnings.warn(
            f"sample budget {config.budget} >= the scene's {n} points: returning every point",
            stacklevel=2,
        )
        return _finish(index, frame, rng.permutation(n), exceeds=True)
    if config.method == "random":  # i.i.d. without replacement, in random order
        return _finish(index, frame, rng.choice(n, size=config.budget, replace=False))
    if config.method != "sphere":
        raise ValueError(f"unknown sampling method {config.method!r}: use 'sphere', 'random' "
                         "or 'single-view'")
    k_own = min(int(round(config.image_ratio * config.budget)), hi - lo)
    own = lo + stratified_draw(hi - lo, k_own, rng)
    others = _sphere_others(index, frame, config.budget - k_own, rng)
    chosen = np.concatenate([own, others])
    missing = config.budget - len(chosen)
    if missing:
        chosen = np.concatenate([chosen, _uniform_fill(n, missing, chosen, rng)])
    perm = rng.permutation(len(chosen))
    pos = np.flatnonzero(perm < k_own)
    own_pixel = np.asarray(index.pixel[own])
    corr = np.empty((len(pos), 3), dtype=np.int64)
    corr[:, 0] = pos
    corr[:, 1:] = own_pixel[perm[pos]]
    return ViewSample(chosen[perm], corr, own_count=len(pos))


def stratified_draw(population: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` distinct sorted integers of ``range(population)``, each equally likely, in O(k).

    One uniform pick in each of ``k`` equal strata: distinct by construction, so no sort or
    hash is needed (``Generator.choice(replace=False)`` permutes the whole population once
    k > population/50, and ``np.unique`` of 120K draws alone costs ~10 ms here). Since points
    are stored grouped by view, in pixel order, and the region index groups them by grid cell,
    strata are also spatially spread: the sample covers the image and the region evenly.
    """
    if k >= population:
        return np.arange(population, dtype=np.int64)
    edges = (np.arange(k + 1, dtype=np.int64) * population) // k
    return edges[:-1] + (rng.random(k) * np.diff(edges)).astype(np.int64)


def _sphere_others(index: SamplingIndex, frame: int, k: int, rng) -> np.ndarray:
    """Up to ``k`` distinct points of other views inside ``frame``'s sphere.

    One stratified draw of about ``k / share`` of the region's candidates (grid cells touching
    the sphere; ``share`` = the accepted share the index estimated at build time) finds them;
    should it fall short, a second draw sized by the share just seen, then the whole region.
    """
    total = index.region_size(frame)
    if k <= 0 or total == 0:
        return np.zeros(0, dtype=np.int64)
    share = max(float(index.view_share[frame]), 1.0 / MAX_OVERDRAW)
    for _ in range(3):
        want = min(total, int(k / share * 1.1) + 64)
        found = accept(index, frame, stratified_draw(total, want, rng))
        if len(found) >= k or want == total:
            break
        share = max(len(found) / (1.5 * want), k / total)
    if len(found) > k:
        found = found[stratified_draw(len(found), k, rng)]
    return np.asarray(index.order[found]).astype(np.int64)


def _uniform_fill(n: int, k: int, taken: np.ndarray, rng) -> np.ndarray:
    """``k`` points not in ``taken``, uniform over the scene (the rare short-sphere case)."""
    draw = stratified_draw(n, min(n, k + len(taken)), rng)
    draw = draw[~np.isin(draw, taken)]
    return draw[stratified_draw(len(draw), k, rng)]


def _finish(index: SamplingIndex, frame: int, indices: np.ndarray, exceeds=False) -> ViewSample:
    indices = indices.astype(np.int64, copy=False)
    lo, hi = index.frame_ptr[frame], index.frame_ptr[frame + 1]
    pos = np.flatnonzero((indices >= lo) & (indices < hi))
    pix = np.asarray(index.pixel[lo:hi])[indices[pos] - lo]
    corr = np.stack([pos, pix[:, 0], pix[:, 1]], axis=1).astype(np.int64)
    return ViewSample(indices, corr, own_count=len(pos), budget_exceeds_scene=exceeds)
