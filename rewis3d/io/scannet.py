"""A ScanNet export (the SensReader layout): color/N.jpg, depth/N.png (mm), pose/N.txt
(camera-to-world), intrinsic/intrinsic_depth.txt, and optionally label-filt/N.png.

Colour (1296x968) and depth (640x480) differ in size; frames are stored at the depth
resolution with the depth intrinsics, the colour resized to match (ScanNet registers them).

``label-filt/`` (the unzipped ``<scan>_2d-label-filt.zip``) holds 16-bit PNGs of ScanNet label
ids. With ``scannetv2-labels.combined.tsv`` (next to the export, one or two folders up, or given
as ``label_map``) they become NYU40 classes and are stored as the scene's ground truth: the 40
NYU40 names are added to the project's classes (existing names are reused), ScanNet id 0
(unannotated) and NYU40 id 0 are 255 = no label, and the labels are resized to the depth
resolution with nearest-neighbour. Without the tsv the import stops with an error that says
where to put it; ``labels=False`` (CLI ``--no-labels``) imports the frames without labels.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from rewis3d.errors import InputError
from rewis3d.io.common import (
    IMAGE_SUFFIXES,
    FrameRecord,
    check_stride,
    every,
    natural_key,
    read_depth_png,
    read_matrix,
    read_rgb,
    require_folder,
)
from rewis3d.io.label_maps import ID_SPACE, read_label_png
from rewis3d.io.source import FrameSource
from rewis3d.store.classes import IGNORE_INDEX

LABEL_DIR = "label-filt"
LABEL_MAP_NAME = "scannetv2-labels.combined.tsv"
# NYU40 class names in id order (nyu40id 1..40), spelled as in ScanNet's nyu40class column.
NYU40_CLASSES = [
    "wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf",
    "picture", "counter", "blinds", "desk", "shelves", "curtain", "dresser", "pillow", "mirror",
    "floor mat", "clothes", "ceiling", "books", "refridgerator", "television", "paper", "towel",
    "shower curtain", "box", "whiteboard", "person", "night stand", "toilet", "sink", "lamp",
    "bathtub", "bag", "otherstructure", "otherfurniture", "otherprop",
]


def read_scannet(
    src: Path,
    stride: int = 1,
    max_frames: int | None = None,
    label_map: Path | None = None,
    labels: bool = True,
) -> FrameSource:
    check_stride(stride)
    src = require_folder(src, "a ScanNet export with color/, depth/, pose/, intrinsic/")
    for sub in ("color", "depth", "pose", "intrinsic"):
        if not (src / sub).is_dir():
            raise InputError(f"{src}: missing the {sub}/ folder of a ScanNet export")
    colors = {p.stem: p for p in (src / "color").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    depths = {p.stem: p for p in (src / "depth").glob("*.png")}
    poses = {p.stem: p for p in (src / "pose").glob("*.txt")}
    if not colors:
        raise InputError(f"{src / 'color'}: no colour images")
    if set(colors) != set(depths) or set(colors) != set(poses):
        raise InputError(
            f"{src}: colour/depth/pose counts do not match ({len(colors)} colour, {len(depths)} "
            f"depth, {len(poses)} pose files); each frame N needs color/N.jpg, depth/N.png and "
            "pose/N.txt"
        )
    K_file = src / "intrinsic" / "intrinsic_depth.txt"
    K = read_matrix(K_file, (3, 3), "depth intrinsics")
    picked = list(every(sorted(colors, key=natural_key), stride, max_frames))
    label_files, lut, tsv = _find_labels(src, picked, label_map, labels)

    def frames():
        from PIL import Image

        for stem in picked:
            depth = read_depth_png(depths[stem], 1000.0)
            rgb = read_rgb(colors[stem])
            if rgb.shape[:2] != depth.shape:
                size = (depth.shape[1], depth.shape[0])
                rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR))
            pose = read_matrix(poses[stem], (4, 4), "pose")
            sources = {"pose": f"pose/{poses[stem].name}", "depth": f"depth/{depths[stem].name}",
                       "intrinsics": "intrinsic/intrinsic_depth.txt"}
            gt = None
            if lut is not None:
                path = label_files.get(stem)
                gt = (np.full(depth.shape, IGNORE_INDEX, np.uint8) if path is None
                      else _nyu40_labels(path, lut, tsv, depth.shape))
            yield FrameRecord(rgb, K, pose, depth, name=colors[stem].name, sources=sources, gt=gt)

    source = {"reader": "scannet", "path": str(src), "stride": stride, "poses_known": True}
    if lut is None:
        return FrameSource(len(picked), frames(), source)
    source.update(labels=f"{LABEL_DIR}/ as NYU40", label_map=str(tsv),
                  labelled_frames=sum(stem in label_files for stem in picked))
    return FrameSource(len(picked), frames(), source, classes=list(NYU40_CLASSES))


def _find_labels(src: Path, picked: list[str], label_map: Path | None, labels: bool):
    """label-filt files by stem, the ScanNet id -> NYU40 lookup table and the tsv it came from."""
    label_dir = src / LABEL_DIR
    if not labels:
        return {}, None, None
    if not label_dir.is_dir():
        if label_map is not None:
            raise InputError(
                f"{src}: --label-map was given but there is no {LABEL_DIR}/ folder; unzip the "
                f"scan's <scan>_2d-label-filt.zip into {src}"
            )
        return {}, None, None
    files = {p.stem: p for p in label_dir.glob("*.png")}
    if not any(stem in files for stem in picked):
        raise InputError(
            f"{label_dir}: no N.png label file for any imported frame (color/N.jpg); unzip the "
            "scan's <scan>_2d-label-filt.zip here, or pass --no-labels to import without labels"
        )
    tsv = _find_label_map(src, label_map)
    return files, read_nyu40_map(tsv), tsv


def _find_label_map(src: Path, given: Path | None) -> Path:
    if given is not None:
        given = Path(given)
        if not given.is_file():
            raise InputError(f"{given}: label map not found (--label-map); check the path")
        return given
    for folder in (src, src.parent, src.parent.parent):
        if (folder / LABEL_MAP_NAME).is_file():
            return folder / LABEL_MAP_NAME
    raise InputError(
        f"{src / LABEL_DIR}: holds ScanNet label ids, which need {LABEL_MAP_NAME} (from the "
        f"ScanNet release) to become NYU40 classes; put it in {src} or a folder above it, pass "
        "--label-map FILE, or pass --no-labels to import without labels"
    )


def read_nyu40_map(path: Path) -> np.ndarray:
    """ScanNet label id -> NYU40 class index (0..39), 255 = no label, -1 = id not in the tsv."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: unreadable label map ({exc})") from None
    rows = csv.reader(text.splitlines(), delimiter="\t")
    header = next(rows, [])
    missing = [c for c in ("id", "nyu40id") if c not in header]
    if missing:
        raise InputError(
            f"{path}: not a ScanNet label map: no {', '.join(missing)} column in the header "
            f"(expected {LABEL_MAP_NAME} with columns id, raw_category, ..., nyu40id, ...)"
        )
    id_col, nyu_col = header.index("id"), header.index("nyu40id")
    lut = np.full(ID_SPACE, -1, np.int16)
    lut[0] = IGNORE_INDEX  # ScanNet id 0 = unannotated
    for line, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            scannet_id, nyu40 = int(row[id_col]), int(row[nyu_col] or 0)
        except (IndexError, ValueError):
            raise InputError(f"{path}:{line}: id and nyu40id must be integers") from None
        if not (0 <= scannet_id < ID_SPACE and 0 <= nyu40 <= len(NYU40_CLASSES)):
            raise InputError(f"{path}:{line}: id {scannet_id} or nyu40id {nyu40} out of range")
        lut[scannet_id] = nyu40 - 1 if nyu40 else IGNORE_INDEX
    return lut


def _nyu40_labels(path: Path, lut: np.ndarray, tsv: Path, shape: tuple[int, int]) -> np.ndarray:
    raw = read_label_png(path)
    mapped = lut[raw]
    if (mapped < 0).any():
        bad = int(raw[mapped < 0].min())
        raise InputError(
            f"{path}: ScanNet label id {bad} is not in {tsv}; use the {LABEL_MAP_NAME} of the "
            "ScanNet release the labels come from"
        )
    labels = mapped.astype(np.uint8)
    if labels.shape != shape:
        from PIL import Image

        labels = np.asarray(Image.fromarray(labels).resize(shape[::-1], Image.NEAREST))
    return labels
