"""Semantic classes of a project: ids 0..C-1, a name and an RGB colour each; 255 = unlabelled."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rewis3d.errors import StoreValidationError

IGNORE_INDEX = 255
MAX_CLASSES = 255

# A palette with well separated hues and no greys (a grey label vanishes on concrete, asphalt
# and facades); classes beyond it get generated colours. Cityscapes-like where that holds.
_PALETTE = [
    (128, 64, 128), (244, 35, 232), (255, 104, 0), (0, 0, 142), (107, 142, 35),
    (0, 170, 150), (70, 130, 180), (220, 20, 60), (250, 170, 30), (152, 251, 152),
    (102, 102, 156), (0, 150, 255), (220, 220, 0), (255, 0, 0), (0, 60, 100),
    (119, 11, 32),
]


@dataclass(frozen=True)
class ClassInfo:
    """One semantic class."""

    id: int
    name: str
    color: tuple[int, int, int]

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "color": list(self.color)}


def default_color(index: int) -> tuple[int, int, int]:
    """A distinct colour for the index-th class."""
    if index < len(_PALETTE):
        return _PALETTE[index]
    # Golden-ratio hue walk keeps generated colours apart.
    import colorsys

    h = (index * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, 0.65, 0.95)
    return (int(r * 255), int(g * 255), int(b * 255))


def parse_color(value: str | tuple | list) -> tuple[int, int, int]:
    """Accept '#rrggbb', 'r,g,b' or a 3-sequence of 0..255 ints."""
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"#?[0-9a-fA-F]{6}", text):
            text = text.lstrip("#")
            return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
        parts = [p for p in re.split(r"[,\s]+", text) if p]
        value = parts
    try:
        rgb = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        rgb = ()
    if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
        raise StoreValidationError(
            f"colour {value!r} is not valid: give '#rrggbb' or 'r,g,b' with values 0..255"
        )
    return rgb  # type: ignore[return-value]


def classes_from_json(raw: object, where: str) -> list[ClassInfo]:
    """Parse and validate the class list stored in the root attributes."""
    if not isinstance(raw, list):
        raise StoreValidationError(f"{where}: 'classes' must be a list of {{id, name, color}}")
    classes = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not {"id", "name", "color"} <= set(item):
            raise StoreValidationError(
                f"{where}: classes[{i}] must have 'id', 'name' and 'color' (got {item!r})"
            )
        try:
            color = parse_color(item["color"])
        except StoreValidationError as exc:
            raise StoreValidationError(f"{where}: classes[{i}]: {exc}") from None
        classes.append(ClassInfo(int(item["id"]), str(item["name"]), color))
    validate_classes(classes, where)
    return classes


MAX_NAME_LENGTH = 64


def validate_classes(classes: list[ClassInfo], where: str = "classes",
                     new_names: set[str] | None = None) -> None:
    """Ids must be exactly 0..C-1 in order, names unique and non-empty. Names in ``new_names``
    (being written now, not read from an older store): one line of at most 64 printable
    characters, unique ignoring case (a legend, a file name or a YAML key cannot tell "road"
    from "Road")."""
    if len(classes) > MAX_CLASSES:
        raise StoreValidationError(f"{where}: at most {MAX_CLASSES} classes (255 = unlabelled)")
    names = set()
    for i, c in enumerate(classes):
        if c.id != i:
            raise StoreValidationError(
                f"{where}: class ids must be 0..{len(classes) - 1} in order; "
                f"entry {i} has id {c.id}"
            )
        if not c.name.strip():
            raise StoreValidationError(f"{where}: class {c.id} has an empty name")
        if c.name in names:
            raise StoreValidationError(f"{where}: class name {_short(c.name)!r} is used twice")
        names.add(c.name)
        if new_names and c.name in new_names:
            _check_new_name(c, [o for o in classes if o.id != c.id], where)


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:40] + "..."


def _check_new_name(c: ClassInfo, before: list[ClassInfo], where: str) -> None:
    shown = _short(c.name)
    if len(c.name) > MAX_NAME_LENGTH:
        raise StoreValidationError(f"{where}: class name {shown!r} is {len(c.name)} characters "
                                   f"long; use at most {MAX_NAME_LENGTH}")
    if not c.name.isprintable() or c.name != c.name.strip():
        raise StoreValidationError(f"{where}: class name {shown!r} holds a line break, a tab or "
                                   "leading/trailing spaces; use one line of plain text")
    same = [o.name for o in before if o.name.casefold() == c.name.casefold()]
    if same:
        raise StoreValidationError(f"{where}: class name {c.name!r} differs from {same[0]!r} "
                                   "only by case; pick a name that differs in letters")


def classes_to_json(classes: list[ClassInfo]) -> list[dict]:
    return [c.to_json() for c in classes]


__all__ = [
    "IGNORE_INDEX",
    "ClassInfo",
    "classes_from_json",
    "classes_to_json",
    "default_color",
    "parse_color",
    "validate_classes",
]
