"""Binance's answers as the neutral records of ``tradeexec.venue``: one function per shape.

What Binance already sends in a neutral shape is handed through as it is (an account's
balance structs are ``BalanceLine``s, a depth level a ``PriceLevel``); the rest is built field
by field. The order vocabulary is shared (``tradeexec.venue.vocab``), so nothing is mapped
value by value.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tradeexec.binance.models import Account, MyTrade, Order, OrderBook, OrderReport, TickerPrice
from tradeexec.venue.records import (
    AccountBalances,
    BookTop,
    CancelAnswer,
    OrderSnapshot,
    PlaceAnswer,
    PlacementFill,
    TradeRecord,
)

__all__ = [
    "account_balances",
    "book_top",
    "cancel_answer",
    "last_prices",
    "place_answer",
    "snapshot",
    "trade_record",
]

_ZERO = Decimal(0)


def snapshot(o: Order) -> OrderSnapshot:
    """A Binance order as the core reads one."""
    return OrderSnapshot(
        symbol=o.symbol,
        order_id=o.order_id,
        client_order_id=o.client_order_id,
        side=o.side,
        type=o.type,
        status=o.status,
        time_in_force=o.time_in_force,
        quantity=o.orig_qty,
        quote_quantity=o.orig_quote_order_qty or None,
        price=o.price or None,
        stop_price=o.stop_price or None,
        executed_qty=o.executed_qty,
        cumulative_quote=o.cummulative_quote_qty,
        created_ms=o.time,
        updated_ms=o.update_time,
    )


def cancel_answer(r: OrderReport) -> CancelAnswer:
    return CancelAnswer(
        client_order_id=r.orig_client_order_id or r.client_order_id,
        order_id=r.order_id,
        status=r.status,
        executed_qty=r.executed_qty,
        cumulative_quote=r.cummulative_quote_qty,
        transact_ms=r.transact_time,
    )


def trade_record(t: MyTrade) -> TradeRecord:
    return TradeRecord(
        id=t.id,
        order_id=t.order_id,
        price=t.price,
        qty=t.qty,
        quote_qty=t.quote_qty,
        commission=t.commission,
        commission_asset=t.commission_asset,
        time_ms=t.time,
    )


def place_answer(response: Any) -> PlaceAnswer:
    """A new-order answer of any response type (ACK, RESULT, FULL)."""
    status = getattr(response, "status", None)
    transact_ms = getattr(response, "transact_time", None)
    if status is None:  # ACK: accepted, nothing more known yet
        return PlaceAnswer(response.order_id, None, _ZERO, _ZERO, transact_ms)
    fills = [
        PlacementFill(f.price, f.qty, f.commission, f.commission_asset, f.trade_id) for f in response.fills
    ]
    return PlaceAnswer(
        response.order_id, status, response.executed_qty, response.cummulative_quote_qty, transact_ms, fills
    )


def account_balances(account: Account) -> AccountBalances:
    return AccountBalances(account.balances, account.update_time)


def last_prices(tickers: Sequence[TickerPrice]) -> dict[str, Decimal]:
    """Binance's ticker shows 0 for a symbol that has never traded: that is no price."""
    return {t.symbol: t.price for t in tickers if t.price > 0}


def book_top(book: OrderBook) -> BookTop:
    return BookTop(book.bids, book.asks)
