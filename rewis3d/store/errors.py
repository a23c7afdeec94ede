"""Errors of the project store: each names the path or field at fault and what to do about it."""

from __future__ import annotations


class Rewis3dError(Exception):
    """Base class of every error the library raises on purpose (the CLI prints these plainly)."""


class StoreError(Rewis3dError):
    """Something about the project store on disk is wrong."""


class NotAProjectError(StoreError):
    """The folder is not a Rewis3d project."""


class SchemaVersionError(StoreError):
    """The store was written by a newer Rewis3d than this one."""


class StoreValidationError(StoreError):
    """An array or attribute of the store has the wrong shape, dtype or value."""


class InputError(Rewis3dError):
    """Input from outside (files to import, arguments) is unusable."""
