"""The ``street`` family: a straight urban road driven along, lined with pavements and buildings.

World axes: x to the right of the road, y along it (driving direction), z up. Appearance overlaps
on purpose: pavements and roads share greys and noise, buildings, cars and poles share greys,
green facades and green cars sit next to trees, window glass is sky-coloured.
"""

from __future__ import annotations

import numpy as np

from rewis3d.synthetic.layout import Layout, Light, path_poses
from rewis3d.synthetic.materials import Material, jitter_color
from rewis3d.synthetic.meshes import MeshBuilder

CLASSES = [
    ("road", (128, 64, 128)),
    ("sidewalk", (244, 35, 232)),
    ("building", (255, 104, 0)),  # not Cityscapes' grey: it vanished on grey facades
    ("vehicle", (0, 0, 142)),
    ("vegetation", (107, 142, 35)),
    ("pole", (0, 170, 150)),
    ("sky", (70, 130, 180)),
]
ROAD, SIDEWALK, BUILDING, VEHICLE, VEGETATION, POLE, SKY = range(7)
DEFAULT_SPACING = 1.0  # metres between frames (36 km/h at 10 fps)

_GREYS = [(0.30, 0.30, 0.31), (0.42, 0.42, 0.41), (0.55, 0.54, 0.52), (0.68, 0.67, 0.64)]
_FACADES = [(0.62, 0.35, 0.27), (0.75, 0.68, 0.55), (0.55, 0.62, 0.50), (0.62, 0.68, 0.75),
            (0.85, 0.83, 0.78), *_GREYS]
_CAR_PAINT = [(0.12, 0.12, 0.13), (0.75, 0.75, 0.76), (0.60, 0.12, 0.10), (0.16, 0.25, 0.55),
              (0.25, 0.42, 0.22), (0.85, 0.85, 0.83), *_GREYS]
_LEAVES = [(0.22, 0.38, 0.14), (0.30, 0.45, 0.18), (0.40, 0.45, 0.20), (0.45, 0.40, 0.25)]
_GLASS = [(0.45, 0.58, 0.72), (0.20, 0.24, 0.30), (0.55, 0.62, 0.70)]


def build_street(rng: np.random.Generator, num_frames: int, spacing: float) -> Layout:
    mesh = MeshBuilder()
    travel = max(num_frames - 1, 0) * spacing
    start, end = -30.0, travel + 150.0
    road_w = rng.uniform(8.0, 10.0)
    walk_w = rng.uniform(2.0, 4.0)
    _road(mesh, rng, road_w, start, end)
    for side in (-1, 1):
        kerb = side * road_w / 2
        outer = kerb + side * walk_w
        _pavement(mesh, rng, kerb, outer + side * 30, start, end)
        _buildings(mesh, rng, outer, side, start, travel + 110)
        _street_furniture(mesh, rng, kerb + side * 0.6, side, start, travel + 80)
        _parked_cars(mesh, rng, kerb - side * 1.0, start, travel + 80)
    _oncoming_traffic(mesh, rng, -road_w / 4, travel)

    t = np.arange(num_frames) * spacing
    wave = rng.uniform(25, 60)
    phase = rng.uniform(0, 2 * np.pi)
    sway = rng.uniform(0.1, 0.25)
    x = (road_w / 2 - 1.9) / 2 + sway * np.sin(2 * np.pi * t / wave + phase)
    heading = -np.arctan(sway * 2 * np.pi / wave * np.cos(2 * np.pi * t / wave + phase))
    heading += np.radians(rng.uniform(2, 5)) * np.sin(2 * np.pi * t / (0.6 * wave))
    eye = np.stack([x, t, np.full_like(t, rng.uniform(1.4, 1.6))], axis=1)
    poses = path_poses(eye, heading, pitch_deg=-rng.uniform(2, 6))

    elevation, azimuth = np.radians(rng.uniform(25, 60)), rng.uniform(0, 2 * np.pi)
    sun = (np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth),
           np.sin(elevation))
    light = Light("sun", sun, intensity=rng.uniform(0.8, 1.0), ambient=rng.uniform(0.35, 0.5))
    return Layout(mesh, poses, light, hfov_deg=75.0, sky_class=SKY, haze_distance=220.0)


def _road(mesh, rng, width, start, end):
    grey = _GREYS[rng.integers(0, 2)]
    road = mesh.new_object(ROAD, Material("noise", jitter_color(rng, grey, 0.03),
                                          jitter_color(rng, _GREYS[2], 0.03), scale=1.5))
    mesh.add_box(road, ((0, (start + end) / 2, -0.05)), (width, end - start, 0.1))
    paint = mesh.new_object(ROAD, Material("plain", (0.85, 0.85, 0.8), (0.7, 0.7, 0.65)))
    for y in np.arange(start, end, 9.0):
        mesh.add_box(paint, (0, y, 0.002), (0.15, 3.0, 0.004))


def _pavement(mesh, rng, kerb, outer, start, end):
    pattern = rng.choice(["tiles", "bricks", "noise"])
    grey = _GREYS[rng.integers(0, len(_GREYS))]
    material = Material(str(pattern), jitter_color(rng, grey, 0.04),
                        jitter_color(rng, _GREYS[rng.integers(0, 4)], 0.04),
                        scale=float(rng.uniform(0.4, 0.8)) if pattern != "noise" else 1.5)
    walk = mesh.new_object(SIDEWALK, material)
    lo, hi = sorted((kerb, outer))
    mesh.add_box(walk, ((lo + hi) / 2, (start + end) / 2, 0.075), (hi - lo, end - start, 0.15))


def _buildings(mesh, rng, line, side, start, end):
    y = start
    while y < end:
        width = rng.uniform(6, 22)
        depth, height = rng.uniform(8, 15), rng.uniform(5, 26)
        setback = rng.uniform(0, 2.5) if rng.random() < 0.5 else 0.0
        face = line + side * setback
        color = _FACADES[rng.integers(0, len(_FACADES))]
        pattern = str(rng.choice(["bricks", "plain", "noise", "stripes"], p=[.35, .3, .2, .15]))
        material = Material(pattern, jitter_color(rng, color), jitter_color(rng, color, 0.15),
                            scale=float(rng.uniform(0.6, 1.4)))
        building = mesh.new_object(BUILDING, material)
        center_x = face + side * depth / 2
        mesh.add_box(building, (center_x, y + width / 2, height / 2), (depth, width, height))
        _windows(mesh, rng, face, side, y, width, height)
        y += width + (rng.uniform(2, 8) if rng.random() < 0.3 else 0.0)


def _windows(mesh, rng, face, side, y0, width, height):
    glass = mesh.new_object(BUILDING, Material("plain", jitter_color(rng, _GLASS[
        rng.integers(0, len(_GLASS))], 0.04), (0.1, 0.1, 0.1)))
    floor_h, pitch = rng.uniform(2.8, 3.5), rng.uniform(2.0, 3.5)
    win_w, win_h = pitch * rng.uniform(0.4, 0.7), floor_h * rng.uniform(0.4, 0.6)
    x = face - side * 0.02
    for z in np.arange(floor_h * 0.45, height - floor_h * 0.5, floor_h):
        for y in np.arange(y0 + pitch * 0.6, y0 + width - pitch * 0.4, pitch):
            mesh.add_box(glass, (x, y, z + win_h / 2), (0.04, win_w, win_h))


def _street_furniture(mesh, rng, x, side, start, end):
    y = start + rng.uniform(0, 10)
    while y < end:
        kind = rng.choice(["tree", "lamp", "sign", "hedge"], p=[0.4, 0.3, 0.15, 0.15])
        if kind == "tree":
            _tree(mesh, rng, x + side * rng.uniform(0, 0.8), y)
        elif kind == "hedge":
            leaves = _LEAVES[rng.integers(0, len(_LEAVES))]
            hedge = mesh.new_object(VEGETATION, Material("noise", jitter_color(rng, leaves),
                                                         (0.1, 0.2, 0.06), scale=0.3))
            mesh.add_box(hedge, (x + side * 1.0, y, 0.15 + 0.5), (0.8, rng.uniform(3, 8), 1.0))
        else:
            color = [(0.25, 0.25, 0.26), (0.15, 0.25, 0.17), (0.5, 0.5, 0.5)][rng.integers(0, 3)]
            pole = mesh.new_object(POLE, Material("plain", jitter_color(rng, color, 0.03),
                                                  (0.1, 0.1, 0.1)))
            height = rng.uniform(5, 8) if kind == "lamp" else rng.uniform(2.4, 3.2)
            mesh.add_cylinder(pole, (x, y, 0.15), rng.uniform(0.06, 0.11), height, segments=8)
            if kind == "lamp":
                mesh.add_box(pole, (x - side * 0.8, y, 0.15 + height), (1.6, 0.12, 0.12))
            else:
                mesh.add_box(pole, (x, y, height), (0.7, 0.05, 0.7))
        y += rng.uniform(6, 16)


def _tree(mesh, rng, x, y):
    leaves = _LEAVES[rng.integers(0, len(_LEAVES))]
    tree = mesh.new_object(VEGETATION, Material("noise", jitter_color(rng, leaves),
                                                jitter_color(rng, (0.12, 0.2, 0.07)), scale=0.4))
    trunk = mesh.new_object(VEGETATION, Material("noise", (0.35, 0.28, 0.22),
                                                 (0.25, 0.25, 0.25), scale=0.3))
    height = rng.uniform(2.2, 4.0)
    mesh.add_cylinder(trunk, (x, y, 0.15), rng.uniform(0.1, 0.18), height + 0.5, segments=8)
    radius = rng.uniform(1.2, 2.5)
    mesh.add_blob(tree, (x, y, 0.15 + height + radius * 0.9),
                  (radius, radius, radius * rng.uniform(0.8, 1.1)), rng, roughness=0.2)


def _car(mesh, rng, x, y, yaw):
    paint = _CAR_PAINT[rng.integers(0, len(_CAR_PAINT))]
    body = mesh.new_object(VEHICLE, Material("plain", jitter_color(rng, paint, 0.03),
                                             jitter_color(rng, paint, 0.1)))
    glass = mesh.new_object(VEHICLE, Material("plain", jitter_color(rng, _GLASS[1], 0.03),
                                              (0.0, 0.0, 0.0)))
    tyre = mesh.new_object(VEHICLE, Material("plain", (0.08, 0.08, 0.08), (0.2, 0.2, 0.2)))
    van = rng.random() < 0.12
    length, width = (rng.uniform(4.8, 6.0), 2.0) if van else (rng.uniform(3.8, 4.8), 1.8)
    body_h = 1.6 if van else rng.uniform(0.7, 0.9)
    c, s = np.cos(yaw), np.sin(yaw)

    def at(along, up):
        return (x - s * along, y + c * along, up)

    mesh.add_box(body, at(0, 0.3 + body_h / 2), (width, length, body_h), yaw)
    cabin_len = length * (0.35 if van else 0.5)
    mesh.add_box(glass, at(-0.1 * length if not van else 0.3 * length,
                           0.3 + body_h + 0.28), (width * 0.9, cabin_len, 0.56), yaw)
    for along in (-0.32 * length, 0.32 * length):
        mesh.add_box(tyre, at(along, 0.33), (width + 0.04, 0.62, 0.62), yaw)


def _parked_cars(mesh, rng, x, start, end):
    y = start + rng.uniform(0, 8)
    while y < end:
        if rng.random() < 0.4:
            _car(mesh, rng, x, y, rng.normal(0, 0.03))
        y += rng.uniform(5.5, 9.0)


def _oncoming_traffic(mesh, rng, x, travel):
    for _ in range(rng.integers(1, 5)):
        _car(mesh, rng, x + rng.normal(0, 0.2), rng.uniform(10, travel + 70),
             np.pi + rng.normal(0, 0.03))
