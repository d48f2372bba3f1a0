"""The public face: ``summarize.__all__`` is exactly what the package exports (httpx's pattern)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types

import summarize

LAZY = {"brief", "briefs", "stories", "load"}  # resolved on first use from summarize.pipeline


def test_all_is_exactly_the_exported_members():
    exported = {name for name, value in vars(summarize).items()
                if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert sorted(summarize.__all__) == summarize.__all__
    assert set(summarize.__all__) == exported | LAZY | {"__version__"}


def test_every_exported_name_resolves_even_after_every_room_is_imported():
    # A subpackage named like a public function (``summarize/brief/``) would replace the
    # function on the package once imported; import them all, then check.
    for module in pkgutil.walk_packages(summarize.__path__, "summarize."):
        importlib.import_module(module.name)
    for name in summarize.__all__:
        value = getattr(summarize, name)
        assert not isinstance(value, types.ModuleType), name
    for name in LAZY:
        assert inspect.isfunction(getattr(summarize, name)), name
    from summarize import brief, briefs, load, stories

    assert all(inspect.isfunction(f) for f in (brief, briefs, load, stories))


def test_unknown_attribute_is_an_attribute_error():
    try:
        summarize.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
