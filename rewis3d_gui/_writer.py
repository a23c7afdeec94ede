"""npe2 writer: a Labels layer goes back into a Rewis3d project's annotations.

Save a labels layer to a project folder (File > Save Selected Layers...). The scene is the
layer's own (from its metadata) or, for a plain layer, the project's only scene of that shape.
Only frames whose labels differ are written, each as one journalled replacement.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rewis3d.errors import StoreError
from rewis3d.store import Project


def write_labels(path: str, data: np.ndarray, meta: dict) -> list[str]:
    from rewis3d_gui.layers import labels_from_layer

    project = Project.open(path)
    scene = project.scene(_scene_name(project, np.shape(data), meta.get("metadata") or {}))
    annotations = scene.annotations
    store_labels = labels_from_layer(np.asarray(data))
    for frame in range(scene.num_frames):
        if not np.array_equal(annotations.frame(frame), store_labels[frame]):
            annotations.set_frame(frame, store_labels[frame], source="napari-writer")
    return [str(Path(path))]


def _scene_name(project: Project, shape: tuple, metadata: dict) -> str:
    if metadata.get("scene") in project.scene_names():
        return metadata["scene"]
    fits = [name for name in project.scene_names() if
            (project.scene(name).num_frames, *project.scene(name).image_size) == tuple(shape)]
    if len(fits) != 1:
        raise StoreError(
            f"cannot tell which scene of {project.path} a {shape} labels layer belongs to "
            f"(scenes of that shape: {fits or 'none'}); open the project with the Rewis3d "
            "reader so its layers know their scene"
        )
    return fits[0]
