"""Forms generated from the library's typed configs with magicgui: a new config field shows up
in the GUI without Qt code (the napari plugins' norm).

One widget per dataclass field, chosen by its type: ``bool`` a check box, ``Literal`` a combo
box, ``int`` a spin box within the type's limits (``Annotated[int, Ge(1)]``), anything else
(floats, tuples, optional values) a text box holding YAML, so a value is never rounded by a
spin box's decimals. ``changed()`` gives the fields that differ from the values last shown
(``show``), as dotted keys: exactly what ``rewis3d train --set`` and backend options take.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Literal

import yaml
from annotated_types import Ge, Gt, Interval, Le, Lt
from magicgui.widgets import CheckBox, ComboBox, Container, Label, LineEdit, SpinBox, Widget

from rewis3d.errors import InputError

INT_MAX = 2**31 - 1  # Qt spin boxes hold 32-bit ints


class ConfigForm:
    """The fields of the dataclass ``config_type`` (nested sections flattened to
    ``section.field``), except ``skip``."""

    def __init__(self, config_type: type, skip: tuple[str, ...] = (), prefix: str = ""):
        self.widgets: dict[str, Widget] = {}
        self.shown: dict[str, Any] = {}
        self.container = Container(labels=True)
        self._add(config_type, prefix, set(skip))

    @property
    def native(self):
        return self.container.native

    def show(self, config: Any) -> None:
        """Show ``config``'s values; ``changed`` compares with these from now on."""
        for key, widget in self.widgets.items():
            value = _get(config, key)
            self.shown[key] = value
            if isinstance(widget, LineEdit):
                widget.value = _yaml(value)
            else:
                widget.value = value

    def values(self) -> dict[str, Any]:
        out = {}
        for key, widget in self.widgets.items():
            if isinstance(widget, LineEdit):
                try:
                    out[key] = yaml.safe_load(widget.value)
                except yaml.YAMLError:
                    raise InputError(f"{key}: {widget.value!r} is not a value (YAML: a number, "
                                     "a list like [1, 2], null)") from None
            else:
                out[key] = widget.value
        return out

    def changed(self) -> dict[str, Any]:
        return {k: v for k, v in self.values().items() if not _same(v, self.shown.get(k))}

    def _add(self, config_type: type, prefix: str, skip: set[str]) -> None:
        hints = typing.get_type_hints(config_type, include_extras=True)
        for field in dataclasses.fields(config_type):
            key = f"{prefix}{field.name}"
            if key in skip:
                continue
            hint = hints[field.name]
            if dataclasses.is_dataclass(hint):
                self.container.append(Label(value=f"<b>{key}</b>", name=f"_{key}", label=" "))
                self._add(hint, f"{key}.", skip)
                continue
            widget = _widget(key, hint)
            self.widgets[key] = widget
            self.container.append(widget)


def _widget(key: str, hint: Any) -> Widget:
    base, limits = _unwrap(hint)
    label = key.rsplit(".", 1)[-1]
    if base is bool:
        return CheckBox(name=key, label=label)
    if typing.get_origin(base) is Literal:
        return ComboBox(name=key, label=label, choices=list(typing.get_args(base)))
    if base is int:
        return SpinBox(name=key, label=label, min=int(limits.get("min", -INT_MAX)),
                       max=int(limits.get("max", INT_MAX)))
    edit = LineEdit(name=key, label=label)
    edit.tooltip = f"{key} (YAML: {_describe_type(hint)})"
    return edit


def _unwrap(hint: Any) -> tuple[Any, dict]:
    """(the bare type, its min/max) of ``Annotated[T, Ge(..), ...]``."""
    limits: dict = {}
    if typing.get_origin(hint) is typing.Annotated:
        base, *meta = typing.get_args(hint)
        for m in meta:
            if isinstance(m, Ge | Gt):
                limits["min"] = getattr(m, "ge", getattr(m, "gt", None))
            elif isinstance(m, Le | Lt):
                limits["max"] = getattr(m, "le", getattr(m, "lt", None))
            elif isinstance(m, Interval):
                if m.ge is not None:
                    limits["min"] = m.ge
                if m.le is not None:
                    limits["max"] = m.le
        return base, limits
    return hint, limits


def _describe_type(hint: Any) -> str:
    base, limits = _unwrap(hint)
    text = getattr(base, "__name__", None) or str(base).replace("typing.", "")
    if limits:
        text += ", " + ", ".join(f"{k} {v}" for k, v in limits.items())
    return text


def _get(config: Any, key: str) -> Any:
    for part in key.split("."):
        config = getattr(config, part)
    return config


def _yaml(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...").strip()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b
