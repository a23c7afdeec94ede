"""The display subset of a reconstruction (``geometry.display_lod``), stored with it.

The subset (indices, points, colours, confidence, pixels) is drawn once, streamed chunk by
chunk from the reconstruction (memory bounded by one chunk), and stored as
``reconstructions/<name>/display_lod/`` (a derived group, ``cache``), so opening the 3D view
later reads a few MB instead of every array.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rewis3d.derived.cache import load_or_build, open_group, write_group, write_whole
from rewis3d.errors import DerivedDataCorruptError
from rewis3d.geometry.display_lod import display_subset, nearest_spacing

LOD_VERSION = 1
LOD_FOLDER = "display_lod"
FIELDS = ("index", "points", "colors", "conf", "pixel")


@dataclass
class DisplaySubset:
    index: np.ndarray  # (M,) sorted point indices
    points: np.ndarray  # (M, 3) float32
    colors: np.ndarray  # (M, 3) uint8
    conf: np.ndarray  # (M,) float32
    pixel: np.ndarray  # (M, 2) int32 (v, u)
    spacing: float = 1.0  # 90th percentile of the nearest-neighbour distance among them


def load_display_subset(reconstruction, budget: int, seed: int = 0) -> DisplaySubset:
    """The stored display subset of ``reconstruction``; drawn and stored first when needed."""
    path = Path(reconstruction.path) / LOD_FOLDER
    params = {"budget": int(budget), "seed": int(seed)}

    def build() -> DisplaySubset:
        subset = draw_display_subset(reconstruction, budget, seed)
        subset.spacing = nearest_spacing(subset.points)
        try:
            write_group(path, reconstruction, LOD_VERSION, params,
                        lambda group: write_whole(group, {k: getattr(subset, k) for k in FIELDS}),
                        {"spacing": subset.spacing})
        except OSError as exc:  # a read-only project is still shown
            warnings.warn(f"could not store the display subset ({exc})", stacklevel=3)
        return subset

    return load_or_build(path, "display subset",
                         lambda: _open(path, reconstruction, params), build)


def draw_display_subset(reconstruction, budget: int, seed: int = 0) -> DisplaySubset:
    """Read the subset's rows chunk by chunk (one chunk of each array in memory at a time)."""
    index = display_subset(reconstruction.num_points, budget, seed)
    step = int(reconstruction.points.chunks[0]) if reconstruction.num_points else 1
    parts: dict[str, list[np.ndarray]] = {k: [] for k in FIELDS[1:]}
    bounds = np.searchsorted(index, np.arange(0, reconstruction.num_points + step, step))
    for c in range(len(bounds) - 1):
        a, b = bounds[c], bounds[c + 1]
        if b == a:
            continue
        lo = c * step
        hi = int(index[b - 1]) + 1
        for name in parts:
            parts[name].append(np.asarray(getattr(reconstruction, name)[lo:hi])[index[a:b] - lo])
    shapes = {"points": (0, 3), "colors": (0, 3), "conf": (0,), "pixel": (0, 2)}
    dtypes = {"points": np.float32, "colors": np.uint8, "conf": np.float32, "pixel": np.int32}
    return DisplaySubset(index=index.astype(np.int64), **{
        k: np.concatenate(v) if v else np.zeros(shapes[k], dtypes[k]) for k, v in parts.items()})


def _open(path: Path, reconstruction, params: dict) -> DisplaySubset:
    attrs, _, arrays = open_group(path, reconstruction, LOD_VERSION, params, whole=FIELDS)
    try:
        return DisplaySubset(**arrays, spacing=float(attrs["spacing"]))
    except (KeyError, ValueError) as exc:
        raise DerivedDataCorruptError(f"{path}: incomplete display subset ({exc!r})") from None
