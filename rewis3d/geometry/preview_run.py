"""Compute the propagation preview of a whole scene, measure it, and save it.

The preview is written as the predictions group ``preview-<reconstruction>`` (labels +
vote-share confidence), so every viewer of predictions can show it; its stats go in the attrs.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass

import numpy as np

from rewis3d.errors import StoreError
from rewis3d.geometry.propagation import PropagationConfig, PropagationPreview
from rewis3d.store import IGNORE_INDEX


@dataclass
class PreviewStats:
    frames: int
    labelled_pixels: int
    filled_pixels: int
    agreement_with_labels: float  # on the pixels the person labelled (self-consistency)
    agreement_with_gt: float | None  # on filled pixels, when the scene has ground truth


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
    preview = PropagationPreview.from_scene(scene, reconstruction, num_classes, config)
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
