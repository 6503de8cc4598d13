"""Checks of Binance request parameters, made before anything is sent: client ids, order ids,
limits, times, symbol lists. The checks of plain values (numbers, enums, symbols) are not
Binance's and live in ``tradeexec.params``; they are re-exported here for the REST and
WebSocket API calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from tradeexec.binance.rules.limits import MAX_SYMBOLS
from tradeexec.errors import InvalidParameter
from tradeexec.params import (
    SYMBOL_LEGAL,
    SYMBOL_RULE,
    Number,
    check_decimal,
    check_enum,
    check_int,
    check_symbol,
    is_symbol,
)

__all__ = [
    "ORDER_ID_MAX",
    "SYMBOL_LEGAL",
    "SYMBOL_RULE",
    "Number",
    "check_client_id",
    "check_decimal",
    "check_enum",
    "check_int",
    "check_symbol",
    "check_symbols",
    "is_symbol",
    "opt_client_id",
    "opt_decimal",
    "opt_limit",
    "opt_order_id",
    "opt_time",
]

ORDER_ID_MAX = (1 << 63) - 1  # order and list ids are int64 on the exchange
_CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")  # Binance's rule for every client id


def check_client_id(field: str, value: object) -> str:
    """A client order or list id as Binance accepts it; anything else is refused there (-1100)."""
    if not isinstance(value, str) or _CLIENT_ID.fullmatch(value) is None:
        raise InvalidParameter(field, "must be 1 to 36 characters of A-Z a-z 0-9 . : / _ -", repr(value))
    return value


# Optional parameters: None stays None (left off the wire), anything else is checked.


def opt_decimal(field: str, value: Number | None) -> Decimal | None:
    return None if value is None else check_decimal(field, value)


def opt_client_id(field: str, value: str | None) -> str | None:
    return None if value is None else check_client_id(field, value)


def opt_order_id(field: str, value: int | None) -> int | None:
    return None if value is None else check_int(field, value, 0, ORDER_ID_MAX)


def opt_limit(value: int | None, high: int) -> int | None:
    return None if value is None else check_int("limit", value, 1, high)


def opt_time(field: str, value: int | None) -> int | None:
    return None if value is None else check_int(field, value, 0)


def agg_trade_params(
    symbol: str, from_id: int | None, start_time: int | None, end_time: int | None, limit: int | None
) -> dict[str, object]:
    """The parameters of an aggTrades request (spot and USDⓈ-M futures take the same)."""
    return {
        "symbol": check_symbol(symbol),
        "fromId": opt_time("fromId", from_id),
        "startTime": opt_time("startTime", start_time),
        "endTime": opt_time("endTime", end_time),
        "limit": opt_limit(limit, 1000),
    }


def check_symbols(symbols: Sequence[str]) -> list[str]:
    if isinstance(symbols, str) or not symbols:
        raise InvalidParameter("symbols", "must be a non-empty list of symbols", repr(symbols))
    if len(symbols) > MAX_SYMBOLS:
        raise InvalidParameter("symbols", f"must hold at most {MAX_SYMBOLS} symbols", f"{len(symbols)} given")
    return [check_symbol(s, "symbols") for s in symbols]
