"""The local exchange's layout stays findable: small modules, dependencies pointing one way,
no import cycle, and no sim class named like a different class elsewhere in the package.

Read from the sources (static imports, including those under ``TYPE_CHECKING`` and inside
functions), so a cycle hidden in a function body is caught as well as a module-level one.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
SIM = SRC / "tradeexec" / "sim"
MAX_LINES = 600
# What may import the Binance wire layer (sim/binance/): the wire layer itself and what
# assembles the running exchange on top of it.
WIRE_USERS = {"tradeexec.sim", "tradeexec.sim.server", "tradeexec.sim.exchange", "tradeexec.sim.admin"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SIM.rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the sim modules it imports (``from pkg import submodule`` names the submodule)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tradeexec.sim"):
                subs = {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
                targets |= subs
                if len(subs) < len(node.names) and node.module in modules:
                    targets.add(node.module)
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names} & modules.keys()
        graph[name] = targets - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_sim_module_over_the_size_limit() -> None:
    sizes = {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in _modules().items()}
    assert len(sizes) > 20  # the scan itself works
    assert {n: s for n, s in sizes.items() if s >= MAX_LINES} == {}


def test_no_import_cycle_in_sim() -> None:
    graph = _imports(_modules())
    assert "tradeexec.sim.engine.core" in graph["tradeexec.sim.engine.matching"]  # the scan works
    assert _cycle(graph) is None


def test_the_engine_knows_nothing_above_it() -> None:
    """The matching engine is pure: no HTTP, no state, no wire encoding."""
    modules = _modules()
    graph = _imports(modules)
    engine = {n for n in modules if n.startswith("tradeexec.sim.engine")}
    assert len(engine) > 5
    assert {n: graph[n] - engine for n in engine if graph[n] - engine} == {}
    for name in engine:
        text = modules[name].read_text(encoding="utf-8")
        assert "aiohttp" not in text and "msgspec" not in text, name


def test_only_the_top_depends_on_the_wire_layer() -> None:
    """engine/, state, market/ and the other parts below never import sim/binance/."""
    graph = _imports(_modules())
    below = {n for n in graph if not n.startswith("tradeexec.sim.binance") and n not in WIRE_USERS}
    offenders = {n: {t for t in graph[n] if t.startswith("tradeexec.sim.binance")} for n in below}
    assert {n: t for n, t in offenders.items() if t} == {}


def test_no_sim_class_shares_a_name_with_another_class_of_the_package() -> None:
    """A name says one thing: a sim class must not be called like a client-side class."""
    where: dict[str, set[Path]] = {}
    for path in (SRC / "tradeexec").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                where.setdefault(node.name, set()).add(path)
    clashes = {
        name: sorted(str(p.relative_to(SRC)) for p in paths)
        for name, paths in where.items()
        if len(paths) > 1 and any(SIM in p.parents for p in paths)
    }
    assert "LocalExchange" in where  # the scan itself works
    assert clashes == {}


def test_every_operation_has_its_handler() -> None:
    """Splitting the service into families lost ``uiKlines`` once (a 500 found by the fuzzer
    only when it happened to pick that endpoint): every row of the table names a method."""
    from tradeexec.sim.binance.service import OPERATIONS, Service

    missing = [op.handler for op in OPERATIONS if not callable(getattr(Service, op.handler, None))]
    assert missing == []
