"""Hash-based 3D value noise: deterministic textures as pure functions of world position."""

from __future__ import annotations

import numpy as np

_PRIMES = np.array([73856093, 19349663, 83492791], dtype=np.uint32)


def hash01(cells: np.ndarray, seed: int = 0) -> np.ndarray:
    """Integer lattice cells (..., 3) -> pseudo-random floats in [0, 1), stable across runs."""
    c = cells.astype(np.int64).astype(np.uint32)
    with np.errstate(over="ignore"):
        h = (c[..., 0] * _PRIMES[0]) ^ (c[..., 1] * _PRIMES[1]) ^ (c[..., 2] * _PRIMES[2])
        h ^= np.uint32((seed * 2654435761) & 0xFFFFFFFF)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x7FEB352D)
        h ^= h >> np.uint32(15)
        h *= np.uint32(0x846CA68B)
        h ^= h >> np.uint32(16)
    return (h >> np.uint32(8)).astype(np.float32) / np.float32(1 << 24)


def value_noise(points: np.ndarray, seed: int = 0) -> np.ndarray:
    """Smooth noise in [0, 1) at (N, 3) points, one lattice cell per unit."""
    base = np.floor(points)
    f = (points - base).astype(np.float32)
    f = f * f * (3 - 2 * f)
    cell = base.astype(np.int64)
    out = np.zeros(len(points), dtype=np.float32)
    for dx in (0, 1):
        wx = f[:, 0] if dx else 1 - f[:, 0]
        for dy in (0, 1):
            wy = f[:, 1] if dy else 1 - f[:, 1]
            for dz in (0, 1):
                wz = f[:, 2] if dz else 1 - f[:, 2]
                out += wx * wy * wz * hash01(cell + (dx, dy, dz), seed)
    return out


def fbm(points: np.ndarray, octaves: int = 3, seed: int = 0) -> np.ndarray:
    """Fractal sum of value noise in [0, 1): coarse blotches with finer grain on top."""
    total = np.zeros(len(points), dtype=np.float32)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        total += amplitude * value_noise(points * (2.0**octave), seed + octave)
        norm += amplitude
        amplitude *= 0.5
    return total / norm
