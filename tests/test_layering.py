"""The library never imports the GUI: checked statically (import-linter) and at run time."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GUI_MODULES = ("qtpy", "PyQt6", "PyQt5", "PySide6", "napari", "magicgui", "superqt", "vispy",
               "rewis3d_gui")


def test_import_linter_contract_is_kept():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))], cwd=REPO,
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_importing_every_library_module_loads_no_gui():
    code = f"""
import importlib, pkgutil, sys
import rewis3d
for info in pkgutil.walk_packages(rewis3d.__path__, "rewis3d."):
    if not info.name.endswith("__main__"):  # running it would start the CLI
        importlib.import_module(info.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {GUI_MODULES!r})
print("GUI:" + ",".join(bad))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("GUI:"), result.stdout
