"""Every error the library raises on purpose, in one place: each names the path or field at
fault and what to do about it, and the CLI prints any ``Rewis3dError`` as one ``error:`` line.

The hierarchy says who can fix it: ``InputError`` (the user's files or arguments),
``StoreError`` (the project on disk), ``JobError`` (background jobs), ``NonFiniteLossError``
(a training run that diverged).
"""

from __future__ import annotations


class Rewis3dError(Exception):
    """Base class of every error the library raises on purpose."""


class InputError(Rewis3dError):
    """Input from outside (files to import, arguments, options) is unusable."""


class StoreError(Rewis3dError):
    """Something about the project store on disk is wrong."""


class NotAProjectError(StoreError):
    """The folder is not a Rewis3d project."""


class SchemaVersionError(StoreError):
    """The store was written by a newer Rewis3d than this one."""


class StoreValidationError(StoreError):
    """An array or attribute of the store has the wrong shape, dtype or value."""


class DerivedDataCorruptError(StoreError):
    """Stored derived data (sampling index, preview index, display subset) is truncated or
    damaged; it is rebuilt from the reconstruction."""


class CheckpointError(StoreError):
    """A checkpoint is missing, truncated or does not match the run."""


class JobError(Rewis3dError):
    """A background job could not be started, found or controlled."""


class RunBusyError(JobError):
    """Another job is writing the same run right now."""


class UnknownRunError(JobError):
    """The project has no job of that run name."""


class NonFiniteLossError(Rewis3dError, FloatingPointError):
    """A loss term became NaN or Inf (detectron2 raises FloatingPointError the same way)."""


class UnknownNameError(InputError, KeyError):
    """A name (backend, backbone, preset, format, model size) that no registry holds; the
    message lists the names that exist."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0]) if self.args else ""
