"""The one config system: typed dataclasses, unknown keys refused, key=value overrides, and
errors that name the dotted key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

import pytest
from annotated_types import Ge, Interval

from rewis3d.config import merged, overrides, to_dict, typed_config, validate
from rewis3d.errors import InputError


@typed_config
@dataclass
class Inner:
    size: Annotated[int, Ge(1)] = 2
    crop: tuple[int, int] = (8, 8)
    share: Annotated[float, Interval(ge=0, le=1)] = 0.5
    mode: Literal["a", "b"] = "a"

    def __post_init__(self):
        if self.crop[0] > self.crop[1]:
            raise ValueError("crop must be (small, large)")


@typed_config
@dataclass
class Outer:
    inner: Inner = field(default_factory=Inner)
    steps: int | None = None


def test_mappings_become_typed_configs_with_yaml_friendly_coercion():
    config = validate(Outer, {"inner": {"crop": [4, 6], "share": 1}, "steps": 3})
    assert config == Outer(Inner(crop=(4, 6), share=1.0), 3)
    assert isinstance(config.inner.crop, tuple) and isinstance(config.inner.share, float)
    assert to_dict(config) == {"inner": {"size": 2, "crop": [4, 6], "share": 1.0, "mode": "a"},
                               "steps": 3}


@pytest.mark.parametrize("data, message", [
    ({"inner": {"szie": 3}}, "f.yaml: unknown key 'inner.szie'; known keys of inner: crop, mode, share, size"),
    ({"inner": {"size": 0}}, "f.yaml: inner.size must be >= 1, got 0"),
    ({"inner": {"share": 1.5}}, "f.yaml: inner.share must be <= 1, got 1.5"),
    ({"inner": {"mode": "c"}}, "f.yaml: inner.mode: Input should be 'a' or 'b', got 'c'"),
    ({"inner": {"crop": [9, 2]}}, "f.yaml: inner: crop must be (small, large)"),
    ({"steps": "many"}, "f.yaml: steps: Input should be a valid integer"),
    ([1, 2], "f.yaml: expected a mapping, got list"),
])
def test_every_problem_names_the_file_and_the_dotted_key(data, message):
    with pytest.raises(InputError) as error:
        validate(Outer, data, "f.yaml")
    assert str(error.value).startswith(message)


def test_overrides_build_nested_mappings_from_key_value_pairs():
    assert overrides(["inner.crop=[4, 6]", "inner.mode=b", "steps=null", "inner.share=.5"]) == {
        "inner": {"crop": [4, 6], "mode": "b", "share": 0.5}, "steps": None}
    assert merged({"inner": {"size": 2, "mode": "a"}}, {"inner": {"mode": "b"}}) == \
        {"inner": {"size": 2, "mode": "b"}}
    with pytest.raises(InputError, match="use KEY=VALUE"):
        overrides(["inner.size"])
    with pytest.raises(InputError, match="inner is set twice"):
        overrides(["inner=3", "inner.size=2"])
