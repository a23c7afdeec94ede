"""GUI fixtures: one small synthetic street project rendered per session, copied per test."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("napari")


@pytest.fixture(autouse=True)
def private_qt_settings(tmp_path_factory):
    """The plugin's QSettings (e.g. the preview toggle) go to a folder of this test run, never
    to the user's ~/.config, and start empty for every test."""
    from qtpy.QtCore import QSettings

    folder = tmp_path_factory.mktemp("qsettings")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(scope="session")
def _street_template(tmp_path_factory):
    from rewis3d.synthetic import SceneConfig, sample_into_project

    path = tmp_path_factory.mktemp("template") / "street"
    sample_into_project(path, SceneConfig(kind="street", frames=4, width=64, height=48, seed=0))
    return path


@pytest.fixture
def street_project(_street_template, tmp_path):
    """A fresh copy of a 4-frame 64x48 street project with gt and a `simulated` reconstruction."""
    path = tmp_path / "street"
    shutil.copytree(_street_template, path)
    return path


@pytest.fixture
def dock(make_napari_viewer):
    """The plugin dock on a fresh viewer (panels share one session)."""
    from rewis3d_gui.dock import Rewis3dDock

    viewer = make_napari_viewer()
    widget = Rewis3dDock(viewer)
    viewer.window.add_dock_widget(widget, name="Rewis3d")
    return widget
