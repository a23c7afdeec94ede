"""Shared pieces of the readers: file listing, image/depth/matrix loading with clear errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rewis3d.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass
class FrameRecord:
    """One frame as a reader produces it, before validation by the store's frame writer."""

    rgb: np.ndarray
    intrinsics: np.ndarray
    pose: np.ndarray
    depth: np.ndarray | None = None
    name: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # field -> file, for error messages
    # dense labels (H,W) u8: indices into the source's ``classes`` names, 255 = none
    gt: np.ndarray | None = None


def natural_key(path: Path | str) -> list:
    """'frame10' sorts after 'frame9'."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def require_folder(src: Path, what: str) -> Path:
    src = Path(src)
    if not src.exists():
        raise InputError(f"{src}: no such folder ({what}); check the path")
    if not src.is_dir():
        raise InputError(f"{src}: is a file, expected a folder ({what})")
    if not any(src.iterdir()):
        raise InputError(f"{src}: the folder is empty; expected {what}")
    return src


def check_stride(stride: int) -> int:
    if stride < 1:
        raise InputError(f"--stride must be >= 1 (got {stride})")
    return stride


def read_rgb(path: Path) -> np.ndarray:
    """An image file as (H,W,3) uint8; grey and RGBA are converted."""
    _, _, rgb = open_image(path, "file", "image", "re-export or delete this frame", "RGB")
    return rgb


def open_image(path: Path, noun: str, kind: str, fix: str,
               mode: str | None = None) -> tuple[str, str, np.ndarray]:
    """(format, mode, pixels) of an image file (converted to ``mode`` when given); a missing,
    unreadable or truncated file is an InputError naming it and ``fix``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            fmt, img_mode = img.format, img.mode
            return fmt, img_mode, np.asarray(img.convert(mode) if mode else img)
    except FileNotFoundError:
        raise InputError(f"{path}: {noun} not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: unreadable or truncated {kind} ({exc}); {fix}") from None


def read_depth_png(path: Path, scale: float, invalid: Iterable[int] = (0,)) -> np.ndarray:
    """A 16-bit depth PNG in ``1/scale`` metres per unit as float32 metres, NaN where invalid."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            raw = np.asarray(img)
    except FileNotFoundError:
        raise InputError(f"{path}: depth file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: unreadable or truncated depth image ({exc})") from None
    if raw.dtype not in (np.uint16, np.int32) or mode not in ("I;16", "I;16B", "I", "I;16L"):
        raise InputError(
            f"{path}: depth PNG is {mode} ({raw.dtype}), expected 16-bit single channel "
            "(millimetres or the dataset's depth units); export depth as 16-bit PNG"
        )
    depth = raw.astype(np.float32) / scale
    bad = np.isin(raw, list(invalid))
    depth[bad] = np.nan
    return depth


def read_matrix(path: Path, shape: tuple[int, int], what: str) -> np.ndarray:
    """A whitespace-separated text matrix; a larger file (a 4x4 intrinsics) keeps its top-left."""
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        raise InputError(f"{path}: {what} file not found") from None
    if not text.strip():
        raise InputError(f"{path}: the {what} file is empty")
    try:
        values = np.loadtxt(text.splitlines(), dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise InputError(f"{path}: {what} is not a numeric matrix ({exc})") from None
    if values.shape[0] < shape[0] or values.shape[1] < shape[1]:
        raise InputError(f"{path}: {what} must be {shape[0]}x{shape[1]}, got {values.shape}")
    return values[: shape[0], : shape[1]]


def default_intrinsics(height: int, width: int) -> np.ndarray:
    """A pinhole guess for uncalibrated images: focal ~ 1.2 x the longer side (~50 deg FOV)."""
    f = 1.2 * max(height, width)
    return np.array([[f, 0, (width - 1) / 2], [0, f, (height - 1) / 2], [0, 0, 1]], np.float64)


def every(items: list, stride: int, max_frames: int | None = None) -> Iterator:
    picked = items[:: check_stride(stride)]
    return iter(picked if max_frames is None else picked[:max_frames])
