"""Figures for docs/synthetic.md: a rendered frame, its ground truth and its scribbles.

    .venv/bin/python benchmarks/make_figures.py [--out docs/images] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from rewis3d.annotations import simulate_labels
from rewis3d.synthetic import FAMILIES, SceneConfig, generate_scene


def panel(kind: str, seed: int, frame: int = 6) -> Image.Image:
    """rgb | ground truth in class colours | scribbles (thickened for print) over grey rgb."""
    frames = generate_scene(SceneConfig(kind=kind, frames=frame + 1, width=320, height=240,
                                        seed=seed))
    shown = frames[frame]
    classes = FAMILIES[kind].classes
    palette = np.zeros((256, 3), np.uint8)
    palette[: len(classes)] = [color for _, color in classes]
    labels = simulate_labels({0: shown.gt}, "scribbles", len(classes), seed=seed).labels[0]
    grey = (shown.rgb.mean(axis=2, keepdims=True) * 0.5 + 60).astype(np.uint8).repeat(3, 2)
    thick = ndimage.grey_dilation(np.where(labels == 255, 0, labels.astype(int) + 1), size=3)
    scribbles = np.where(thick[..., None] > 0, palette[np.maximum(thick - 1, 0)], grey)
    strip = np.concatenate([shown.rgb, palette[shown.gt], scribbles], axis=1)
    image = Image.new("RGB", (strip.shape[1], strip.shape[0] + 22), "white")
    image.paste(Image.fromarray(strip), (0, 0))
    draw = ImageDraw.Draw(image)
    x = 4
    for name, color in classes:
        draw.rectangle([x, strip.shape[0] + 6, x + 10, strip.shape[0] + 16], fill=color)
        draw.text((x + 14, strip.shape[0] + 5), name, fill="black")
        x += 20 + 7 * len(name)
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for kind in FAMILIES:
        path = args.out / f"synthetic_{kind}.png"
        panel(kind, args.seed).save(path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
