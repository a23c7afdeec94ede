"""Raycast a procedural scene into RGB, metric z-depth and dense ground-truth labels.

One ``RaycastingScene`` holds the whole triangle soup; the hit triangle gives the object, the
object gives class and material, and the face normal shades it (plus a shadow ray to the light).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rewis3d.synthetic._camera import pixel_rays
from rewis3d.synthetic.layout import Layout
from rewis3d.synthetic.materials import albedo
from rewis3d.synthetic.noise import fbm

IGNORE = 255
_HORIZON = np.array([0.78, 0.84, 0.90], dtype=np.float32)
_ZENITH = np.array([0.30, 0.50, 0.82], dtype=np.float32)


@dataclass
class RenderedFrame:
    rgb: np.ndarray  # (H,W,3) u8
    depth: np.ndarray  # (H,W) f32 metres along camera z, NaN where nothing was hit
    gt: np.ndarray  # (H,W) u8 class ids, 255 = ignore


class Renderer:
    """Holds the raycasting scene of one layout; ``render`` is called once per camera pose."""

    def __init__(self, layout: Layout, seed: int):
        import open3d as o3d

        self.layout = layout
        self.seed = seed
        vertices, triangles, self.triangle_object = layout.mesh.build()
        self.object_class = np.array([o.class_id for o in layout.mesh.objects], dtype=np.int64)
        self.materials = [o.material for o in layout.mesh.objects]
        self._o3d = o3d
        self.scene = o3d.t.geometry.RaycastingScene()
        self.scene.add_triangles(o3d.core.Tensor(vertices), o3d.core.Tensor(triangles))

    def render(self, pose: np.ndarray, intrinsics: np.ndarray, size: tuple[int, int],
               frame_seed: int = 0) -> RenderedFrame:
        h, w = size
        rays = pixel_rays(intrinsics, pose, size).reshape(-1, 6)
        hits = self.scene.cast_rays(self._o3d.core.Tensor(rays))
        t_hit = hits["t_hit"].numpy()
        hit = np.isfinite(t_hit)
        prim = hits["primitive_ids"].numpy()[hit].astype(np.int64)
        obj = self.triangle_object[prim]
        directions = rays[hit, 3:]
        points = rays[hit, :3] + directions * t_hit[hit, None]
        normals = hits["primitive_normals"].numpy()[hit]
        facing = np.sum(normals * directions, axis=1) > 0
        normals[facing] *= -1

        color = np.empty((len(rays), 3), dtype=np.float32)
        color[~hit] = self._sky(rays[~hit, 3:])
        surface = albedo(points, normals, obj, self.materials, self.seed)
        color[hit] = surface * self._light(points, normals)[:, None]
        if self.layout.haze_distance:
            haze = 1 - np.exp(-t_hit[hit] / self.layout.haze_distance)
            color[hit] = color[hit] * (1 - haze[:, None]) + _HORIZON * haze[:, None]
        grain = np.random.default_rng([self.seed, frame_seed]).normal(0, 0.012, color.shape)
        rgb = np.clip((color + grain) * 255 + 0.5, 0, 255).astype(np.uint8).reshape(h, w, 3)

        depth = np.full(h * w, np.nan, dtype=np.float32)
        depth[hit] = t_hit[hit]
        gt = np.full(h * w, IGNORE if self.layout.sky_class is None else self.layout.sky_class,
                     dtype=np.uint8)
        gt[hit] = self.object_class[obj]
        return RenderedFrame(rgb, depth.reshape(h, w), gt.reshape(h, w))

    def _light(self, points: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """Lambert + hemispheric ambient; surfaces the light cannot see get ambient only."""
        light = self.layout.light
        origins = points + normals * 1e-3
        if light.kind == "sun":
            to_light = np.broadcast_to(np.asarray(light.vector, dtype=np.float32), points.shape)
            falloff = 1.0
            tfar = np.inf
        else:
            to_light = np.asarray(light.vector, dtype=np.float32) - points
            dist = np.linalg.norm(to_light, axis=1)
            falloff = 1.0 / (1.0 + 0.04 * dist**2)
            tfar = 0.999
        lambert = np.clip(np.sum(normals * to_light, axis=1) /
                          np.linalg.norm(to_light, axis=1), 0, None)
        lit = lambert > 0
        shadow_rays = np.concatenate([origins[lit], to_light[lit]], axis=1).astype(np.float32)
        blocked = np.zeros(len(points), dtype=bool)
        if len(shadow_rays):
            blocked[lit] = self.scene.test_occlusions(
                self._o3d.core.Tensor(shadow_rays), tnear=1e-3, tfar=tfar).numpy()
        direct = light.intensity * lambert * falloff * ~blocked
        # Outdoors the sky lights upward faces most; indoors bounce light reaches every face.
        ambient = light.ambient * (0.8 + 0.2 * normals[:, 2] if light.kind == "sun" else 1.0)
        return (ambient + direct).astype(np.float32)

    def _sky(self, directions: np.ndarray) -> np.ndarray:
        """Gradient from horizon to zenith with soft clouds; indoors it is never seen."""
        unit = directions / np.linalg.norm(directions, axis=1, keepdims=True)
        up = np.clip(unit[:, 2], 0, 1)[:, None]
        color = _HORIZON + (_ZENITH - _HORIZON) * np.sqrt(up)
        plane = unit[:, :2] / np.maximum(unit[:, 2:3], 0.05)
        cloud = fbm(np.concatenate([plane * 1.5, np.zeros((len(plane), 1))], 1), 4,
                    self.seed + 99)
        cloud = np.clip((cloud - 0.45) * 2.5, 0, 1)[:, None] * np.minimum(up * 8, 1)
        return (color * (1 - cloud) + 0.93 * cloud).astype(np.float32)
