"""Market stream names: which ``<symbol>@<kind>`` and ``!<kind>@arr`` names the local exchange
serves, parsed into a ``StreamSpec`` (shared by the stream hub and the firehose)."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from tradeexec.binance.enums import KlineInterval

# Calendar months have no fixed length, so the month candle has no stream here.
KLINE_INTERVALS_MS = {i.value: i.milliseconds for i in KlineInterval if i is not KlineInterval.MO1}

_SYMBOL_STREAM = re.compile(
    r"^(?P<symbol>(?:[a-z0-9\-_.]|[^\x00-\x7f@/]){1,20})@(?P<kind>trade|aggTrade|bookTicker|ticker|miniTicker"
    r"|ticker_(?P<window>1h|4h|1d)|kline_(?P<interval>[0-9]{1,2}[smhdw])"
    r"|depth(?P<levels>5|10|20)?(?:@(?P<speed>100ms|1000ms))?)$"
)
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_ALL_STREAM = re.compile(r"^!(?:(?P<kind>ticker|miniTicker)@arr|ticker_(?P<window>1h|4h|1d)@arr|bookTicker)$")


@dataclass(slots=True, frozen=True)
class StreamSpec:
    """A parsed stream name. ``name`` is canonical: what LIST_SUBSCRIPTIONS and the combined
    wrapper report."""

    name: str
    kind: str  # trade aggTrade bookTicker ticker miniTicker rolling kline depth partial listenKey
    symbol: str = ""  # upper case; "" for the all-market streams
    interval: str = ""  # kline interval or rolling window
    levels: int = 0
    fast: bool = False  # 100ms (depth) rather than 1000ms


def kline_or_depth(raw: str, symbol: str, m: re.Match[str]) -> StreamSpec | None:
    """The kline or depth stream a name matched (groups ``interval``, ``levels``, ``speed``;
    spot's and futures' grammars share them), None for a kline interval not served."""
    if m["interval"]:
        interval = m["interval"]
        return StreamSpec(raw, "kline", symbol, interval) if interval in KLINE_INTERVALS_MS else None
    fast = m["speed"] == "100ms"
    if m["levels"]:
        return StreamSpec(raw, "partial", symbol, levels=int(m["levels"]), fast=fast)
    return StreamSpec(raw, "depth", symbol, fast=fast)


def parse_stream(raw: str, listen_key_account: Callable[[str], str | None]) -> StreamSpec | None:
    """The stream ``raw`` names, or None when it is not a stream this exchange knows."""
    m = _SYMBOL_STREAM.match(raw)
    if m is not None:
        # Only ASCII letters change case: str.upper() would rewrite some non-ASCII symbols.
        symbol = m["symbol"].translate(_ASCII_UPPER)
        kind = m["kind"]
        if m["window"]:
            return StreamSpec(raw, "rolling", symbol, m["window"])
        if m["interval"] or kind.startswith("depth"):
            return kline_or_depth(raw, symbol, m)
        return StreamSpec(raw, kind, symbol)
    m = _ALL_STREAM.match(raw)
    if m is not None:
        if raw == "!bookTicker":
            return StreamSpec(raw, "bookTicker")
        if m["window"]:
            return StreamSpec(raw, "rolling", "", m["window"])
        return StreamSpec(raw, m["kind"])
    if listen_key_account(raw) is not None:
        return StreamSpec(raw, "listenKey")
    return None
