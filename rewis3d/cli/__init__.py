"""The `rewis3d` command. Each module of this package contributes commands via ``COMMANDS``.

Modules are discovered, so a new command family is one new file. Library errors
(:class:`~rewis3d.errors.Rewis3dError`) print as one clear line and exit with status 2.
"""

from __future__ import annotations

import errno
import importlib
import pkgutil
import sys

import click

from rewis3d.errors import Rewis3dError

# The machine, not the input: said in one line too, since every store write is staged and a
# failed one leaves the project as it was.
DISK_ERRORS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
               errno.EROFS: "the file system is read-only",
               errno.EACCES: "permission denied", errno.EPERM: "permission denied"}


class _Rewis3dGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Rewis3dError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)
        except OSError as exc:
            if exc.errno not in DISK_ERRORS:
                raise
            where = f" writing {exc.filename}" if exc.filename else ""
            click.secho(f"error: {DISK_ERRORS[exc.errno]}{where}; the project keeps its last "
                        "complete state (writes are staged); free space or fix the permissions, "
                        "then run the command again", fg="red", err=True)
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
