"""Triangle-mesh primitives for procedural scenes; every triangle remembers its object.

A scene is one triangle soup: the raycaster reports the hit triangle, ``triangle_object`` maps it
to the object, and the object to its class and material. Primitives are plain numpy so that
scene layout needs no open3d.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rewis3d.synthetic.materials import Material

_BOX_FACES = np.array(
    [
        [0, 2, 1], [0, 3, 2],  # bottom (z-)
        [4, 5, 6], [4, 6, 7],  # top (z+)
        [0, 1, 5], [0, 5, 4],  # y-
        [2, 3, 7], [2, 7, 6],  # y+
        [1, 2, 6], [1, 6, 5],  # x+
        [3, 0, 4], [3, 4, 7],  # x-
    ]
)


@dataclass(frozen=True)
class SceneObject:
    """One object of a scene: what it is (class) and what it looks like (material)."""

    class_id: int
    material: Material


@dataclass
class MeshBuilder:
    """Collects primitives; ``objects[i]`` describes the triangles whose ``triangle_object`` is i."""

    vertices: list[np.ndarray] = field(default_factory=list)
    triangles: list[np.ndarray] = field(default_factory=list)
    triangle_object: list[np.ndarray] = field(default_factory=list)
    objects: list[SceneObject] = field(default_factory=list)
    _count: int = 0

    def new_object(self, class_id: int, material: Material) -> int:
        self.objects.append(SceneObject(class_id, material))
        return len(self.objects) - 1

    def add(self, obj: int, vertices: np.ndarray, triangles: np.ndarray) -> None:
        self.vertices.append(np.asarray(vertices, dtype=np.float32))
        self.triangles.append(np.asarray(triangles, dtype=np.int64) + self._count)
        self.triangle_object.append(np.full(len(triangles), obj, dtype=np.int32))
        self._count += len(vertices)

    def add_box(self, obj: int, center, size, yaw: float = 0.0) -> None:
        """Axis-aligned box turned by ``yaw`` about the world z (up) axis."""
        sx, sy, sz = np.asarray(size, dtype=np.float64) / 2
        corners = np.array(
            [[-sx, -sy, -sz], [sx, -sy, -sz], [sx, sy, -sz], [-sx, sy, -sz],
             [-sx, -sy, sz], [sx, -sy, sz], [sx, sy, sz], [-sx, sy, sz]]
        )
        self.add(obj, corners @ _yaw(yaw).T + np.asarray(center), _BOX_FACES)

    def add_cylinder(self, obj: int, base, radius: float, height: float, segments: int = 12,
                     top_radius: float | None = None) -> None:
        """Upright (truncated) cone from ``base`` upwards, capped at both ends."""
        top_radius = radius if top_radius is None else top_radius
        angles = np.linspace(0, 2 * np.pi, segments, endpoint=False)
        ring = np.stack([np.cos(angles), np.sin(angles), np.zeros(segments)], axis=1)
        bottom = ring * radius
        top = ring * top_radius + [0, 0, height]
        verts = np.concatenate([bottom, top, [[0, 0, 0], [0, 0, height]]]) + np.asarray(base)
        i = np.arange(segments)
        j = (i + 1) % segments
        side = np.concatenate([np.stack([i, j, j + segments], 1), np.stack([i, j + segments,
                                                                            i + segments], 1)])
        caps = np.concatenate([np.stack([np.full(segments, 2 * segments), j, i], 1),
                               np.stack([np.full(segments, 2 * segments + 1), i + segments,
                                         j + segments], 1)])
        self.add(obj, verts, np.concatenate([side, caps]))

    def add_blob(self, obj: int, center, radii, rng: np.random.Generator,
                 roughness: float = 0.0, rings: int = 8, segments: int = 12) -> None:
        """Ellipsoid with random radial bumps (tree crowns, bushes, clutter)."""
        theta = np.linspace(0, np.pi, rings + 1)[1:-1]
        phi = np.linspace(0, 2 * np.pi, segments, endpoint=False)
        t, p = np.meshgrid(theta, phi, indexing="ij")
        dirs = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1)
        dirs = np.concatenate([[[0, 0, 1]], dirs.reshape(-1, 3), [[0, 0, -1]]])
        scale = 1 + roughness * rng.uniform(-1, 1, len(dirs))
        verts = dirs * np.asarray(radii) * scale[:, None] + np.asarray(center)
        tris = []
        for r in range(rings - 2):
            for s in range(segments):
                a = 1 + r * segments + s
                b = 1 + r * segments + (s + 1) % segments
                tris += [[a, a + segments, b], [b, a + segments, b + segments]]
        last = 1 + (rings - 2) * segments
        south = len(dirs) - 1
        for s in range(segments):
            tris.append([0, 1 + s, 1 + (s + 1) % segments])
            tris.append([south, last + (s + 1) % segments, last + s])
        self.add(obj, verts, np.array(tris))

    def add_quad(self, obj: int, corners) -> None:
        """Planar quad from four corners in order (both faces are hit by rays)."""
        self.add(obj, np.asarray(corners), np.array([[0, 1, 2], [0, 2, 3]]))

    def build(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(V,3) f32 vertices, (T,3) u32 triangles, (T,) i32 object of each triangle."""
        return (
            np.concatenate(self.vertices).astype(np.float32),
            np.concatenate(self.triangles).astype(np.uint32),
            np.concatenate(self.triangle_object),
        )


def _yaw(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
