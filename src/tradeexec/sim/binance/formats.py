"""Engine events and market state as the JSON bytes Binance sends on its WebSockets, built as
the client's own event structs (``binance/models/wire.py``) so that both sides share one
declaration of each payload.

Every payload is built once as bytes and shared by every connection that receives it; the
wrappers (combined streams, WebSocket API subscriptions) splice those bytes instead of
re-encoding, because the stream benchmark pushes hundreds of thousands of messages and the
encoding is the part that scales with the number of subscribers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from tradeexec.binance.enums import (
    ContingencyType,
    KlineInterval,
    ListOrderStatus,
    ListStatusType,
    TimeInForce,
)
from tradeexec.binance.errors import ErrorBody
from tradeexec.binance.models import (
    EventBalance,
    ListStatusOrder,
    MiniTickerEvent,
    RollingTicker,
    RollingWindowTickerEvent,
    Ticker24hr,
    TickerEvent,
    TickerMini,
)
from tradeexec.binance.models.wire import (
    WIRE_ROLLING_TICKER_EVENTS,
    WireAccountPosition,
    WireAggTradeEvent,
    WireBalanceUpdate,
    WireBookTicker,
    WireDepthUpdate,
    WireExecutionReport,
    WireKlineData,
    WireKlineEvent,
    WireListenKeyExpired,
    WireListStatus,
    WireOrderBook,
    WireTickerEvent,
    WireTradeEvent,
    fixed8,
    fixed8_levels,
    wire_shape,
)
from tradeexec.binance.models.wire import wire_encode as _encode
from tradeexec.binance.ws.stream_frames import ControlAnswer, ControlError
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

Level = tuple[Decimal, Decimal]
_NO_LEVEL: Level = (Decimal(0), Decimal(0))


def encode(obj: Any) -> bytes:
    return _encode(obj)


# ---- user data stream ----------------------------------------------------------------------

_ZERO8 = fixed8(Decimal(0))
_ZERO = Decimal(0)


def execution_report(ev: ExecutionEvent) -> bytes:
    o: OrderRecord = ev.order
    fill = ev.last_fill
    trailing = o.trailing_delta
    return _encode(
        WireExecutionReport(
            event_time=ev.event_time,
            symbol=o.symbol,
            client_order_id=ev.cancel_client_order_id or o.client_order_id,
            side=o.side,
            order_type=o.type,
            time_in_force=o.time_in_force or TimeInForce.GTC,
            quantity=fixed8(o.orig_qty),
            price=fixed8(o.price),
            stop_price=fixed8(o.stop_price),
            trailing_delta=trailing,
            trailing_time=o.trailing_time if trailing is not None and o.trailing_time != -1 else None,
            iceberg_qty=fixed8(o.iceberg_qty),
            order_list_id=o.order_list_id,
            orig_client_order_id=ev.orig_client_order_id,
            execution_type=ev.execution_type,
            order_status=o.status,
            reject_reason=ev.reject_reason,
            order_id=o.order_id,
            last_executed_qty=fixed8(fill.qty) if fill else _ZERO8,
            cumulative_filled_qty=fixed8(o.executed_qty),
            last_executed_price=fixed8(fill.price) if fill else _ZERO8,
            commission=fixed8(fill.commission) if fill else _ZERO,
            commission_asset=fill.commission_asset if fill else None,
            transaction_time=fill.time if fill else o.update_time,
            trade_id=fill.trade_id if fill else -1,
            execution_id=o.order_id * 2 + (1 if fill else 0),
            is_working=o.is_working,
            is_maker=fill.is_maker if fill else False,
            ignore=False,
            order_creation_time=o.time,
            cumulative_quote_qty=fixed8(o.cummulative_quote_qty),
            last_quote_qty=fixed8(fill.quote_qty) if fill else _ZERO8,
            quote_order_qty=fixed8(o.orig_quote_order_qty),
            working_time=o.working_time if o.working_time != -1 else None,
            self_trade_prevention_mode=o.stp_mode,
        )
    )


def account_position(ev: BalanceEvent) -> bytes:
    return _encode(
        WireAccountPosition(
            event_time=ev.event_time,
            last_update_time=ev.event_time,
            balances=[
                EventBalance(asset=asset, free=fixed8(b.free), locked=fixed8(b.locked))
                for asset, b in ev.balances.items()
            ],
        )
    )


def balance_update(ev: BalanceUpdateEvent) -> bytes:
    return _encode(
        WireBalanceUpdate(
            event_time=ev.event_time, asset=ev.asset, delta=fixed8(ev.delta), clear_time=ev.event_time
        )
    )


def list_status(ev: ListStatusEvent, client_order_ids: Mapping[int, str] | None = None) -> bytes:
    """``client_order_ids`` maps the list's order ids to their client ids (the engine's order
    list only keeps the ids; the caller looks the rest up)."""
    ol = ev.order_list
    ids = client_order_ids or {}
    return _encode(
        WireListStatus(
            event_time=ev.event_time,
            symbol=ol.symbol,
            order_list_id=ol.order_list_id,
            contingency_type=ContingencyType(ol.contingency_type),
            list_status_type=ListStatusType(ol.list_status_type),
            list_order_status=ListOrderStatus(ol.list_order_status),
            list_reject_reason="NONE",
            list_client_order_id=ol.list_client_order_id,
            transaction_time=ol.transaction_time,
            orders=[
                ListStatusOrder(symbol=ol.symbol, order_id=oid, client_order_id=ids.get(oid, ""))
                for oid in ol.order_ids
            ],
        )
    )


def listen_key_expired(listen_key: str, event_time: int) -> bytes:
    return _encode(WireListenKeyExpired(event_time=event_time, listen_key=listen_key))


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


def _print_event_fields(t: TradePrint, event_time: int) -> dict[str, Any]:
    """What the trade and aggTrade events both say about one trade."""
    return {
        "event_time": event_time,
        "symbol": t.symbol,
        "price": fixed8(t.price),
        "quantity": fixed8(t.qty),
        "trade_time": t.time,
        "is_buyer_maker": t.is_buyer_maker,
        "is_best_match": True,
    }


def trade(t: TradePrint, event_time: int) -> bytes:
    return _encode(
        WireTradeEvent(
            trade_id=t.trade_id,
            buyer_order_id=t.buyer_order_id,
            seller_order_id=t.seller_order_id,
            **_print_event_fields(t, event_time),
        )
    )


def agg_trade(t: TradePrint, event_time: int) -> bytes:
    """One aggregate per trade: its id is the trade id, so it matches REST aggTrades only if
    those are unaggregated too; Binance allows aggregates of a single trade."""
    return _encode(
        WireAggTradeEvent(
            agg_trade_id=t.trade_id,
            first_trade_id=t.trade_id,
            last_trade_id=t.trade_id,
            **_print_event_fields(t, event_time),
        )
    )


def depth_update(
    symbol: str, *, first_id: int, last_id: int, bids: Iterable[Level], asks: Iterable[Level], event_time: int
) -> bytes:
    return _encode(
        WireDepthUpdate(
            event_time=event_time,
            symbol=symbol,
            first_update_id=first_id,
            final_update_id=last_id,
            bids=fixed8_levels(bids),
            asks=fixed8_levels(asks),
        )
    )


def partial_depth(snapshot: DepthSnapshot, levels: int) -> bytes:
    return _encode(
        WireOrderBook(
            last_update_id=snapshot.last_update_id,
            bids=fixed8_levels(snapshot.bids[:levels]),
            asks=fixed8_levels(snapshot.asks[:levels]),
        )
    )


def book_ticker(symbol: str, update_id: int, bid: Level | None, ask: Level | None) -> bytes:
    bid = bid or _NO_LEVEL
    ask = ask or _NO_LEVEL
    return _encode(
        WireBookTicker(
            update_id=update_id,
            symbol=symbol,
            bid_price=fixed8(bid[0]),
            bid_qty=fixed8(bid[1]),
            ask_price=fixed8(ask[0]),
            ask_qty=fixed8(ask[1]),
        )
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
        o = h = low = c = fixed8(last_price) if last_price is not None else _ZERO8
        v = q = tv = tq = _ZERO8
        n = 0
    else:
        o, h, low, c = fixed8(k.open), fixed8(k.high), fixed8(k.low), fixed8(k.close)
        v, q = fixed8(k.volume), fixed8(k.quote_volume)
        tv, tq = fixed8(k.taker_buy_volume), fixed8(k.taker_buy_quote_volume)
        n = k.count
    return _encode(
        WireKlineEvent(
            event_time=event_time,
            symbol=symbol,
            kline=WireKlineData(
                start_time=open_time,
                close_time=close_time,
                symbol=symbol,
                interval=KlineInterval(interval),
                first_trade_id=first_id,
                last_trade_id=last_id,
                open=o,
                close=c,
                high=h,
                low=low,
                volume=v,
                trades=n,
                is_closed=closed,
                quote_volume=q,
                taker_buy_base=tv,
                taker_buy_quote=tq,
                ignore="0",
            ),
        )
    )


def ticker_24h(rest: Ticker24hr, event_time: int) -> TickerEvent:
    """A stream ticker built from the REST ticker of the same statistics, so both agree."""
    return WireTickerEvent(
        prev_close_price=rest.prev_close_price,
        last_qty=rest.last_qty,
        bid_price=rest.bid_price,
        bid_qty=rest.bid_qty,
        ask_price=rest.ask_price,
        ask_qty=rest.ask_qty,
        **stats_fields(rest, event_time),
    )


def mini_ticker(rest: TickerMini, event_time: int) -> MiniTickerEvent:
    return MiniTickerEvent(
        event_time=event_time,
        symbol=rest.symbol,
        close=rest.last_price,
        open=rest.open_price,
        high=rest.high_price,
        low=rest.low_price,
        volume=rest.volume,
        quote_volume=rest.quote_volume,
    )


def rolling_ticker(rest: RollingTicker, window: str, event_time: int) -> RollingWindowTickerEvent:
    return WIRE_ROLLING_TICKER_EVENTS[window](**stats_fields(rest, event_time))


def stats_fields(rest: RollingTicker, event_time: int) -> dict[str, Any]:
    """What every stream ticker with statistics copies from the REST ticker as it is."""
    return {
        "event_time": event_time,
        "symbol": rest.symbol,
        "price_change": rest.price_change,
        "price_change_percent": rest.price_change_percent,
        "weighted_avg_price": rest.weighted_avg_price,
        "close": rest.last_price,
        "open": rest.open_price,
        "high": rest.high_price,
        "low": rest.low_price,
        "volume": rest.volume,
        "quote_volume": rest.quote_volume,
        "open_time": rest.open_time,
        "close_time": rest.close_time,
        "first_trade_id": rest.first_id,
        "last_trade_id": rest.last_id,
        "trades": rest.count,
    }


# ---- envelopes ------------------------------------------------------------------------------

_ControlResult = wire_shape(ControlAnswer, always=("result", "id"), order=("result", "id"))
_ControlError = wire_shape(ControlAnswer, always=("error", "id"), order=("error", "id"))


def refused(code: int, msg: str) -> web.Response:
    """A stream connection refused before the upgrade: HTTP 400 with Binance's error body."""
    body = _encode(ErrorBody(code=code, msg=msg))
    return web.Response(body=body, status=400, content_type="application/json")


def control_result(result: Any, request_id: int | str | None) -> ControlAnswer:
    """The market streams' answer to SUBSCRIBE, LIST_SUBSCRIPTIONS ...: ``{"result", "id"}``."""
    return _ControlResult(result=result, id=request_id)


def control_error(code: int, msg: str, request_id: int | str | None) -> ControlAnswer:
    """A refused stream request: ``{"error": {"code", "msg"}, "id"}``."""
    return _ControlError(error=ControlError(code=code, msg=msg), id=request_id)


def connection_event(payload: bytes) -> bytes:
    """The WebSocket API's ``{"event": {...}}`` envelope of a connection event (no
    ``subscriptionId``: ``serverShutdown``)."""
    return b'{"event":' + payload + b"}"


def combined(stream: str, payload: bytes) -> bytes:
    """``{"stream": ..., "data": ...}`` around an already encoded payload."""
    return b'{"stream":' + _encode(stream) + b',"data":' + payload + b"}"


def subscription_event(subscription_id: int, payload: bytes) -> bytes:
    """The WebSocket API's ``{"subscriptionId": n, "event": {...}}`` envelope."""
    return b'{"subscriptionId":' + str(subscription_id).encode() + b',"event":' + payload + b"}"
