"""The `rewis3d` command. Each module of this package contributes commands via ``COMMANDS``.

Modules are discovered, so a new command family is one new file. Library errors
(:class:`~rewis3d.store.errors.Rewis3dError`) print as one clear line and exit with status 2.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from rewis3d.store.errors import Rewis3dError


class _Rewis3dGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Rewis3dError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_Rewis3dGroup)
@click.version_option(package_name="rewis3d")
def main() -> None:
    """Rewis3d: dense 2D segmentation from sparse labels, through 3D reconstruction."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):  # __main__ runs the CLI; it contributes no commands
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register_commands()
