"""Reads the local exchange's sources for every error it can answer, so that the table-driven
error tests cannot miss one: a new refusal without a case fails the suite instead of drifting
from Binance unnoticed.

A regular expression over ``ApiError(-code, "text")`` missed refusals written any other way
(``p.enum(..., -1117, "Invalid side.")``, a ``{"code": ..., "msg": ...}`` literal, the order
rules' ``rejection(...)``, f-strings, texts held in constants). This walks the syntax tree
instead and knows each way the exchange spells an error.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tradeexec"
# The exchange, and the order rules it checks orders with (binance/rules: one contract for
# the client's pre-checks and the exchange's refusals) with the texts they import.
SCANNED = ("sim", "binance/rules", "binance/errors")
# The order rules' default code (rules/order_check.py: NEW_ORDER_REJECTED).
REJECTION_DEFAULT_CODE = -2010


@dataclass(frozen=True)
class Emitted:
    """One error the sources can produce: its code, its text as a template (``%s`` for a
    value filled in at run time, None when the text is not known statically) and where."""

    code: int
    text: str | None
    where: str


def _field(node: ast.expr, names: dict[str, object]) -> object:
    if isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Name) and node.format_spec is None:
        value = names.get(node.value.id)
        if isinstance(value, int | str):
            return value
    return "%s"


def _constants() -> dict[str, object]:
    """Module-level ``NAME = <int or str>`` over the scanned folders (texts and codes are
    shared through such constants, e.g. ``MSG_DUPLICATE_ORDER``, ``INVALID_MESSAGE``)."""
    out: dict[str, object] = {}
    for path in _files():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value_node = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value_node = node.target, node.value
            else:
                continue
            if isinstance(value_node, ast.Dict):  # a table of texts, e.g. REJECT_MESSAGES
                pairs = zip(value_node.keys, value_node.values, strict=True)
                texts = {ast.unparse(k): _literal(v, out) for k, v in pairs if k}
                value: object = {k: v for k, v in texts.items() if isinstance(v, str)}
            else:
                value = _literal(value_node, out)
            if isinstance(target, ast.Name) and isinstance(value, (int, str, dict)) and value != {}:
                out[target.id] = value
    return out


def _files() -> Iterator[Path]:
    for folder in SCANNED:
        yield from sorted((SRC / folder).rglob("*.py"))


def _literal(node: ast.expr, names: dict[str, object]) -> object:
    """An int or text the node stands for (f-string values become ``%s``; a tuple when it
    may be any of several texts), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, str)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand, names)
        return -value if isinstance(value, int) else None
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.JoinedStr):
        # A field naming a known constant is filled in (``{MAX_SYMBOLS}``: the text is checked
        # with its number); any other field is a placeholder.
        parts = [v.value if isinstance(v, ast.Constant) else _field(v, names) for v in node.values]
        return "".join(str(p) for p in parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, names), _literal(node.right, names)
        return left + right if isinstance(left, str) and isinstance(right, str) else None
    if isinstance(node, ast.Subscript) and isinstance(table := _literal(node.value, names), dict):
        # TABLE["KEY"] is one text; TABLE[variable] may be any of them
        return table.get(ast.unparse(node.slice), tuple(table.values()))
    if isinstance(node, ast.IfExp):  # "a" if cond else "b": both are answers; the scan reads the first
        return _literal(node.body, names)
    if (  # TEMPLATE.format(...)
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(template := _literal(node.func.value, names), str)
    ):
        return "%s".join(part.split("}")[-1] for part in template.split("{"))
    return None


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


# call name -> (position of the code, position of the text); -1 for "the default code"
_SHAPES = {
    "ApiError": (0, 1),
    "EngineReject": (0, 1),
    "enum": (2, 3),  # Params.enum(name, Enum, code, msg)
    "rejection": (4, 3),  # rules: rejection(rule, field, detail, msg, code=NEW_ORDER_REJECTED)
    "_error": (0, 1),  # WebSocket Streams control answers
}


def _from_call(node: ast.Call, names: dict[str, object]) -> tuple[object, object] | None:
    name = _call_name(node)
    if name not in _SHAPES:
        return None
    code_at, text_at = _SHAPES[name]
    args = node.args
    code = _literal(args[code_at], names) if code_at < len(args) else None
    if code is None and name == "rejection":
        code = REJECTION_DEFAULT_CODE
    text = _literal(args[text_at], names) if text_at < len(args) else None
    return code, text


def _from_dict(node: ast.Dict, names: dict[str, object]) -> tuple[object, object] | None:
    keys = [_literal(k, names) if k is not None else None for k in node.keys]
    if "code" not in keys or "msg" not in keys:
        return None
    return _literal(node.values[keys.index("code")], names), _literal(node.values[keys.index("msg")], names)


def emitted_errors() -> list[Emitted]:
    """Every (code, text) the scanned sources can answer with. A call whose code is not a
    constant (``ApiError(exc.code, exc.msg)``: passing on another error) is not listed."""
    names = _constants()
    out: list[Emitted] = []
    for path in _files():
        where = str(path.relative_to(SRC))
        for node in ast.walk(ast.parse(path.read_text())):
            found = None
            if isinstance(node, ast.Call):
                found = _from_call(node, names)
            elif isinstance(node, ast.Dict):
                found = _from_dict(node, names)
            if found is None or not isinstance(found[0], int):
                continue
            code, text = found
            texts = text if isinstance(text, tuple) else (text,)
            at = f"{where}:{node.lineno}"
            out.extend(Emitted(code, t if isinstance(t, str) else None, at) for t in texts)
    return out


def is_futures(where: str) -> bool:
    """USDT-M futures have their own list (tests/sim/futures/test_error_texts.py), and answers
    of their own shape (``{"code": 200, "msg": ...}`` for a done cancel-all)."""
    path = where.split(":", maxsplit=1)[0]
    return "/futures/" in path or path.rsplit("/", 1)[-1].startswith("futures_")
