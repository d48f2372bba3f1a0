"""The house rules, checked on the import graph read from the source (``ast``, nothing run).

* No import loops, between modules or between rooms.
* No module imports a module of a later stage. The stages, first to last::

    foundation (errors, records, options, files, registry, machine) -> nlp -> ingest -> events
    -> evidence -> models -> write -> briefing -> pipeline -> digest | bench -> cli, __init__

* The two products beside the library, ``digest`` and ``bench``, never import each other.
* Tests and benchmarks use public names only (no ``from summarize... import _private``).

Imports inside functions count the same as those at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "summarize"
FOUNDATION = {"errors", "records", "options", "files", "registry", "machine"}
STAGES = ["foundation", "nlp", "ingest", "events", "evidence", "models", "write", "briefing",
          "pipeline", "digest", "bench", "face"]
RANK = {room: i for i, room in enumerate(STAGES)} | {"bench": STAGES.index("digest")}
LAZY = {"brief", "briefs", "stories", "load"}  # summarize.<name> resolves to summarize.pipeline


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in {"cli"}:
        return "face"
    return "foundation" if parts[1] in FOUNDATION else parts[1]


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, known: set[str]) -> set[str]:
    """The summarize modules ``path`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "summarize"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "summarize":
            for alias in node.names:
                if f"{node.module}.{alias.name}" in known:
                    found.add(f"{node.module}.{alias.name}")
                elif node.module == "summarize" and alias.name in LAZY:
                    found.add("summarize.pipeline")
                else:
                    found.add(node.module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, 1972)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_real_imports():
    graph = _graph()
    assert "summarize.briefing.attribute" in graph["summarize.briefing.compose"]
    assert "summarize.events.cluster" in graph["summarize.pipeline"]
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _room("summarize.digest.job") == "digest" and _room("summarize.records") == "foundation"


def test_no_import_loops_between_modules():
    assert _cycles(_graph()) == []


def test_no_import_loops_between_rooms():
    rooms: dict[str, set[str]] = {}
    for module, imported in _graph().items():
        rooms.setdefault(_room(module), set()).update(_room(m) for m in imported if _room(m) != _room(module))
    assert _cycles(rooms) == []


def test_no_module_imports_a_later_stage():
    late = []
    for module, imported in _graph().items():
        for target in imported:
            if target == "summarize":  # the package itself: its face imports only the foundation
                continue
            if RANK[_room(target)] > RANK[_room(module)]:
                late.append(f"{module} -> {target}")
    assert late == []


def test_digest_and_bench_do_not_import_each_other():
    crossing = [f"{m} -> {t}" for m, imported in _graph().items() for t in imported
                if {_room(m), _room(t)} == {"digest", "bench"}]
    assert crossing == []


def test_tests_and_benchmarks_use_public_names_only():
    private = []
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("summarize"):
                private += [f"{path.name}: {node.module}.{a.name}" for a in node.names
                            if a.name.startswith("_") and a.name != "__version__"]
    assert private == []
