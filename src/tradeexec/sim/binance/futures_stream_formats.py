"""USDⓈ-M futures market stream payloads, encoded once per event with the client's structs
(``binance/models/futures_market_events.py`` and spot's depth, aggTrade and kline events):
the diff depth carries ``pu`` and ``T``, partial depth is a ``depthUpdate`` too (not spot's
bare book), aggregate trades drop spot's ``M``, the book ticker is tagged and timed, the mark
price event is ``premiumIndex`` as a stream."""

from __future__ import annotations

from decimal import Decimal

from tradeexec.binance.models.futures_market import PremiumIndex
from tradeexec.binance.models.futures_market_data import FuturesTicker24hr
from tradeexec.binance.models.futures_market_events import (
    ForceOrder,
    ForceOrderEvent,
    FuturesBookTickerEvent,
    FuturesTickerEvent,
    MarkPriceEvent,
)
from tradeexec.binance.models.market_events import DepthUpdateEvent
from tradeexec.binance.models.wire import WireAggTradeEvent, fixed8, fixed8_levels, wire_shape
from tradeexec.sim.binance.formats import encode, stats_fields
from tradeexec.sim.binance.stream_builders import DepthDiff
from tradeexec.sim.engine import DepthSnapshot, TradePrint
from tradeexec.sim.futures.market_history import ForceRecord

_Level = tuple[Decimal, Decimal]
_ZERO = Decimal(0)

WireFuturesDepth = wire_shape(
    DepthUpdateEvent,
    always=("prev_final_update_id", "transaction_time"),
    order=(
        "event_time",
        "transaction_time",
        "symbol",
        "first_update_id",
        "final_update_id",
        "prev_final_update_id",
    ),
)
WireFuturesBookTicker = wire_shape(
    FuturesBookTickerEvent, order=("update_id", "event_time", "transaction_time", "symbol")
)
WireMarkPrice = wire_shape(MarkPriceEvent)
WireFuturesTicker = wire_shape(FuturesTickerEvent)
WireForceOrderEvent = wire_shape(ForceOrderEvent)


def depth_update(symbol: str, diff: DepthDiff, now: int) -> bytes:
    return encode(
        WireFuturesDepth(
            event_time=now,
            transaction_time=now,
            symbol=symbol,
            first_update_id=diff.first_id,
            final_update_id=diff.last_id,
            prev_final_update_id=diff.prev_id,
            bids=fixed8_levels(diff.bids),
            asks=fixed8_levels(diff.asks),
        )
    )


def partial_depth(symbol: str, snap: DepthSnapshot, levels: int, prev_id: int, now: int) -> bytes:
    """``<symbol>@depth<N>``: the top ``levels`` as a ``depthUpdate`` whose ``u`` is the
    snapshot's id (``U`` and ``pu`` as Binance fills them: ids around it)."""
    return encode(
        WireFuturesDepth(
            event_time=now,
            transaction_time=now,
            symbol=symbol,
            first_update_id=min(prev_id + 1, snap.last_update_id),
            final_update_id=snap.last_update_id,
            prev_final_update_id=prev_id,
            bids=fixed8_levels(snap.bids[:levels]),
            asks=fixed8_levels(snap.asks[:levels]),
        )
    )


def agg_trade(t: TradePrint, now: int) -> bytes:
    """One aggregate per trade, as spot's stream does; no ``M``."""
    return encode(
        WireAggTradeEvent(
            event_time=now,
            symbol=t.symbol,
            agg_trade_id=t.trade_id,
            price=fixed8(t.price),
            quantity=fixed8(t.qty),
            first_trade_id=t.trade_id,
            last_trade_id=t.trade_id,
            trade_time=t.time,
            is_buyer_maker=t.is_buyer_maker,
        )
    )


def book_ticker(symbol: str, update_id: int, bid: _Level | None, ask: _Level | None, now: int) -> bytes:
    bid = bid or (_ZERO, _ZERO)
    ask = ask or (_ZERO, _ZERO)
    return encode(
        WireFuturesBookTicker(
            update_id=update_id,
            event_time=now,
            transaction_time=now,
            symbol=symbol,
            bid_price=fixed8(bid[0]),
            bid_qty=fixed8(bid[1]),
            ask_price=fixed8(ask[0]),
            ask_qty=fixed8(ask[1]),
        )
    )


def ticker_24h(rest: FuturesTicker24hr, now: int) -> FuturesTickerEvent:
    """The ``@ticker`` event from the REST ticker of the same statistics."""
    return WireFuturesTicker(last_qty=rest.last_qty, **stats_fields(rest, now))


def mark_price(p: PremiumIndex) -> bytes:
    """The ``premiumIndex`` answer of the same moment, as a stream event: one computation, so
    stream and REST can never disagree."""
    return encode(_mark_event(p))


def mark_prices(marks: list[PremiumIndex]) -> bytes:
    """``!markPrice@arr``: the events of every contract in one array."""
    return encode([_mark_event(p) for p in marks])


def _mark_event(p: PremiumIndex) -> MarkPriceEvent:
    return WireMarkPrice(
        event_time=p.time,
        symbol=p.symbol,
        mark_price=fixed8(p.mark_price),
        index_price=fixed8(p.index_price),
        estimated_settle_price=fixed8(p.estimated_settle_price),
        funding_rate=fixed8(p.last_funding_rate),
        next_funding_time=p.next_funding_time,
    )


def force_order(f: ForceRecord, now: int) -> bytes:
    """A liquidation as Binance shows it: a LIMIT IOC order at the bankruptcy price, filled
    whole (the insurance fund took what the book did not) at its average price."""
    qty, price = fixed8(f.qty), fixed8(f.price)
    return encode(
        WireForceOrderEvent(
            event_time=now,
            order=ForceOrder(
                symbol=f.symbol,
                side=f.side,
                order_type="LIMIT",
                time_in_force="IOC",
                quantity=qty,
                price=price,
                average_price=fixed8(f.average),
                status="FILLED",
                last_filled_qty=qty,
                filled_qty=qty,
                trade_time=f.time,
            ),
        )
    )
