"""Helpers for the wire contract tests: which JSON keys a payload carries that the client's
model for it does not declare (a field the client would silently drop), and where a source
file writes Binance JSON keys by hand."""

from __future__ import annotations

import ast
import re
from typing import Any

import msgspec
from msgspec import inspect as mi

from tradeexec.binance import models


def unknown_keys(value: Any, model: Any) -> list[str]:
    """Paths of the keys (and array elements) in the decoded JSON ``value`` that ``model``
    (a type as the client decodes it) has no field for, recursively."""
    return _walk(value, mi.type_info(model), "$")


def _walk(value: Any, t: mi.Type, path: str) -> list[str]:
    if isinstance(t, mi.UnionType):
        return _walk_union(value, t, path)
    if isinstance(t, mi.StructType):
        return _walk_struct(value, t, path)
    if isinstance(t, mi.ListType | mi.VarTupleType) and isinstance(value, list):
        return [k for i, item in enumerate(value) for k in _walk(item, t.item_type, f"{path}[{i}]")]
    if isinstance(t, mi.TupleType) and isinstance(value, list):
        extra = [f"{path}[{i}]" for i in range(len(t.item_types), len(value))]
        pairs = enumerate(zip(value, t.item_types, strict=False))
        return extra + [k for i, (v, it) in pairs for k in _walk(v, it, f"{path}[{i}]")]
    if isinstance(t, mi.DictType) and isinstance(value, dict):
        return [k for key, v in value.items() for k in _walk(v, t.value_type, f"{path}.{key}")]
    return []


def _walk_union(value: Any, t: mi.UnionType, path: str) -> list[str]:
    structs = [m for m in t.types if isinstance(m, mi.StructType)]
    if isinstance(value, dict):
        for member in structs:
            if member.tag_field is not None and value.get(member.tag_field) == member.tag:
                return _walk_struct(value, member, path)
        if len(structs) == 1:
            return _walk_struct(value, structs[0], path)
        if structs:
            return [f"{path} (no member of the union matches)"]
    others = [m for m in t.types if not isinstance(m, mi.NoneType)]
    return _walk(value, others[0], path) if len(others) == 1 else []


def _walk_struct(value: Any, t: mi.StructType, path: str) -> list[str]:
    if t.array_like:
        if not isinstance(value, list):
            return [f"{path} (not an array)"]
        extra = [f"{path}[{i}]" for i in range(len(t.fields), len(value))]
        return extra + [
            k
            for i, (v, f) in enumerate(zip(value, t.fields, strict=False))
            for k in _walk(v, f.type, f"{path}[{i}]")
        ]
    if not isinstance(value, dict):
        return [f"{path} (not an object)"]
    fields = {f.encode_name: f for f in t.fields}
    out: list[str] = []
    for key, v in value.items():
        if key == t.tag_field:
            continue
        if key not in fields:
            out.append(f"{path}.{key}")
        else:
            out += _walk(v, fields[key].type, f"{path}.{key}")
    return out


def decodes_completely(raw: bytes, model: Any) -> list[str]:
    """Decode ``raw`` with the client's model (raises if a value has the wrong type) and
    return the keys the model would drop."""
    msgspec.json.decode(raw, type=model)
    return unknown_keys(msgspec.json.decode(raw), model)


_CAMEL = re.compile(r"^[a-z]+[A-Z][A-Za-z0-9]*$")


def model_key_sets() -> list[frozenset[str]]:
    """The JSON key set of every struct the client decodes Binance payloads with."""
    sets = []
    for name in dir(models):
        obj = getattr(models, name)
        if isinstance(obj, type) and issubclass(obj, msgspec.Struct) and not name.startswith("Wire"):
            sets.append(frozenset(f.encode_name for f in msgspec.structs.fields(obj)))
    return sets


def hand_encoded(source: str, model_keys: list[frozenset[str]]) -> list[tuple[int, str]]:
    """(line, what) of each place in ``source`` that writes Binance JSON keys by hand: a dict
    literal with a camelCase key, an event tag ``e``, or keys that all belong to one client
    model, a
    ``dict(...)``/``.update(...)`` call with camelCase keywords, or an assignment to a
    camelCase key."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            camel = [k for k in keys if _CAMEL.match(k)]
            modelled = len(keys) >= 2 and any(set(keys) <= ks for ks in model_keys)
            if camel or modelled or "e" in keys:
                found.append((node.lineno, "{" + ", ".join(sorted(keys)) + "}"))
        elif isinstance(node, ast.Call):
            camel = [kw.arg for kw in node.keywords if kw.arg is not None and _CAMEL.match(kw.arg)]
            if camel and isinstance(node.func, ast.Attribute | ast.Name):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                if name in ("dict", "update"):
                    found.append((node.lineno, f"{name}({', '.join(camel)})"))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and _CAMEL.match(key.value):
                found.append((node.lineno, f"[{key.value!r}] ="))
    return found
