"""The propagation preview of a stored scene: opened over the stored preview index, fed every
labelled frame, measured and saved.

``run_preview`` writes it as the predictions group ``preview-<reconstruction>`` (labels +
vote-share confidence), so every viewer of predictions can show it; its stats go in the attrs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from rewis3d.derived.preview_index import load_preview_index
from rewis3d.errors import StoreError
from rewis3d.geometry.propagation import PropagationConfig, PropagationPreview
from rewis3d.store import IGNORE_INDEX
from rewis3d.store.annotations import check_label_ids

INDEX_SHARE = 75  # % of open_preview's progress for the first index build (~75 % of its time)


@dataclass
class PreviewStats:
    frames: int
    labelled_pixels: int
    filled_pixels: int
    agreement_with_labels: float  # on the pixels the person labelled (self-consistency)
    agreement_with_gt: float | None  # on filled pixels, when the scene has ground truth


def open_preview(scene, reconstruction, num_classes: int,
                 config: PropagationConfig | None = None,
                 progress: Callable[[int, int], None] | None = None) -> PropagationPreview:
    """Open (building once) the stored index and feed the preview every labelled frame.

    ``progress(done, total)``: the index build counts as ``INDEX_SHARE`` of the work (it
    is most of it the first time), the labelled frames as the rest."""
    config = config or PropagationConfig()

    def index_progress(done: int, total: int) -> None:
        if progress is not None:
            progress(round(INDEX_SHARE * done / total), 100)

    index = load_preview_index(reconstruction, config.voxel_size, scene.image_size,
                          progress=index_progress)
    preview = PropagationPreview(index, reconstruction.frame_ptr, scene.image_size, num_classes,
                                 config)
    labelled = scene.annotations.labelled_frames()
    for i, f in enumerate(labelled):
        labels = scene.annotations.frame(f)
        check_label_ids(labels, num_classes, f"scene {scene.name!r} frame {f}")
        preview.update_frame(f, labels)
        if progress is not None:
            progress(INDEX_SHARE + round((100 - INDEX_SHARE) * (i + 1) / len(labelled)), 100)
    return preview


def pick_reconstruction(scene, name: str | None):
    """The named reconstruction, or the only one, or ``sensor-depth``; else a clear error."""
    names = scene.reconstruction_names()
    if name is None:
        if len(names) == 1:
            name = names[0]
        elif "sensor-depth" in names:
            name = "sensor-depth"
        else:
            raise StoreError(
                f"scene {scene.name!r} has reconstructions {names or 'none'}; choose one with "
                f"--reconstruction NAME" + ("" if names else " after `rewis3d reconstruct`")
            )
    return scene.reconstruction(name)


def run_preview(scene, reconstruction, num_classes: int,
                config: PropagationConfig | None = None, save: bool = True):
    """Propagate every labelled frame; return the preview and its stats (saved if ``save``)."""
    config = config or PropagationConfig()
    preview = open_preview(scene, reconstruction, num_classes, config)
    labelled = filled = agree_labels = agree_gt = 0
    with contextlib.ExitStack() as stack:
        run = f"preview-{reconstruction.name}"
        writer = stack.enter_context(scene.prediction_writer(run)) if save else None
        for f in range(scene.num_frames):
            labels, conf = preview.frame_labels(f)
            drawn = scene.annotations.frame(f)
            mask = drawn != IGNORE_INDEX
            labelled += int(mask.sum())
            agree_labels += int((labels[mask] == drawn[mask]).sum())
            shown = labels != IGNORE_INDEX
            filled += int(shown.sum())
            if scene.has_gt:
                agree_gt += int((labels[shown] == np.asarray(scene.gt[f])[shown]).sum())
            if writer:
                writer.write(f, labels, conf)
        stats = PreviewStats(
            frames=scene.num_frames, labelled_pixels=labelled, filled_pixels=filled,
            agreement_with_labels=agree_labels / labelled if labelled else 0.0,
            agreement_with_gt=(agree_gt / filled if filled else 0.0) if scene.has_gt else None,
        )
        if writer:
            writer.set_attrs(kind="propagation-preview", reconstruction=reconstruction.name,
                             config=asdict(config), metrics=asdict(stats))
    return preview, stats
