"""One registry class for everything chosen by name: reconstruction backends, 3D backbones,
2D model sizes, training and PTv3 presets, import formats (detectron2's ``Registry`` shape).

A ``Registry`` is a read-only mapping name -> object. Built-ins are added with ``register``
(a decorator, or a call with the object); a registry with an entry-point group also lists the
objects installed packages register there, imported only when first used, so listing names
stays cheap and a broken plugin cannot break ``import rewis3d``. An unknown name is an
``UnknownNameError`` that lists every available name and says how to add one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

from rewis3d.errors import UnknownNameError

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    def __init__(self, what: str, entry_point_group: str | None = None, hint: str = "",
                 hints: dict[str, str] | None = None):
        """``what`` names the kind in errors ("3D backbone"); ``hint`` says how to add one;
        ``hints`` says how to get a known name that is not installed."""
        self.what = what
        self.entry_point_group = entry_point_group
        self.hint = hint
        self.hints = hints or {}
        self._built_in: dict[str, T] = {}

    def register(self, name: str, obj: T | None = None):
        """``registry.register(name, obj)``, or ``@registry.register(name)`` on a definition."""
        def add(item: T) -> T:
            if name in self._built_in and self._built_in[name] is not item:
                raise ValueError(f"{self.what} {name!r} is already registered")
            self._built_in[name] = item
            return item

        return add if obj is None else add(obj)

    def built_in(self) -> list[str]:
        return list(self._built_in)

    def plugins(self) -> dict[str, EntryPoint]:
        """Installed plugins by name (not imported), built-in names excluded."""
        if self.entry_point_group is None:
            return {}
        return {ep.name: ep for ep in entry_points(group=self.entry_point_group)
                if ep.name not in self._built_in}

    def names(self) -> list[str]:
        """Built-ins in registration order, then plugins, sorted."""
        return [*self._built_in, *sorted(self.plugins())]

    def __getitem__(self, name: str) -> T:
        if name in self._built_in:
            return self._built_in[name]
        plugin = self.plugins().get(name)
        if plugin is None:
            raise UnknownNameError(self._unknown(name))
        return plugin.load()

    def __contains__(self, name: object) -> bool:
        return name in self._built_in or name in self.plugins()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def _unknown(self, name: str) -> str:
        have = ", ".join(self.names()) or "none"
        how = self.hints.get(name) or self.hint
        if not how and self.entry_point_group:
            how = (f"Install a package that registers it in the entry-point group "
                   f"{self.entry_point_group!r}")
        return f"unknown {self.what} {name!r}; available: {have}" + (f". {how}" if how else "")

