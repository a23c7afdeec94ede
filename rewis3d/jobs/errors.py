"""Errors of background jobs; each says what to do next (the CLI prints them as one line)."""

from __future__ import annotations

from rewis3d.store.errors import Rewis3dError


class JobError(Rewis3dError):
    """A background job could not be started, found or controlled."""


class RunBusyError(JobError):
    """Another job is writing the same run right now."""


class UnknownRunError(JobError):
    """The project has no job of that run name."""
