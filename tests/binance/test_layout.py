"""The client's house rules (issue 14), read off the source so a later change that breaks them
fails here: small modules, folders that import only the folders beneath them (so no import
cycle can form), one class per public name, the package re-exports of models and errors
complete, and Binance's duplicate-order text written once."""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import tradeexec

SRC = Path(tradeexec.__file__).parent
BINANCE = SRC / "binance"
MAX_LINES = 600

# Each folder of binance/ (or root module) may import only those listed before it: the
# runtime layering enums <- errors, rules <- net <- models <- rest <- ws <- client <- venue_records
# <- venue_stream <- venue (the execution core's adapter over the client: its records, its user
# stream, the venue); the futures adapter the same way, with the symbol settings read and the
# funding attribution beneath its stream.
LAYERS = [
    "enums", "errors", "rules", "net", "models", "rest", "ws", "client",
    "venue_records", "venue_stream", "venue",
    "futures_venue_records", "futures_symbol_settings", "futures_funding", "futures_venue_stream",
    "futures_venue",
]  # fmt: skip


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(BINANCE.rglob("*.py")):
        rel = path.relative_to(BINANCE).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(("tradeexec.binance", *parts))] = path
    return out


def _runtime_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The binance modules ``path`` imports when it runs (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tradeexec.binance"):
            if node.module in modules:
                found.add(node.module)
            found.update(
                f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules
            )
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
    return found


def _layer(module: str) -> int | None:
    top = module.removeprefix("tradeexec.binance").lstrip(".").split(".")[0]
    return LAYERS.index(top) if top in LAYERS else None


def test_no_binance_module_is_over_600_lines() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in BINANCE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_binance_folders_import_only_the_layers_beneath_them() -> None:
    modules = _modules()
    unplaced = [
        m for m in modules if m != "tradeexec.binance" and _layer(m) is None
    ]  # a new folder: place it
    assert unplaced == []
    wrong = []
    for module, path in modules.items():
        here = _layer(module)
        for target in _runtime_imports(path, modules):
            there = _layer(target)
            if here is not None and there is not None and there > here:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_import_cycle_inside_binance() -> None:
    modules = _modules()
    graph = {m: _runtime_imports(p, modules) - {m} for m, p in modules.items()}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        assert node not in path, " -> ".join([*path[path.index(node) :], node])
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        done.add(node)

    for module in sorted(graph):
        visit(module, [])


def test_no_two_public_classes_share_a_name_in_binance_and_execution() -> None:
    homes: dict[str, set[str]] = defaultdict(set)
    for folder in (BINANCE, SRC / "execution"):
        for path in folder.rglob("*.py"):
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    homes[node.name].add(str(path.relative_to(SRC)))
    assert {name: sorted(paths) for name, paths in homes.items() if len(paths) > 1} == {}


def test_models_and_errors_packages_export_every_public_name_of_their_modules() -> None:
    missing = []
    for package in ("models", "errors"):
        exported = importlib.import_module(f"tradeexec.binance.{package}")
        for path in sorted((BINANCE / package).glob("*.py")):
            if path.stem == "__init__" or path.stem == "code_rows":
                continue
            module = importlib.import_module(f"tradeexec.binance.{package}.{path.stem}")
            for node in ast.parse(path.read_text()).body:
                names = (
                    [node.name]
                    if isinstance(node, ast.ClassDef | ast.FunctionDef)
                    else [
                        t.id
                        for t in getattr(node, "targets", [getattr(node, "target", None)])
                        if isinstance(t, ast.Name)
                    ]
                    if isinstance(node, ast.Assign | ast.AnnAssign)
                    else []
                )
                for name in names:
                    if not name.startswith("_") and getattr(exported, name, None) is not getattr(
                        module, name
                    ):
                        missing.append(f"{package}.{path.stem}.{name}")
    assert missing == []


def test_the_duplicate_order_text_is_written_once() -> None:
    """``execution/orders.py`` decides an order exists from this text, the local exchange sends
    it: both must read the one constant, or a typo on either side silently breaks recovery."""
    places = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        for line in p.read_text().splitlines()
        if "Duplicate order sent." in line
    ]
    assert places == ["binance/errors/messages.py"]
