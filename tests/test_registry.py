"""The one Registry: built-ins, lazily loaded entry-point plugins, errors that list names."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from rewis3d import registry
from rewis3d.errors import InputError, UnknownNameError
from rewis3d.registry import Registry


def test_built_ins_keep_their_order_and_behave_as_a_mapping():
    colours = Registry("colour")
    colours.register("red", 1)

    @colours.register("green")
    def green():
        return 2

    assert colours.names() == ["red", "green"] and list(colours) == ["red", "green"]
    assert colours["red"] == 1 and colours["green"]() == 2 and "red" in colours
    assert len(colours) == 2 and dict(colours) == {"red": 1, "green": green}
    with pytest.raises(ValueError, match="already registered"):
        colours.register("red", 3)
    colours.register("red", 1)  # the same object again is fine (a module imported twice)


def test_an_unknown_name_lists_what_exists_and_how_to_add_one():
    sizes = Registry("model size", hint="Add one to SIZES.", hints={"huge": "pip install x"})
    sizes.register("small", 1)
    with pytest.raises(UnknownNameError) as error:
        sizes["medium"]
    assert str(error.value) == "unknown model size 'medium'; available: small. Add one to SIZES."
    assert isinstance(error.value, InputError) and isinstance(error.value, KeyError)
    with pytest.raises(KeyError, match="pip install x"):
        sizes["huge"]


def test_plugins_are_listed_without_import_and_loaded_on_use(monkeypatch):
    group = "rewis3d.test-things"
    plugins = [EntryPoint("dumps", "json:dumps", group),
               EntryPoint("broken", "no_such_module_xyz:thing", group),
               EntryPoint("one", "json:loads", group)]  # shadowed by the built-in
    monkeypatch.setattr(registry, "entry_points", lambda group: plugins)
    things = Registry("thing", group)
    things.register("one", 1)
    assert things.names() == ["one", "broken", "dumps"]  # nothing imported to list them
    assert things["dumps"]([1]) == "[1]" and things["one"] == 1
    with pytest.raises(ModuleNotFoundError):
        things["broken"]  # a broken plugin fails only when it is used
    with pytest.raises(UnknownNameError, match=f"entry-point group '{group}'"):
        things["missing"]
