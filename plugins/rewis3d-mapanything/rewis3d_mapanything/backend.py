"""Reconstruct a scene with MapAnything, chunk by chunk of consecutive frames.

Each chunk (default 100 frames, as the released Rewis3d code does for KITTI-360) goes through
``load_images`` + ``model.infer``; every valid (``mask``) pixel of MapAnything's grid is mapped
back to its original frame pixel through the resize + centre crop (``pixel_mapping``), keeps
its raw ``conf`` (>= 1) and gets the original frame's colour.

A chunk's points live in its first view's camera frame, at a scale of its own (MapAnything is
metric per call, not across calls). Consecutive chunks share ``overlap`` frames: each chunk is
registered to the one before by the similarity transform (scale, rotation, translation) that
maps its points of the shared frames onto the previous chunk's points of the same pixels
(``registration.py``), so a long video gives one consistent cloud. The first chunk is placed by
the scene's stored pose of its first frame (``align_to_scene_poses``; the identity for image
and video imports, real for RGB-D datasets). The shared frames keep the earlier chunk's points.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rewis3d.config import typed_config
from rewis3d.errors import InputError
from rewis3d.reconstruct.base import BackendOutput, ProgressFn, config_from_options
from rewis3d.store import ReconstructionData, Scene
from rewis3d_mapanything.estimate import describe, run_seconds
from rewis3d_mapanything.pixel_mapping import ResizeCrop
from rewis3d_mapanything.registration import (
    chunk_ranges,
    place_camera,
    register_to,
    transform_view,
)

INSTALL = (
    "MapAnything is not installed: on a GPU machine run `pip install uniception==0.1.7` and "
    "`pip install -e .` in a clone of https://github.com/facebookresearch/map-anything "
    "(see plugins/rewis3d-mapanything/README.md)"
)


@typed_config
@dataclass
class MapAnythingConfig:
    model: str = "facebook/map-anything-apache"  # or "facebook/map-anything" (CC-BY-NC)
    chunk_size: int = 100
    device: str | None = None  # default: cuda when available
    memory_efficient: bool = True
    use_amp: bool = True
    amp_dtype: str = "bf16"
    align_to_scene_poses: bool = True
    overlap: int = 10  # frames shared by consecutive chunks, to register each to the one before
    estimate: bool = True  # on a CPU, time one view first and warn how long the run will take

    def __post_init__(self):
        if self.chunk_size < 1:
            raise InputError(f"mapanything option chunk_size must be >= 1, got {self.chunk_size}")
        if not 0 < self.overlap < self.chunk_size and self.chunk_size > 1:
            raise InputError(f"mapanything option overlap must be between 1 and chunk_size - 1 "
                             f"({self.chunk_size - 1}), got {self.overlap}")


class MapAnythingReconstructor:
    name = "mapanything"
    drop_low_conf_by_default = True  # the released code drops each view's lowest 10 % conf
    options_type = MapAnythingConfig  # what `-o key=value` (and the 3D tab's form) can set

    def __init__(self, **options):
        self.config = config_from_options(MapAnythingConfig, options, self.name)

    def reconstruct(self, scene: Scene, progress: ProgressFn | None = None) -> BackendOutput:
        model, load_images, device = self._load_model()
        mapping = ResizeCrop.for_frames(scene.image_size)
        cfg = self.config
        views, chunks, cameras = {}, [], {}
        ranges = chunk_ranges(scene.num_frames, cfg.chunk_size, cfg.overlap)
        with tempfile.TemporaryDirectory() as tmp:
            infer = self._inference(model, load_images, device, mapping, scene, Path(tmp))
            if device == "cpu" and cfg.estimate:
                _warn_cpu_estimate(infer, ranges)
            for start, stop in ranges:
                outputs = infer(range(start, stop))
                poses = [_numpy(o["camera_poses"])[0].astype(np.float64) for o in outputs]
                raw = {start + i: _view_points(out, mapping, np.asarray(scene.rgb[start + i]))
                       for i, out in enumerate(outputs)}
                if not chunks:  # the first chunk: by the scene's pose of its first frame
                    align = (scene.poses[start] @ np.linalg.inv(poses[0])
                             if cfg.align_to_scene_poses else np.eye(4))
                    fit = {}
                else:  # the others: onto the chunk before, through the shared frames
                    shared = [f for f in raw if f in views]
                    align, fit = register_to(raw, views, shared, f"chunk {start}-{stop - 1}")
                for i, (f, view) in enumerate(raw.items()):
                    if f not in views:  # shared frames keep the earlier chunk's points
                        views[f] = transform_view(view, align)
                        cameras[f] = place_camera(align, poses[i])
                chunks.append({"start": start, "stop": stop, "align": align.tolist(), **fit,
                               "camera_poses": [place_camera(align, p).tolist() for p in poses]})
                if progress is not None:
                    progress(stop, scene.num_frames)
        data = ReconstructionData.from_views(scene.num_frames, views)
        return BackendOutput(
            data=data, conf_kind="mapanything-raw", parameters=asdict(cfg),
            extra_attrs={"chunks": chunks, "model_input_size": list(mapping.output)},
            camera_poses=np.stack([cameras[f] for f in range(scene.num_frames)]),
        )

    def _inference(self, model, load_images, device, mapping: ResizeCrop, scene: Scene,
                   tmp: Path):
        """``infer(frames) -> outputs``: MapAnything on those frames, as the run calls it."""
        cfg = self.config

        def infer(frames: range) -> list[dict]:
            inputs = load_images([str(p) for p in _write_pngs(scene, frames, tmp)])
            self._check_input_size(inputs, mapping)
            for view in inputs:
                view["img"] = view["img"].to(device)
            return model.infer(
                inputs, memory_efficient_inference=cfg.memory_efficient,
                use_amp=cfg.use_amp, amp_dtype=cfg.amp_dtype, apply_mask=True, mask_edges=True,
            )

        return infer

    def _load_model(self):
        try:
            import torch
            from mapanything.models import MapAnything
            from mapanything.utils.image import load_images
        except ImportError as exc:
            raise InputError(f"{INSTALL} ({exc})") from None
        device = self.config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        model = MapAnything.from_pretrained(self.config.model).to(device)
        model.eval()
        return model, load_images, device

    @staticmethod
    def _check_input_size(inputs, mapping: ResizeCrop) -> None:
        got = tuple(int(x) for x in inputs[0]["img"].shape[-2:])
        if got != mapping.output:
            raise InputError(
                f"MapAnything resized the frames to {got[1]}x{got[0]} but rewis3d-mapanything "
                f"expected {mapping.output[1]}x{mapping.output[0]}: the installed MapAnything "
                "changed its resize rules; update rewis3d_mapanything/pixel_mapping.py"
            )


def _view_points(out: dict, mapping: ResizeCrop, rgb: np.ndarray) -> dict:
    """One view's valid points (in its chunk's frame), at original-frame pixels, one per pixel."""
    pts = _numpy(out["pts3d"])[0].astype(np.float64)
    conf = _numpy(out["conf"])[0].astype(np.float32)
    mask = _numpy(out["mask"])[0].reshape(conf.shape).astype(bool)
    mask &= np.isfinite(pts).all(axis=-1) & np.isfinite(conf)
    grid = np.argwhere(mask)
    pixel, inside = mapping.to_original(grid)
    grid, pixel = grid[inside], pixel[inside]
    points = pts[grid[:, 0], grid[:, 1]]
    conf = conf[grid[:, 0], grid[:, 1]]
    keep = _most_confident_per_pixel(pixel, conf, mapping.image_size[1])
    pixel = pixel[keep]
    return {"points": points[keep], "conf": conf[keep], "pixel": pixel,
            "colors": rgb[pixel[:, 0], pixel[:, 1]]}


def _most_confident_per_pixel(pixel: np.ndarray, conf: np.ndarray, width: int) -> np.ndarray:
    """Rows to keep so that each original pixel has one point (when MapAnything upsampled)."""
    flat = pixel[:, 0].astype(np.int64) * width + pixel[:, 1]
    order = np.lexsort((-conf, flat))
    first = np.ones(len(order), dtype=bool)
    first[1:] = flat[order][1:] != flat[order][:-1]
    return np.sort(order[first])


def _numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


def _warn_cpu_estimate(infer, ranges: list[tuple[int, int]]) -> None:
    """Time one view and say how long the whole run will take, before it starts."""
    started = time.perf_counter()
    infer(range(ranges[0][0], ranges[0][0] + 1))
    one_view = time.perf_counter() - started
    views = [stop - start for start, stop in ranges]
    total = run_seconds(one_view, views)
    warnings.warn(
        f"MapAnything on a CPU: one view took {one_view:.0f} s, so {sum(views)} views in "
        f"{len(views)} chunk(s) of up to {max(views)} take about {describe(total)} "
        "(a chunk's global attention grows with its size: -o chunk_size=20 is faster per "
        "frame, a GPU far faster; -o estimate=false skips this timing)", stacklevel=3)


def _write_pngs(scene: Scene, frames: range, folder: Path) -> list[Path]:
    from PIL import Image

    paths = []
    for f in frames:
        path = folder / f"{f:06d}.png"
        Image.fromarray(np.asarray(scene.rgb[f])).save(path)
        paths.append(path)
    return paths
