"""The source layout's rules, read from the code itself (``ast``, nothing imported):

* the execution core (``tradeexec.execution``) imports no venue adapter (``tradeexec.binance``,
  ``tradeexec.sim``): it talks to venues through ``tradeexec.venue`` only;
* no import cycle between modules (module-level imports; those under ``if TYPE_CHECKING:``
  never run, and an import inside a function runs after every module has loaded);
* no source module over ``MAX_LINES`` lines;
* no two public classes with the same name in different modules.

Each allow-list below names modules that break a rule today and are being fixed by someone
(issue 14); a test also fails when an allowed module no longer breaks its rule, so the lists
only shrink.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "tradeexec"
MAX_LINES = 600
CORE = "tradeexec.execution"
ADAPTERS = ("tradeexec.binance", "tradeexec.sim")

# Modules over MAX_LINES (none since the binance/ and sim/ restructuring; keep it empty).
TOO_LONG_ALLOWED: set[str] = set()
# Public class names defined in more than one module, with the modules that define them.
SAME_NAME_ALLOWED: dict[str, set[str]] = {}
# Core modules still importing an adapter: none since issue 14 (kept so a regression names
# itself; the list may only shrink).
CORE_ADAPTER_IMPORTS_ALLOWED: set[str] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is loaded: the module's own statements and those of
    its top-level if/try/with blocks, except ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _top_level_imports(node.body)
            yield from _top_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _top_level_imports(block)
        elif isinstance(node, ast.With):
            yield from _top_level_imports(node.body)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(module: str) -> set[str]:
    """The tradeexec modules ``module`` imports when it loads (``from pkg import sub`` counts
    as importing the submodule ``pkg.sub``)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    targets: set[str] = set()
    for node in _top_level_imports(tree.body):
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names)
            continue
        base = _resolve(module, node)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            targets.add(sub if sub in MODULES else base)
    return {t for t in targets if t in MODULES and t != module}


GRAPH = {m: _imports(m) for m in MODULES}


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(GRAPH[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(GRAPH[module])
    return seen


def _cycles() -> list[list[str]]:
    """The groups of modules that import each other (directly or through others)."""
    reach = {m: _reachable(m) for m in GRAPH}
    groups = {frozenset({m} | {n for n in reach[m] if m in reach[n]}) for m in GRAPH if m in reach[m]}
    return sorted(sorted(g) for g in groups)


def _public_classes() -> dict[str, set[str]]:
    by_name: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                by_name[node.name].add(module)
    return by_name


def _core_adapter_imports() -> dict[str, set[str]]:
    offenders: dict[str, set[str]] = {}
    for module in MODULES:
        if module == CORE or module.startswith(CORE + "."):
            bad = {t for t in _all_imports(module) if t.startswith(ADAPTERS)}
            if bad:
                offenders[module] = bad
    return offenders


def _all_imports(module: str) -> set[str]:
    """Every import in the module, at any depth (a function's lazy import included): the core
    must not reach an adapter at all, not only at load time."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(_resolve(module, node))
    return names


def test_the_layout_test_reads_the_package() -> None:
    assert "tradeexec.execution.orders.state" in MODULES
    assert "tradeexec.execution.journal.store" in GRAPH["tradeexec.execution.orders.manager"]


def test_the_execution_core_imports_no_venue_adapter() -> None:
    offenders = _core_adapter_imports()
    new = {m: sorted(t) for m, t in offenders.items() if m not in CORE_ADAPTER_IMPORTS_ALLOWED}
    assert not new, f"execution core modules importing an adapter (use tradeexec.venue): {new}"
    fixed = CORE_ADAPTER_IMPORTS_ALLOWED - offenders.keys()
    assert not fixed, f"remove from CORE_ADAPTER_IMPORTS_ALLOWED, they are clean now: {sorted(fixed)}"


def test_no_import_cycles() -> None:
    cycles = _cycles()
    assert not cycles, "import cycles (modules importing each other at load time): " + "; ".join(
        " <-> ".join(c) for c in cycles
    )


def test_no_module_over_the_line_limit() -> None:
    lengths = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    too_long = {m: n for m, n in lengths.items() if n > MAX_LINES}
    new = {m: n for m, n in too_long.items() if m not in TOO_LONG_ALLOWED}
    assert not new, f"modules over {MAX_LINES} lines (split by job): {new}"
    fixed = TOO_LONG_ALLOWED - too_long.keys()
    assert not fixed, f"remove from TOO_LONG_ALLOWED, they are short enough now: {sorted(fixed)}"


def test_no_two_public_classes_share_a_name() -> None:
    shared = {name: mods for name, mods in _public_classes().items() if len(mods) > 1}
    new = {n: sorted(m) for n, m in shared.items() if SAME_NAME_ALLOWED.get(n) != m}
    assert not new, f"public classes with the same name in different modules: {new}"
    fixed = SAME_NAME_ALLOWED.keys() - shared.keys()
    assert not fixed, f"remove from SAME_NAME_ALLOWED, the names are unique now: {sorted(fixed)}"
