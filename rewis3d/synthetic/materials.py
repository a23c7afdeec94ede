"""Procedural materials: albedo as a function of the 3D hit point, so textures stick to surfaces.

Patterns are shared between classes on purpose (a grey noisy road and a grey noisy pavement,
striped wood floors and striped wallpapers, grey bricks on buildings and pavements), so colour and
texture alone do not give a class away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rewis3d.synthetic.noise import fbm, hash01

PATTERNS = ("plain", "noise", "stripes", "bricks", "tiles")


@dataclass(frozen=True)
class Material:
    """``base``/``accent`` are RGB in [0, 1]; ``scale`` is the pattern period in metres."""

    pattern: str
    base: tuple[float, float, float]
    accent: tuple[float, float, float]
    scale: float = 1.0

    def __post_init__(self):
        if self.pattern not in PATTERNS:
            raise ValueError(f"pattern {self.pattern!r} is not one of {PATTERNS}")


def jitter_color(rng: np.random.Generator, rgb, amount: float = 0.06) -> tuple[float, ...]:
    """A palette colour nudged a little, so no two objects share an exact colour."""
    return tuple(float(c) for c in np.clip(np.asarray(rgb) + rng.normal(0, amount, 3), 0, 1))


def planar_coords(points: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(N,2) surface coordinates: the two world axes across the normal's dominant axis."""
    axis = np.argmax(np.abs(normals), axis=1)
    uv = np.empty((len(points), 2), dtype=np.float64)
    uv[axis == 2] = points[axis == 2][:, [0, 1]]
    uv[axis == 0] = points[axis == 0][:, [1, 2]]
    uv[axis == 1] = points[axis == 1][:, [0, 2]]
    return uv


def albedo(points: np.ndarray, normals: np.ndarray, object_ids: np.ndarray,
           materials: list[Material], seed: int) -> np.ndarray:
    """(N,3) colour in [0, 1] of hit points; each object's texture is offset by its id."""
    table_base = np.array([m.base for m in materials], dtype=np.float32)
    table_accent = np.array([m.accent for m in materials], dtype=np.float32)
    table_scale = np.array([m.scale for m in materials], dtype=np.float64)
    table_pattern = np.array([PATTERNS.index(m.pattern) for m in materials])
    base, accent = table_base[object_ids], table_accent[object_ids]
    scale = table_scale[object_ids][:, None]
    shifted = points + (object_ids[:, None] * np.array([17.31, 5.77, 11.13]))
    grain = fbm(shifted / (0.35 * scale), octaves=3, seed=seed)
    mix = np.empty(len(points), dtype=np.float32)
    pattern = table_pattern[object_ids]
    for index, name in enumerate(PATTERNS):
        sel = pattern == index
        if sel.any():
            mix[sel] = _PATTERN_MIX[name](shifted[sel], normals[sel], scale[sel], grain[sel], seed)
    return base + (accent - base) * mix[:, None]


def _plain(p, n, scale, grain, seed):
    return 0.35 * grain


def _noise(p, n, scale, grain, seed):
    coarse = fbm(p / (2.0 * scale), octaves=2, seed=seed + 7)
    return np.clip(0.7 * coarse + 0.5 * grain - 0.1, 0, 1)


def _stripes(p, n, scale, grain, seed):
    uv = planar_coords(p, n)
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * (uv[:, 0] + 0.2 * grain) / scale[:, 0])
    return np.clip(0.75 * wave + 0.25 * grain, 0, 1)


def _bricks(p, n, scale, grain, seed):
    uv = planar_coords(p, n) / scale
    row = np.floor(uv[:, 1] * 3)
    u = uv[:, 0] + 0.5 * (row % 2)
    col = np.floor(u)
    mortar = (np.minimum(u - col, 1 - (u - col)) < 0.04) | ((uv[:, 1] * 3 - row) < 0.12)
    brick = 0.3 * hash01(np.stack([col, row, np.zeros_like(col)], 1), seed) + 0.2 * grain
    return np.where(mortar, 0.9, brick)


def _tiles(p, n, scale, grain, seed):
    uv = planar_coords(p, n) / scale
    cell = np.floor(uv)
    frac = uv - cell
    grout = (np.minimum(frac, 1 - frac) < 0.03).any(axis=1)
    tile = 0.25 * hash01(np.concatenate([cell, np.zeros((len(cell), 1))], 1), seed) + 0.3 * grain
    return np.where(grout, 0.85, tile)


_PATTERN_MIX = {"plain": _plain, "noise": _noise, "stripes": _stripes, "bricks": _bricks,
                "tiles": _tiles}
