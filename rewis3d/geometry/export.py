"""Exports of geometry results: a binary PLY point cloud and label PNGs of the preview.

The PLY is written by hand (binary little-endian, one packed record per point) so that any
viewer (MeshLab, CloudCompare, open3d) reads colour, label and confidence without extra
dependencies; ``label`` 255 means unlabelled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_PLY_FIELDS = [
    ("x", "<f4", "float"), ("y", "<f4", "float"), ("z", "<f4", "float"),
    ("red", "u1", "uchar"), ("green", "u1", "uchar"), ("blue", "u1", "uchar"),
    ("label", "u1", "uchar"), ("confidence", "<f4", "float"),
]


def write_ply(
    path: str | Path,
    points: np.ndarray,
    colors: np.ndarray,
    labels: np.ndarray | None = None,
    conf: np.ndarray | None = None,
) -> Path:
    """Write points (N,3) with colours (N,3) u8, labels (N,) u8 and confidence (N,) f32."""
    n = len(points)
    record = np.empty(n, dtype=[(name, dtype) for name, dtype, _ in _PLY_FIELDS])
    for i, axis in enumerate("xyz"):
        record[axis] = points[:, i]
    for i, channel in enumerate(("red", "green", "blue")):
        record[channel] = colors[:, i]
    record["label"] = 255 if labels is None else labels
    record["confidence"] = 1.0 if conf is None else conf
    header = ["ply", "format binary_little_endian 1.0", f"element vertex {n}"]
    header += [f"property {ply_type} {name}" for name, _, ply_type in _PLY_FIELDS]
    header.append("end_header")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(("\n".join(header) + "\n").encode("ascii"))
        fh.write(record.tobytes())
    return path


def read_ply(path: str | Path) -> dict[str, np.ndarray]:
    """Read back a PLY written by :func:`write_ply` (for tests and round trips)."""
    raw = Path(path).read_bytes()
    end = raw.index(b"end_header\n") + len(b"end_header\n")
    n = int(next(line for line in raw[:end].decode().splitlines()
                 if line.startswith("element vertex")).split()[-1])
    record = np.frombuffer(raw[end:], dtype=[(name, dtype) for name, dtype, _ in _PLY_FIELDS],
                           count=n)
    return {
        "points": np.stack([record[a] for a in "xyz"], axis=1),
        "colors": np.stack([record[c] for c in ("red", "green", "blue")], axis=1),
        "labels": record["label"].copy(),
        "conf": record["confidence"].copy(),
    }


def write_label_pngs(preview, out_dir: str | Path, frame_names: list[str] | None = None):
    """One single-channel PNG of class ids (255 = none) per frame of a PropagationPreview."""
    from PIL import Image

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for f in range(preview.num_frames):
        labels, _ = preview.frame_labels(f)
        stem = Path(frame_names[f]).stem if frame_names else f"frame-{f:06d}"
        path = out_dir / f"{stem}.labels.png"
        Image.fromarray(labels).save(path)
        written.append(path)
    return written
