"""The library never imports the GUI and keeps its layers (import-linter, docs/architecture.md),
has no import cycles, and loads no GUI module at run time."""

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
    assert "2 kept, 0 broken" in result.stdout


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


def test_no_module_of_the_library_imports_itself_back():
    """No import cycle between any two modules (function-level imports included; imports for
    type checking only are not run, so they do not count)."""
    import grimp

    graph = grimp.build_graph("rewis3d", exclude_type_checking_imports=True)  # not run
    cycles = sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )
    assert cycles == []


def test_no_submodule_imports_names_from_its_own_package():
    """``from rewis3d.pkg import x`` inside ``rewis3d/pkg/`` runs the package's ``__init__``
    from within itself (an init cycle); submodules import siblings by their full name."""
    import ast

    offenders = []
    for path in sorted((REPO / "rewis3d").rglob("*.py")):
        package = ".".join(path.relative_to(REPO).parent.parts)
        if path.name in ("__init__.py", "__main__.py") or package == "rewis3d":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == package:
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
