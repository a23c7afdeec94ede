"""Sparse labels of a scene, and the stroke journal that makes them crash-safe.

Each stroke is appended (and fsync'ed) to ``strokes.jsonl`` before it touches the label array,
and the array's attrs record the last journal entry applied. Chunk writes are atomic (one frame
per chunk), so after a kill the store holds every frame either before or after a stroke, and
``recover()`` (run on open) re-applies the strokes the array had not yet received.

Several processes may write at once (the GUI, `simulate-labels`, a review accept): every write
holds an exclusive file lock on the scene's annotations, takes the next sequence number from the
journal on disk (never from a per-process cache) and reads the frame it changes after taking
the lock, so no stroke overwrites another and no number is used twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import zarr

from rewis3d.errors import InputError, StoreError, StoreValidationError
from rewis3d.store.classes import IGNORE_INDEX
from rewis3d.store.locking import build_lock
from rewis3d.store.schema import ANNOTATION_ARRAYS, StoredArray, open_checked

JOURNAL = "strokes.jsonl"
APPLIED_KEY = "journal_applied"
TAIL_BYTES = 1 << 20  # the journal's last entry is within this many bytes of its end


def encode_runs(flat_indices: np.ndarray) -> list[int]:
    """Sorted flat pixel indices -> [start, length, start, length, ...]."""
    idx = np.unique(np.asarray(flat_indices, dtype=np.int64))
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    starts = idx[np.concatenate([[0], breaks])]
    ends = idx[np.concatenate([breaks - 1, [idx.size - 1]])]
    return np.stack([starts, ends - starts + 1], axis=1).ravel().tolist()


def decode_runs(runs: list[int]) -> np.ndarray:
    pairs = np.asarray(runs, dtype=np.int64).reshape(-1, 2)
    if pairs.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.arange(s, s + n) for s, n in pairs])


class Annotations:
    """Labels (F,H,W) u8 with 255 = unlabelled, plus the stroke journal."""

    def __init__(self, path: Path, num_frames: int, image_size: tuple[int, int], num_classes):
        self.path = path
        self.num_frames = num_frames
        self.image_size = image_size
        self._num_classes = num_classes  # callable: the class list can grow while open
        sizes = {"F": num_frames, "H": image_size[0], "W": image_size[1]}
        self.labels: StoredArray = open_checked(path, "labels", ANNOTATION_ARRAYS["labels"], sizes)
        self._lock = threading.Lock()

    @staticmethod
    def create(path: Path, num_frames: int, image_size: tuple[int, int]) -> None:
        group = zarr.open_group(str(path), mode="w")
        group.create_array(
            "labels", shape=(num_frames, *image_size), dtype="uint8",
            chunks=(1, *image_size), fill_value=IGNORE_INDEX,
        )
        group["labels"].attrs[APPLIED_KEY] = 0

    # -- reading ---------------------------------------------------------------------------
    def frame(self, index: int) -> np.ndarray:
        self._check_frame(index)
        return np.asarray(self.labels[index])

    def labelled_counts(self) -> dict[int, int]:
        """Frame -> number of labelled pixels, for frames with any label."""
        counts = {}
        for f in self._written_frames():
            n = int(np.count_nonzero(self.labels[f] != IGNORE_INDEX))
            if n:
                counts[f] = n
        return counts

    def labelled_frames(self) -> list[int]:
        return sorted(self.labelled_counts())

    def _written_frames(self) -> list[int]:
        """Frames whose chunk exists on disk (others are all fill value = unlabelled)."""
        chunk_dir = self.path / "labels" / "c"
        if not chunk_dir.is_dir():
            return []
        return sorted(int(p.name) for p in chunk_dir.iterdir() if p.name.isdigit())

    # -- writing ---------------------------------------------------------------------------
    def add_stroke(
        self, frame: int, class_id: int, pixels: np.ndarray, tool: str = "brush"
    ) -> int:
        """Label ``pixels`` ((K,2) v,u or a (H,W) bool mask) of ``frame`` with ``class_id``.

        ``class_id`` 255 erases. Returns the journal sequence number of the stroke.
        """
        self._check_frame(frame)
        self._check_class(class_id)
        flat = self._flat_indices(pixels)
        with self._exclusive():
            seq = self._last_seq() + 1
            entry = {"seq": seq, "frame": frame, "class": int(class_id), "tool": tool,
                     "runs": encode_runs(flat)}
            self._append_journal(entry)  # from here on the stroke is kept, whatever happens
            try:
                self._apply(entry)
                self.labels.attrs[APPLIED_KEY] = seq
            except OSError as exc:  # a full disk, a lost mount: the label write failed
                raise StoreError(
                    f"stroke {seq} on frame {frame} is saved in the journal ({self.path / JOURNAL}) "
                    f"but the labels could not be written ({exc.strerror or exc}); it is applied "
                    "when the project is opened again, once the disk has room") from exc
        return seq

    def set_frame(self, frame: int, labels: np.ndarray, source: str = "bulk") -> None:
        """Replace one frame's labels at once (simulators, accepted predictions)."""
        self._check_frame(frame)
        labels = np.asarray(labels)
        if labels.shape != self.image_size:
            raise StoreValidationError(
                f"labels for frame {frame} are {labels.shape}, expected {self.image_size} (H, W)"
            )
        present = np.unique(labels)
        for c in present:
            self._check_class(int(c))
        with self._exclusive():
            self.labels[frame] = labels.astype(np.uint8)
            seq = self._last_seq() + 1
            self._append_journal({"seq": seq, "frame": frame, "op": "replace", "source": source})
            self.labels.attrs[APPLIED_KEY] = seq

    def clear(self) -> None:
        """Remove every label (and the journal: there is nothing left to recover)."""
        with self._exclusive():
            for f in self._written_frames():
                self.labels[f] = IGNORE_INDEX
            (self.path / JOURNAL).unlink(missing_ok=True)
            self.labels.attrs[APPLIED_KEY] = 0

    def recover(self) -> int:
        """Re-apply journal strokes newer than the array; returns how many were replayed."""
        applied = int(self.labels.attrs.get(APPLIED_KEY, 0))
        if not any(e["seq"] > applied for e in self.journal()):
            return 0  # the usual case: opening writes nothing (not even the lock file)
        with self._exclusive():
            applied = self._applied_on_disk()  # another process may have applied them by now
            pending = [e for e in self.journal() if e["seq"] > applied and "runs" in e]
            for entry in pending:
                self._apply(entry)
            last = self._last_seq()
            if last > applied:
                self.labels.attrs[APPLIED_KEY] = last
        return len(pending)

    def journal(self) -> list[dict]:
        """Every complete journal entry; a torn last line (a crash mid-append) is skipped."""
        path = self.path / JOURNAL
        if not path.is_file():
            return []
        entries = []
        lines = path.read_bytes().split(b"\n")
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                if i < len(lines) - 1 and any(x.strip() for x in lines[i + 1 :]):
                    warnings.warn(f"{path}: skipped a corrupt journal line {i + 1}", stacklevel=2)
        return entries

    # -- internals -------------------------------------------------------------------------
    def _apply(self, entry: dict) -> None:
        frame = self.labels[entry["frame"]]
        flat = frame.reshape(-1)
        flat[decode_runs(entry["runs"])] = entry["class"]
        self.labels[entry["frame"]] = frame

    def _append_journal(self, entry: dict) -> None:
        path = self.path / JOURNAL
        with open(path, "ab") as fh:
            # A torn previous line must not swallow this one.
            if fh.tell() and not _ends_with_newline(path):
                fh.write(b"\n")
            fh.write(json.dumps(entry, separators=(",", ":")).encode() + b"\n")
            fh.flush()
            os.fsync(fh.fileno())

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """This process's threads, then every process (a file lock the kernel drops if the
        holder dies): one writer at a time."""
        with self._lock, build_lock(self.path / JOURNAL):
            yield

    def _last_seq(self) -> int:
        """The last sequence number on disk (call under ``_exclusive``): the journal's last
        entry, read from its tail, or the array's record when the journal was cleared."""
        path, last = self.path / JOURNAL, 0
        if path.is_file():
            with open(path, "rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - TAIL_BYTES))
                for line in reversed(fh.read().split(b"\n")):
                    try:
                        last = int(json.loads(line)["seq"])
                        break
                    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                        continue  # empty, torn or partial first line of the tail
        return max(last, self._applied_on_disk())

    def _applied_on_disk(self) -> int:
        """The array's record of the last applied entry as stored now (this process's copy of
        the attrs is stale once another process wrote)."""
        try:
            meta = json.loads((self.path / "labels" / "zarr.json").read_text())
            return int(meta.get("attributes", {}).get(APPLIED_KEY, 0))
        except (OSError, ValueError):
            return int(self.labels.attrs.get(APPLIED_KEY, 0))

    def _flat_indices(self, pixels: np.ndarray) -> np.ndarray:
        h, w = self.image_size
        pixels = np.asarray(pixels)
        if pixels.dtype == bool:
            if pixels.shape != (h, w):
                raise StoreValidationError(f"stroke mask is {pixels.shape}, expected {(h, w)}")
            return np.flatnonzero(pixels)
        if pixels.ndim != 2 or pixels.shape[1] != 2:
            raise StoreValidationError("stroke pixels must be (K, 2) (v, u) or an (H, W) mask")
        v, u = pixels[:, 0].astype(np.int64), pixels[:, 1].astype(np.int64)
        keep = (v >= 0) & (v < h) & (u >= 0) & (u < w)
        return v[keep] * w + u[keep]

    def _check_frame(self, frame: int) -> None:
        if not 0 <= frame < self.num_frames:
            raise StoreValidationError(
                f"frame {frame} is out of range: the scene has frames 0..{self.num_frames - 1}"
            )

    def _check_class(self, class_id: int) -> None:
        n = self._num_classes()
        if class_id != IGNORE_INDEX and not 0 <= class_id < n:
            raise StoreValidationError(
                f"class id {class_id} is outside the class list (0..{n - 1}, 255 = unlabelled); "
                "add the class first (`rewis3d classes PROJECT add NAME`)"
            )


def check_label_ids(labels: np.ndarray, num_classes: int, where: str) -> None:
    """Stored labels written by another tool (or before classes were removed) can hold ids
    beyond the class list: say which, where, and what to do, before any vote or loss uses them."""
    labels = np.asarray(labels)
    bad = np.unique(labels[(labels != IGNORE_INDEX) & (labels >= num_classes)])
    if bad.size:
        raise InputError(f"{where}: label ids {bad.tolist()} are beyond the project's "
                         f"{num_classes} classes (0..{num_classes - 1}); add the classes "
                         "(`rewis3d classes add`) or fix the labels")


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"
