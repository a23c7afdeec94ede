"""npe2 reader: a project folder (or its rewis3d.zarr) opens as image + labels layers per scene."""

from __future__ import annotations

from pathlib import Path

from rewis3d.errors import Rewis3dError
from rewis3d.store import Project


def get_reader(path):
    if isinstance(path, list):
        if len(path) != 1:
            return None
        path = path[0]
    path = Path(path)
    try:
        Project.open(path)
    except Rewis3dError:
        return None
    return read_project


def read_project(path) -> list[tuple]:
    path = Path(path[0] if isinstance(path, list) else path)
    project = Project.open(path)
    layers = []
    for name in project.scene_names():
        layers.extend(scene_layer_data(project, name))
    return layers


def scene_layer_data(project: Project, name: str) -> list[tuple]:
    """The frames (lazy zarr) and the annotations of one scene as napari layer-data tuples."""
    from napari.utils.colormaps import DirectLabelColormap

    from rewis3d_gui.layers import class_color_dict, labels_to_layer

    scene = project.scene(name)
    colormap = DirectLabelColormap(color_dict=class_color_dict(project.classes))
    meta = {"project": str(project.path), "scene": name}
    labels = labels_to_layer(scene.annotations.labels[:])
    return [
        (scene.rgb, {"name": f"{name} rgb", "rgb": True, "metadata": meta}, "image"),
        (labels, {"name": f"{name} labels", "colormap": colormap, "metadata": dict(meta)},
         "labels"),
    ]
