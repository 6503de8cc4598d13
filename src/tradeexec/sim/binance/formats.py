"""Engine events and market state as the JSON bytes Binance sends on its WebSockets.

Every payload is built once as bytes and shared by every connection that receives it; the
wrappers (combined streams, WebSocket API subscriptions) splice those bytes instead of
re-encoding, because the stream benchmark pushes hundreds of thousands of messages and the
encoding is the part that scales with the number of subscribers. Keys are inserted in the
order of Binance's documented payloads, so the bytes read like the reference's examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from tradeexec.sim.binance.views import dec
from tradeexec.sim.engine import (
    BalanceEvent,
    BalanceUpdateEvent,
    DepthSnapshot,
    Event,
    ExecutionEvent,
    ListStatusEvent,
    OrderRecord,
    TradePrint,
)
from tradeexec.sim.tape import Candle

_encode = msgspec.json.Encoder().encode

Level = tuple[Decimal, Decimal]


def encode(obj: Any) -> bytes:
    return _encode(obj)


def _levels(levels: Iterable[Level]) -> list[list[str]]:
    return [[f"{p:.8f}", f"{q:.8f}"] for p, q in levels]


# ---- user data stream ----------------------------------------------------------------------


def execution_report(ev: ExecutionEvent) -> bytes:
    o: OrderRecord = ev.order
    fill = ev.last_fill
    body: dict[str, Any] = {
        "e": "executionReport",
        "E": ev.event_time,
        "s": o.symbol,
        "c": ev.cancel_client_order_id or o.client_order_id,
        "S": str(o.side),
        "o": str(o.type),
        "f": str(o.time_in_force or "GTC"),
        "q": dec(o.orig_qty),
        "p": dec(o.price),
        "P": dec(o.stop_price),
    }
    if o.trailing_delta is not None:
        body["d"] = o.trailing_delta
        if o.trailing_time != -1:
            body["D"] = o.trailing_time
    body["F"] = dec(o.iceberg_qty)
    body["g"] = o.order_list_id
    body["C"] = ev.orig_client_order_id
    body["x"] = str(ev.execution_type)
    body["X"] = str(o.status)
    body["r"] = ev.reject_reason
    body["i"] = o.order_id
    body["l"] = dec(fill.qty) if fill else "0.00000000"
    body["z"] = dec(o.executed_qty)
    body["L"] = dec(fill.price) if fill else "0.00000000"
    body["n"] = dec(fill.commission) if fill else "0"
    body["N"] = fill.commission_asset if fill else None
    body["T"] = fill.time if fill else o.update_time
    body["t"] = fill.trade_id if fill else -1
    body["I"] = o.order_id * 2 + (1 if fill else 0)
    body["w"] = o.is_working
    body["m"] = fill.is_maker if fill else False
    body["M"] = False
    body["O"] = o.time
    body["Z"] = dec(o.cummulative_quote_qty)
    body["Y"] = dec(fill.quote_qty) if fill else "0.00000000"
    body["Q"] = dec(o.orig_quote_order_qty)
    if o.working_time != -1:
        body["W"] = o.working_time
    body["V"] = str(o.stp_mode)
    return _encode(body)


def account_position(ev: BalanceEvent) -> bytes:
    return _encode(
        {
            "e": "outboundAccountPosition",
            "E": ev.event_time,
            "u": ev.event_time,
            "B": [{"a": asset, "f": dec(b.free), "l": dec(b.locked)} for asset, b in ev.balances.items()],
        }
    )


def balance_update(ev: BalanceUpdateEvent) -> bytes:
    return _encode(
        {"e": "balanceUpdate", "E": ev.event_time, "a": ev.asset, "d": dec(ev.delta), "T": ev.event_time}
    )


def list_status(ev: ListStatusEvent, client_order_ids: Mapping[int, str] | None = None) -> bytes:
    """``client_order_ids`` maps the list's order ids to their client ids (the engine's order
    list only keeps the ids; the caller looks the rest up)."""
    ol = ev.order_list
    ids = client_order_ids or {}
    return _encode(
        {
            "e": "listStatus",
            "E": ev.event_time,
            "s": ol.symbol,
            "g": ol.order_list_id,
            "c": ol.contingency_type,
            "l": ol.list_status_type,
            "L": ol.list_order_status,
            "r": "NONE",
            "C": ol.list_client_order_id,
            "T": ol.transaction_time,
            "O": [{"s": ol.symbol, "i": oid, "c": ids.get(oid, "")} for oid in ol.order_ids],
        }
    )


def listen_key_expired(listen_key: str, event_time: int) -> bytes:
    return _encode({"e": "listenKeyExpired", "E": event_time, "listenKey": listen_key})


def user_event(ev: Event) -> bytes | None:
    """The user-data payload of ``ev``, or None for market events."""
    if isinstance(ev, ExecutionEvent):
        return execution_report(ev)
    if isinstance(ev, BalanceEvent):
        return account_position(ev)
    if isinstance(ev, BalanceUpdateEvent):
        return balance_update(ev)
    if isinstance(ev, ListStatusEvent):
        return list_status(ev)
    return None


# ---- market streams ------------------------------------------------------------------------


def trade(t: TradePrint, event_time: int) -> bytes:
    return _encode(
        {
            "e": "trade",
            "E": event_time,
            "s": t.symbol,
            "t": t.trade_id,
            "p": f"{t.price:.8f}",
            "q": f"{t.qty:.8f}",
            "b": t.buyer_order_id,
            "a": t.seller_order_id,
            "T": t.time,
            "m": t.is_buyer_maker,
            "M": True,
        }
    )


def agg_trade(t: TradePrint, event_time: int) -> bytes:
    """One aggregate per trade: its id is the trade id, so it matches REST aggTrades only if
    those are unaggregated too; Binance allows aggregates of a single trade."""
    return _encode(
        {
            "e": "aggTrade",
            "E": event_time,
            "s": t.symbol,
            "a": t.trade_id,
            "p": f"{t.price:.8f}",
            "q": f"{t.qty:.8f}",
            "f": t.trade_id,
            "l": t.trade_id,
            "T": t.time,
            "m": t.is_buyer_maker,
            "M": True,
        }
    )


def depth_update(
    symbol: str, *, first_id: int, last_id: int, bids: Iterable[Level], asks: Iterable[Level], event_time: int
) -> bytes:
    return _encode(
        {
            "e": "depthUpdate",
            "E": event_time,
            "s": symbol,
            "U": first_id,
            "u": last_id,
            "b": _levels(bids),
            "a": _levels(asks),
        }
    )


def partial_depth(snapshot: DepthSnapshot, levels: int) -> bytes:
    return _encode(
        {
            "lastUpdateId": snapshot.last_update_id,
            "bids": _levels(snapshot.bids[:levels]),
            "asks": _levels(snapshot.asks[:levels]),
        }
    )


def book_ticker(symbol: str, update_id: int, bid: Level | None, ask: Level | None) -> bytes:
    zero = "0.00000000"
    return _encode(
        {
            "u": update_id,
            "s": symbol,
            "b": f"{bid[0]:.8f}" if bid else zero,
            "B": f"{bid[1]:.8f}" if bid else zero,
            "a": f"{ask[0]:.8f}" if ask else zero,
            "A": f"{ask[1]:.8f}" if ask else zero,
        }
    )


def kline(
    symbol: str,
    interval: str,
    *,
    open_time: int,
    close_time: int,
    k: Candle | None,
    first_id: int,
    last_id: int,
    closed: bool,
    event_time: int,
    last_price: Decimal | None = None,
) -> bytes:
    """A kline event; ``k`` None is a candle without trades, drawn flat at ``last_price``."""
    if k is None:
        price = dec(last_price) if last_price is not None else "0.00000000"
        zero = "0.00000000"
        o = h = low = c = price
        v = q = tv = tq = zero
        n = 0
    else:
        o, h, low, c = dec(k.open), dec(k.high), dec(k.low), dec(k.close)
        v, q = dec(k.volume), dec(k.quote_volume)
        tv, tq = dec(k.taker_buy_volume), dec(k.taker_buy_quote_volume)
        n = k.count
    return _encode(
        {
            "e": "kline",
            "E": event_time,
            "s": symbol,
            "k": {
                "t": open_time,
                "T": close_time,
                "s": symbol,
                "i": interval,
                "f": first_id,
                "L": last_id,
                "o": o,
                "c": c,
                "h": h,
                "l": low,
                "v": v,
                "n": n,
                "x": closed,
                "q": q,
                "V": tv,
                "Q": tq,
                "B": "0",
            },
        }
    )


# The REST ticker's field names, in the order of the stream payloads.
_TICKER_FIELDS = (
    ("p", "priceChange"),
    ("P", "priceChangePercent"),
    ("w", "weightedAvgPrice"),
    ("x", "prevClosePrice"),
    ("c", "lastPrice"),
    ("Q", "lastQty"),
    ("b", "bidPrice"),
    ("B", "bidQty"),
    ("a", "askPrice"),
    ("A", "askQty"),
    ("o", "openPrice"),
    ("h", "highPrice"),
    ("l", "lowPrice"),
    ("v", "volume"),
    ("q", "quoteVolume"),
    ("O", "openTime"),
    ("C", "closeTime"),
    ("F", "firstId"),
    ("L", "lastId"),
    ("n", "count"),
)
_MINI_FIELDS = (
    ("c", "lastPrice"),
    ("o", "openPrice"),
    ("h", "highPrice"),
    ("l", "lowPrice"),
    ("v", "volume"),
    ("q", "quoteVolume"),
)
_ROLLING_FIELDS = (
    ("p", "priceChange"),
    ("P", "priceChangePercent"),
    ("o", "openPrice"),
    ("h", "highPrice"),
    ("l", "lowPrice"),
    ("c", "lastPrice"),
    ("w", "weightedAvgPrice"),
    ("v", "volume"),
    ("q", "quoteVolume"),
    ("O", "openTime"),
    ("C", "closeTime"),
    ("F", "firstId"),
    ("L", "lastId"),
    ("n", "count"),
)


def _from_rest(
    event: str, rest: Mapping[str, Any], fields: Sequence[tuple[str, str]], event_time: int
) -> dict[str, Any]:
    """A stream ticker built from the REST ticker of the same statistics, so both agree."""
    out: dict[str, Any] = {"e": event, "E": event_time, "s": rest["symbol"]}
    for short, long in fields:
        if long in rest:
            out[short] = rest[long]
    return out


def ticker_24h(rest: Mapping[str, Any], event_time: int) -> dict[str, Any]:
    return _from_rest("24hrTicker", rest, _TICKER_FIELDS, event_time)


def mini_ticker(rest: Mapping[str, Any], event_time: int) -> dict[str, Any]:
    return _from_rest("24hrMiniTicker", rest, _MINI_FIELDS, event_time)


def rolling_ticker(rest: Mapping[str, Any], window: str, event_time: int) -> dict[str, Any]:
    return _from_rest(f"{window}Ticker", rest, _ROLLING_FIELDS, event_time)


# ---- envelopes ------------------------------------------------------------------------------


def combined(stream: str, payload: bytes) -> bytes:
    """``{"stream": ..., "data": ...}`` around an already encoded payload."""
    return b'{"stream":' + _encode(stream) + b',"data":' + payload + b"}"


def subscription_event(subscription_id: int, payload: bytes) -> bytes:
    """The WebSocket API's ``{"subscriptionId": n, "event": {...}}`` envelope."""
    return b'{"subscriptionId":' + str(subscription_id).encode() + b',"event":' + payload + b"}"
