"""One registry of named parts: writers, packaged models and benchmark baselines.

The built-in parts register exactly the way an outside plugin does (the pattern of
simonw/llm's ``hookspecs`` and ``default_plugins``): a plugin is a module with a
``register(registry)`` function. Built-in plugins are listed in :data:`BUILTIN_PLUGINS`;
installed packages add theirs through the ``summarize.plugins`` entry point group::

    # pyproject.toml of a plugin package
    [project.entry-points."summarize.plugins"]
    my-writer = "my_package.summarize_plugin"

    # my_package/summarize_plugin.py
    def register(registry):
        registry.register("writers", "my-writer", MyWriter)

after which ``brief(..., model="my-writer")`` and ``summarize brief --model my-writer`` use it.

Kinds and what a value is:

* ``"writers"``: a factory ``() -> Writer`` (:class:`summarize.write.base.Writer`).
* ``"models"``: a :class:`summarize.models.packaged.PackagedModel`.
* ``"baselines"``: a benchmark system ``(docs, words) -> str``.

Nothing is imported until a kind is first asked for, so ``import summarize`` stays cheap.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib import metadata
from typing import Any

log = logging.getLogger("summarize")

WRITERS = "writers"
MODELS = "models"
BASELINES = "baselines"
KINDS = (WRITERS, MODELS, BASELINES)
ENTRY_POINT_GROUP = "summarize.plugins"

# Built-in plugins by the kind they provide, loaded in this order when the kind is first used.
BUILTIN_PLUGINS: dict[str, tuple[str, ...]] = {
    MODELS: ("summarize.models.packaged",),
    WRITERS: ("summarize.write.extractive", "summarize.write.fusion"),
    BASELINES: ("summarize.bench.baselines",),
}


class Registry:
    """Named parts by kind, filled by plugins on first use.

    Args:
        builtins: Built-in plugin modules by kind (:data:`BUILTIN_PLUGINS`).
        entry_points: Also load the plugins installed under :data:`ENTRY_POINT_GROUP`.
    """

    def __init__(self, builtins: dict[str, tuple[str, ...]] | None = None, *, entry_points: bool = True) -> None:
        self._builtins = dict(BUILTIN_PLUGINS if builtins is None else builtins)
        self._entry_points = entry_points
        self._parts: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        self._loaded: set[str] = set()
        self._plugins_loaded = False
        self.failures: list[tuple[str, str]] = []  # (plugin, error) of plugins that failed to load

    def register(self, kind: str, name: str, value: Any, *, replace: bool = False) -> None:
        """Register ``value`` under ``name``; a name already taken needs ``replace=True``."""
        if kind not in self._parts:
            raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
        if name in self._parts[kind] and not replace:
            raise ValueError(f"{kind[:-1]} {name!r} is already registered")
        self._parts[kind][name] = value

    def get(self, kind: str, name: str) -> Any | None:
        """The part registered as ``name``, or ``None``."""
        self._load(kind)
        return self._parts[kind].get(name)

    def names(self, kind: str) -> list[str]:
        """Registered names of ``kind``, built-ins first, in registration order."""
        self._load(kind)
        return list(self._parts[kind])

    def items(self, kind: str) -> list[tuple[str, Any]]:
        self._load(kind)
        return list(self._parts[kind].items())

    def _load(self, kind: str) -> None:
        if kind not in self._parts:
            raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
        if kind not in self._loaded:
            self._loaded.add(kind)
            for module in self._builtins.get(kind, ()):
                self._call(module, importlib.import_module(module).register)
        if self._entry_points and not self._plugins_loaded:
            self._plugins_loaded = True
            for point in metadata.entry_points(group=ENTRY_POINT_GROUP):
                try:
                    target = point.load()
                except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the rest
                    self._failed(point.value, exc)
                    continue
                self._call(point.value, getattr(target, "register", target))

    def _call(self, where: str, hook: Callable[[Registry], None]) -> None:
        try:
            hook(self)
        except Exception as exc:  # noqa: BLE001
            if where in sum(self._builtins.values(), ()):
                raise
            self._failed(where, exc)

    def _failed(self, where: str, exc: Exception) -> None:
        self.failures.append((where, f"{type(exc).__name__}: {exc}"))
        log.warning("summarize plugin %s failed to load: %s: %s", where, type(exc).__name__, exc)


registry = Registry()
"""The process-wide registry every stage reads (through :func:`current`)."""


def current() -> Registry:
    """The process-wide registry (read at call time, so a test may swap it for a fresh one)."""
    return registry


def register(kind: str, name: str, value: Any, *, replace: bool = False) -> None:
    """Register a part in the process-wide :data:`registry` (for code that is not a plugin)."""
    current().register(kind, name, value, replace=replace)
