"""The ``room`` family: a furnished room walked around in a loop, looking across it.

World axes: x, y on the floor with the room centred at the origin, z up. Tables and chairs reuse
the floor's wood stripes and the walls' plain paints; cabinets and pictures (clutter) reuse wall
colours, so surfaces are told apart by geometry more than by appearance.
"""

from __future__ import annotations

import numpy as np

from rewis3d.synthetic.layout import Layout, Light, path_poses
from rewis3d.synthetic.materials import Material, jitter_color
from rewis3d.synthetic.meshes import MeshBuilder

CLASSES = [
    ("floor", (140, 86, 75)),
    ("wall", (140, 180, 235)),
    ("ceiling", (255, 152, 150)),
    ("table", (255, 127, 14)),
    ("chair", (44, 160, 44)),
    ("clutter", (148, 103, 189)),
]
FLOOR, WALL, CEILING, TABLE, CHAIR, CLUTTER = range(6)
DEFAULT_SPACING = 0.2  # metres walked between frames

_WOODS = [(0.55, 0.38, 0.22), (0.70, 0.55, 0.38), (0.40, 0.26, 0.16), (0.80, 0.70, 0.55)]
_PAINTS = [(0.88, 0.87, 0.84), (0.80, 0.76, 0.66), (0.70, 0.78, 0.72), (0.68, 0.74, 0.82),
           (0.75, 0.75, 0.75), (0.85, 0.72, 0.62)]
_FABRICS = [(0.35, 0.35, 0.38), (0.20, 0.30, 0.50), (0.55, 0.20, 0.18), (0.30, 0.45, 0.30)]
_BRIGHT = [(0.85, 0.20, 0.15), (0.20, 0.45, 0.80), (0.90, 0.75, 0.20), (0.15, 0.60, 0.35),
           (0.95, 0.95, 0.92), (0.10, 0.10, 0.12)]


def _wood(rng, scale=0.15) -> Material:
    tone = _WOODS[rng.integers(0, len(_WOODS))]
    return Material("stripes", jitter_color(rng, tone, 0.04),
                    jitter_color(rng, np.asarray(tone) * 0.7, 0.03), scale=scale)


def _paint(rng, pattern="plain") -> Material:
    tone = _PAINTS[rng.integers(0, len(_PAINTS))]
    return Material(pattern, jitter_color(rng, tone, 0.03), jitter_color(rng, tone, 0.1),
                    scale=float(rng.uniform(0.3, 1.0)))


def build_room(rng: np.random.Generator, num_frames: int, spacing: float) -> Layout:
    mesh = MeshBuilder()
    half = np.array([rng.uniform(2.6, 4.0), rng.uniform(2.6, 4.0)])
    height = rng.uniform(2.5, 3.1)
    _shell(mesh, rng, half, height)
    reach = min(half) - 1.25  # camera path; furniture stays inside it, clutter outside
    _table_and_chairs(mesh, rng, reach - 0.35)
    _wall_furniture(mesh, rng, half, height)

    radii = half - 1.15
    perimeter = np.pi * (3 * radii.sum() - np.sqrt((3 * radii[0] + radii[1]) *
                                                    (radii[0] + 3 * radii[1])))
    angle = rng.uniform(0, 2 * np.pi) + np.arange(num_frames) * spacing / perimeter * 2 * np.pi
    eye = np.stack([radii[0] * np.cos(angle), radii[1] * np.sin(angle),
                    np.full(num_frames, rng.uniform(1.45, 1.7))], axis=1)
    center_heading = np.arctan2(eye[:, 0], -eye[:, 1])  # facing the room centre
    sweep = np.radians(rng.uniform(15, 35)) * np.sin(angle * rng.integers(2, 4) + rng.uniform(0, 6))
    poses = path_poses(eye, center_heading + sweep, pitch_deg=-rng.uniform(8, 16))

    lamp = (rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), height - 0.3)
    light = Light("lamp", lamp, intensity=rng.uniform(1.0, 1.3), ambient=rng.uniform(0.4, 0.5))
    return Layout(mesh, poses, light, hfov_deg=70.0, sky_class=None)


def _shell(mesh, rng, half, height):
    kind = rng.choice(["wood", "tiles", "carpet"])
    if kind == "wood":
        material = _wood(rng, scale=float(rng.uniform(0.15, 0.3)))
    elif kind == "tiles":
        tone = _PAINTS[rng.integers(0, len(_PAINTS))]
        material = Material("tiles", jitter_color(rng, tone), jitter_color(rng, tone, 0.15),
                            scale=float(rng.uniform(0.3, 0.6)))
    else:
        material = Material("noise", jitter_color(rng, _FABRICS[rng.integers(0, 4)]),
                            jitter_color(rng, _PAINTS[rng.integers(0, 6)]), scale=0.4)
    hx, hy = half
    floor = mesh.new_object(FLOOR, material)
    mesh.add_quad(floor, [(-hx, -hy, 0), (hx, -hy, 0), (hx, hy, 0), (-hx, hy, 0)])
    ceiling = mesh.new_object(CEILING, _paint(rng))
    mesh.add_quad(ceiling, [(-hx, -hy, height), (-hx, hy, height), (hx, hy, height),
                            (hx, -hy, height)])
    wall_pattern = str(rng.choice(["plain", "noise", "stripes", "bricks"], p=[.4, .25, .2, .15]))
    wall_material = _paint(rng, wall_pattern)
    corners = [(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)]
    for i in range(4):
        (x0, y0), (x1, y1) = corners[i], corners[(i + 1) % 4]
        material = wall_material if rng.random() < 0.7 else _paint(rng)
        wall = mesh.new_object(WALL, material)
        mesh.add_quad(wall, [(x0, y0, 0), (x1, y1, 0), (x1, y1, height), (x0, y0, height)])
        if rng.random() < 0.5:  # a door: part of the wall, in wood or paint
            door = mesh.new_object(WALL, _wood(rng) if rng.random() < 0.5 else _paint(rng))
            t = rng.uniform(0.2, 0.7)
            a = np.array([x0 + (x1 - x0) * t, y0 + (y1 - y0) * t])
            direction = np.array([x1 - x0, y1 - y0]) / np.hypot(x1 - x0, y1 - y0)
            inward = np.array([-direction[1], direction[0]]) * 0.01  # walls run anticlockwise
            b = a + direction * 0.9
            p, q = a + inward, b + inward
            mesh.add_quad(door, [(*p, 0), (*q, 0), (*q, 2.05), (*p, 2.05)])


def _table_and_chairs(mesh, rng, reach):
    length = min(rng.uniform(1.2, 2.0), 2 * reach - 1.0)
    width = min(rng.uniform(0.7, 1.0), length)
    top_h = rng.uniform(0.72, 0.78)
    yaw = rng.uniform(0, np.pi)
    material = _wood(rng) if rng.random() < 0.6 else _paint(rng)
    table = mesh.new_object(TABLE, material)
    c, s = np.cos(yaw), np.sin(yaw)

    def rotate(x, y):
        return (c * x - s * y, s * x + c * y)

    mesh.add_box(table, (0, 0, top_h - 0.02), (length, width, 0.04), yaw)
    for sx in (-1, 1):
        for sy in (-1, 1):
            mesh.add_box(table, (*rotate(sx * (length / 2 - 0.08), sy * (width / 2 - 0.08)),
                                 (top_h - 0.04) / 2), (0.06, 0.06, top_h - 0.04), yaw)
    chair_material = _wood(rng) if rng.random() < 0.5 else Material(
        "noise", jitter_color(rng, _FABRICS[rng.integers(0, 4)]), (0.2, 0.2, 0.2), 0.3)
    seats = [(sx * (length / 2 + 0.35), 0.0, yaw + sx * np.pi / 2) for sx in (-1, 1)]
    for k in range(rng.integers(1, 3)):
        along = (k - 0.5) * length / 2 if length > 1.4 else 0.0
        seats += [(along, sy * (width / 2 + 0.35), yaw + (np.pi if sy > 0 else 0.0))
                  for sy in (-1, 1)]
    for x, y, facing in seats:
        if rng.random() < 0.75:
            _chair(mesh, rng, rotate(x, y), facing, chair_material)
    for _ in range(rng.integers(2, 6)):
        _clutter_item(mesh, rng, rotate(rng.uniform(-0.4, 0.4) * length,
                                        rng.uniform(-0.35, 0.35) * width), top_h, small=True)


def _chair(mesh, rng, xy, facing, material):
    """Seat, back and legs; ``facing`` is the direction the sitter looks (towards the table)."""
    chair = mesh.new_object(CHAIR, material)
    seat_h, size = rng.uniform(0.42, 0.48), rng.uniform(0.4, 0.48)
    c, s = np.cos(facing), np.sin(facing)

    def at(fwd, side, z):
        return (xy[0] - s * fwd + c * side, xy[1] + c * fwd + s * side, z)

    mesh.add_box(chair, at(0, 0, seat_h), (size, size, 0.04), facing)
    back_h = rng.uniform(0.35, 0.5)
    mesh.add_box(chair, at(-size / 2 + 0.02, 0, seat_h + back_h / 2), (size, 0.04, back_h), facing)
    for f in (-1, 1):
        for sd in (-1, 1):
            mesh.add_box(chair, at(f * (size / 2 - 0.03), sd * (size / 2 - 0.03), seat_h / 2),
                         (0.04, 0.04, seat_h), facing)


def _clutter_item(mesh, rng, xy, base_z, small):
    tone = _BRIGHT[rng.integers(0, len(_BRIGHT))] if rng.random() < 0.6 else \
        _PAINTS[rng.integers(0, len(_PAINTS))]
    material = Material(str(rng.choice(["plain", "noise", "stripes"])), jitter_color(rng, tone),
                        jitter_color(rng, tone, 0.2), scale=float(rng.uniform(0.05, 0.2)))
    item = mesh.new_object(CLUTTER, material)
    size = rng.uniform(0.08, 0.3) if small else rng.uniform(0.25, 0.6)
    shape = rng.choice(["box", "cylinder", "blob"])
    if shape == "box":
        mesh.add_box(item, (*xy, base_z + size / 2), (size, size * rng.uniform(0.6, 1.5), size),
                     rng.uniform(0, np.pi))
    elif shape == "cylinder":
        mesh.add_cylinder(item, (*xy, base_z), size / 2.5, size, segments=12,
                          top_radius=size / rng.uniform(2.0, 3.5))
    else:
        mesh.add_blob(item, (*xy, base_z + size / 2), (size / 2, size / 2, size / 2), rng,
                      roughness=0.05)


def _wall_furniture(mesh, rng, half, height):
    """Cabinets and boxes against the walls, pictures on them: all clutter."""
    hx, hy = half
    for _ in range(rng.integers(3, 7)):
        wall = rng.integers(0, 4)
        along = rng.uniform(-0.75, 0.75) * (hx if wall < 2 else hy)
        depth = rng.uniform(0.3, 0.55)
        sign = 1 if wall % 2 == 0 else -1
        if wall < 2:
            xy, dims = (along, sign * (hy - depth / 2)), (rng.uniform(0.5, 1.6), depth)
        else:
            xy, dims = (sign * (hx - depth / 2), along), (depth, rng.uniform(0.5, 1.6))
        if rng.random() < 0.55:
            material = _paint(rng) if rng.random() < 0.5 else _wood(rng)
            cabinet = mesh.new_object(CLUTTER, material)
            tall = rng.uniform(0.5, 2.0)
            mesh.add_box(cabinet, (*xy, tall / 2), (*dims, tall))
            if tall < 1.2:
                _clutter_item(mesh, rng, xy, tall, small=True)
        else:
            _clutter_item(mesh, rng, xy, 0.0, small=False)
        if rng.random() < 0.6:
            frame = mesh.new_object(CLUTTER, Material("noise", jitter_color(rng, _BRIGHT[
                rng.integers(0, len(_BRIGHT))]), jitter_color(rng, _PAINTS[0]), scale=0.1))
            w, h = rng.uniform(0.4, 1.0), rng.uniform(0.3, 0.8)
            z = rng.uniform(1.4, min(2.0, height - 0.5))
            if wall < 2:
                mesh.add_box(frame, (along, sign * (hy - 0.02), z), (w, 0.03, h))
            else:
                mesh.add_box(frame, (sign * (hx - 0.02), along, z), (0.03, w, h))
