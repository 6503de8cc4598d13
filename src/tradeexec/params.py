"""Checks of user-given values, made before anything is journaled or sent: numbers, ints,
enum members, symbol names. They belong to no venue: the execution core checks an order's
values with them, and the Binance adapter checks its request parameters with the same ones.

A wrong quantity that reaches an exchange costs request weight, maybe an order-count slot, and
returns an error code the caller has to map back to an argument; refused here, it names the
argument. Numbers must be Decimal, int or str: a float has already lost the exact value the
caller meant, so it is refused rather than rounded silently.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar, cast

from tradeexec.errors import InvalidParameter
from tradeexec.plain_numbers import RULE, is_plain_decimal

__all__ = [
    "SYMBOL_LEGAL",
    "SYMBOL_RULE",
    "Number",
    "check_decimal",
    "check_enum",
    "check_int",
    "check_symbol",
    "is_symbol",
]

Number = Decimal | int | str
E = TypeVar("E", bound=StrEnum)
SYMBOL_MAX_LEN = 20
# The rule for symbol and asset names (Binance's, the first venue, since its 2025-12 Unicode
# change): the old ASCII set, plus any printable non-ASCII character (sent as UTF-8,
# percent-encoded in REST). A venue with a narrower rule refuses the rest in ``check_order``.
SYMBOL_LEGAL = "^[A-Z0-9-_.\\u0080-\\U0010FFFF]{1,20}$"
SYMBOL_RULE = "must be 1 to 20 characters of A-Z 0-9 - _ . or printable non-ASCII characters"
_SYMBOL_ASCII = re.compile(r"[A-Z0-9_.\-]{1,20}")
_GOOD_SYMBOLS: set[str] = set()
_SYMBOL_ASCII_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
_MEMBERS: dict[type[StrEnum], dict[str, StrEnum]] = {}
_ZERO = Decimal(0)


def check_decimal(field: str, value: object, *, allow_zero: bool = False) -> Decimal:
    """A positive (or, with ``allow_zero``, non-negative) finite decimal."""
    # The usual case, a positive finite Decimal, is accepted as it is in two tests.
    if type(value) is Decimal and value.is_finite() and value > _ZERO:
        return value
    if isinstance(value, float):
        raise InvalidParameter(field, "floats are refused", "pass a Decimal or str, e.g. Decimal('0.1')")
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidParameter(field, "must be a Decimal, int or str", type(value).__name__)
    if isinstance(value, str) and not is_plain_decimal(value):
        # Decimal() reads any script's digits ("１２") and "0.0_5" as 0.05: text is taken only
        # in the plain notation the exchange reads.
        raise InvalidParameter(field, "must be a plain decimal", f"{value!r}: {RULE}")
    try:
        number = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise InvalidParameter(field, "must be numeric", repr(value)) from None
    if not number.is_finite():
        raise InvalidParameter(field, "must be finite", str(value))
    if number < 0 or (number == 0 and not allow_zero):
        raise InvalidParameter(
            field, "must be positive" if not allow_zero else "must not be negative", str(value)
        )
    return number


def check_int(field: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(field, "must be an int", type(value).__name__)
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise InvalidParameter(field, f"must be in {bounds}", str(value))
    return value


def is_symbol(value: str) -> bool:
    """Whether ``value`` follows Binance's symbol rule (:data:`SYMBOL_LEGAL`)."""
    # Every order checks its symbol, and a process trades few: symbols that passed once are
    # remembered (up to a bound, so that made-up names cannot grow the set without end).
    if value in _GOOD_SYMBOLS:
        return True
    good = _SYMBOL_ASCII.fullmatch(value) is not None or (
        0 < len(value) <= SYMBOL_MAX_LEN
        and all(c in _SYMBOL_ASCII_CHARS or (c > "\x7f" and c.isprintable()) for c in value)
    )
    if good and len(_GOOD_SYMBOLS) < 4096:
        _GOOD_SYMBOLS.add(value)
    return good


def check_symbol(value: object, field: str = "symbol") -> str:
    """A symbol (or asset) as Binance spells it; non-ASCII symbols exist and are kept as they
    are. Anything else would cost a request and come back as -1100, so it is refused here."""
    if isinstance(value, str) and is_symbol(value):
        return value
    long = isinstance(value, str) and len(value) > 40
    shown = f"{str(value)[:40]!r}... ({len(str(value))} characters)" if long else repr(value)
    raise InvalidParameter(field, SYMBOL_RULE, shown)


def check_enum(field: str, value: object, enum: type[E]) -> E:
    # Every order checks several enums: a member passes as it is, and a str is looked up in a
    # table built once per enum instead of going through the enum's constructor.
    if type(value) is enum:
        return value
    members = _MEMBERS.get(enum)
    if members is None:
        members = _MEMBERS[enum] = {m.value: m for m in enum}
    member = members.get(value) if isinstance(value, str) else None
    if member is not None:
        return cast(E, member)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidParameter(field, f"must be one of {allowed}", repr(value)) from None
