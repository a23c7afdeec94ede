"""The one config system: typed dataclasses validated by pydantic, unknown keys refused,
``key=value`` overrides from the command line, errors that name the dotted key.

A config is a plain dataclass (``dataclasses.fields``/``replace``/``asdict`` work; nothing
is imported at class definition) marked ``@typed_config``; field types carry their limits
(``Annotated[int, Ge(1)]``). ``validate(Type, data)`` builds one from a mapping (YAML, options,
overrides) with pydantic in lax mode (a YAML ``1`` is a valid float); ``overrides(["a.b=1"])``
turns command-line pairs into that mapping. Training configs (``train.config``) and backend
options (``reconstruct.base``) both go through here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

from rewis3d.errors import InputError

T = TypeVar("T")


def typed_config(cls: type[T]) -> type[T]:
    """Mark a dataclass as a config: unknown keys are refused when it is validated."""
    cls.__pydantic_config__ = {"extra": "forbid"}  # read by pydantic; a plain ConfigDict
    return cls


def validate(config_type: type[T], data: Any, where: str = "config") -> T:
    """``config_type`` built from the mapping ``data``; an ``InputError`` naming ``where`` and
    the dotted key of the first problem (unknown key, wrong type, value out of range)."""
    from pydantic import TypeAdapter, ValidationError

    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping, got {type(data).__name__}")
    try:
        return TypeAdapter(config_type).validate_python(data)
    except ValidationError as exc:
        raise InputError(_describe(exc.errors()[0], config_type, where)) from None


def to_dict(config: Any) -> dict:
    """Plain data (dicts, lists, scalars) of a config: what YAML and JSON store."""
    return _plain(dataclasses.asdict(config))


def merged(base: dict, data: dict) -> dict:
    """``base`` with ``data`` laid over it, section by section (a deep merge)."""
    out = dict(base)
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def overrides(pairs: Iterable[str], option: str = "--set") -> dict:
    """``["optim.steps=50", "data.crop=[64, 96]"]`` -> ``{"optim": {"steps": 50}, ...}``;
    values are read as YAML (numbers, true/false, null, lists)."""
    import yaml

    out: dict = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InputError(f"{option} {pair!r}: use KEY=VALUE (e.g. optim.steps=50)")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{option} {pair!r}: the value is not valid YAML ({exc})") from None
        *sections, last = key.split(".")
        node = out
        for section in sections:
            node = node.setdefault(section, {})
            if not isinstance(node, dict):
                raise InputError(f"{option} {pair!r}: {section} is set twice, as a value and "
                                 "as a section")
        node[last] = value
    return out


def _describe(error: dict, config_type: type, where: str) -> str:
    loc = [str(part) for part in error["loc"]]
    dotted = ".".join(loc)
    kind, value = error["type"], error.get("input")
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        section = ".".join(loc[:-1])
        known = _known_keys(config_type, loc[:-1])
        return (f"{where}: unknown key {dotted!r}; known keys"
                f"{' of ' + section if section else ''}: {', '.join(known)}")
    ctx = error.get("ctx") or {}
    bounds = {"greater_than_equal": f">= {ctx.get('ge', 0):g}",
              "greater_than": f"> {ctx.get('gt', 0):g}",
              "less_than_equal": f"<= {ctx.get('le', 0):g}", "less_than": f"< {ctx.get('lt', 0):g}"}
    if kind in bounds:
        return f"{where}: {dotted} must be {bounds[kind]}, got {value!r}"
    if kind == "value_error":  # raised by the config's own checks (__post_init__)
        message = str(ctx.get("error") or error["msg"])
        return f"{where}: {dotted + ': ' if dotted else ''}{message}"
    return f"{where}: {dotted}: {error['msg']}, got {value!r}"


def _known_keys(config_type: type, path: list[str]) -> list[str]:
    import typing

    current: Any = config_type
    for name in path:
        hints = typing.get_type_hints(current) if dataclasses.is_dataclass(current) else {}
        current = hints.get(name)
        if current is None:
            return []
    return sorted(f.name for f in dataclasses.fields(current)) \
        if dataclasses.is_dataclass(current) else []


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
