"""`make app`: napari with the Rewis3d panels docked and the sample street scene loaded."""

from __future__ import annotations

import argparse


def build_viewer(project: str | None = None, show: bool = True):
    """A napari viewer with the Rewis3d dock and ``project`` (default: the street sample) open."""
    import napari

    from rewis3d_gui.dock import Rewis3dDock
    from rewis3d_gui.sample_data import sample_project

    viewer = napari.Viewer(title="Rewis3d", show=show)
    dock = Rewis3dDock(viewer)
    viewer.window.add_dock_widget(dock, name="Rewis3d", area="right")
    dock.session.open_project(project or sample_project("street"))
    return viewer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", nargs="?", help="project folder (default: the street sample)")
    args = parser.parse_args(argv)
    import napari

    build_viewer(args.project)
    napari.run()


if __name__ == "__main__":
    main()
