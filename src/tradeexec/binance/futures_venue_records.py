"""USDⓈ-M futures answers as the neutral records of ``tradeexec.venue``: one function per shape.

Futures write order types, times in force and statuses as text beyond spot's enums; they are
mapped here, once, onto the shared vocabulary: a post-only LIMIT (``GTX``) is ``LIMIT_MAKER``,
a good-till-date order is a GTC one with an end (the core never sends GTD), and the statuses
of the venue's own liquidation orders (``NEW_INSURANCE``, ``NEW_ADL``) are NEW. A new order's
answer (``newOrderRespType=RESULT``) carries no fills on futures: the core fetches the order's
trades when the executed quantity is ahead of the fills it knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from tradeexec.binance.models.futures import FuturesOrder
from tradeexec.binance.models.futures_algo import AlgoCancelResponse, FuturesAlgoOrder
from tradeexec.binance.models.futures_market import FuturesPriceTicker, PremiumIndex
from tradeexec.binance.models.futures_positions import FuturesAccountV3, FuturesTrade, PositionRiskV3
from tradeexec.venue.positions import MarginMode, PositionLeg, PositionSnapshot
from tradeexec.venue.records import (
    AccountBalances,
    AssetHolding,
    CancelAnswer,
    OrderSnapshot,
    PlaceAnswer,
    TradeRecord,
)
from tradeexec.venue.vocab import OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "conditional_snapshot",
    "futures_balances",
    "futures_cancel_answer",
    "futures_place_answer",
    "futures_position",
    "futures_prices",
    "futures_snapshot",
    "futures_status",
    "futures_trade_record",
    "mark_prices_of",
]

_ZERO = Decimal(0)
_STATUSES = {s.value: s for s in OrderStatus} | {"NEW_INSURANCE": OrderStatus.NEW, "NEW_ADL": OrderStatus.NEW}
_TIFS = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK, "GTX": TimeInForce.GTC}


def futures_status(text: str) -> OrderStatus:
    """A futures order status in the shared vocabulary; an unknown word is NEW (the order
    exists and is not known to be over: the poller keeps asking)."""
    return _STATUSES.get(text, OrderStatus.NEW)


def _type(o: FuturesOrder) -> OrderType:
    if o.type == "MARKET":
        return OrderType.MARKET
    if o.type == "LIMIT" and o.time_in_force == "GTX":
        return OrderType.LIMIT_MAKER
    return OrderType.LIMIT if o.price else OrderType.MARKET


def futures_snapshot(o: FuturesOrder) -> OrderSnapshot:
    """A futures order as the core reads one."""
    return OrderSnapshot(
        symbol=o.symbol,
        order_id=o.order_id,
        client_order_id=o.client_order_id,
        side=o.side,
        type=_type(o),
        status=futures_status(o.status),
        time_in_force=_TIFS.get(o.time_in_force, TimeInForce.GTC),
        quantity=o.orig_qty,
        quote_quantity=None,
        price=o.price or None,
        stop_price=o.stop_price or None,
        executed_qty=o.executed_qty,
        cumulative_quote=o.cum_quote,
        created_ms=o.time if o.time is not None else o.update_time,
        updated_ms=o.update_time,
    )


# The Algo Service's types as the nearest of the vocabulary: a stop or take-profit that
# sends a market order once triggered, or a limit one.
_CONDITIONAL_TYPES = {
    "STOP_MARKET": OrderType.STOP_LOSS,
    "TRAILING_STOP_MARKET": OrderType.TRAILING_STOP_MARKET,
    "STOP": OrderType.STOP_LOSS_LIMIT,
    "TAKE_PROFIT_MARKET": OrderType.TAKE_PROFIT,
    "TAKE_PROFIT": OrderType.TAKE_PROFIT_LIMIT,
}


# The neutral conditional types as the Algo Service's order types (a trailing stop needs a
# callback rate the vocabulary has no field for: not placed through the core).
ALGO_TYPE_OF = {
    OrderType.STOP_LOSS: "STOP_MARKET",
    OrderType.STOP_LOSS_LIMIT: "STOP",
    OrderType.TAKE_PROFIT: "TAKE_PROFIT_MARKET",
    OrderType.TAKE_PROFIT_LIMIT: "TAKE_PROFIT",
    OrderType.TRAILING_STOP_MARKET: "TRAILING_STOP_MARKET",
}
# The algo statuses that end a conditional order before it reached the book; it is NEW
# before (NEW, TRIGGERING). TRIGGERED and FINISHED are the order it sent to the book, which
# ``FuturesVenue.lookup_conditional`` reports instead.
_ALGO_ENDS = {
    "CANCELED": OrderStatus.CANCELED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
}


def conditional_cancel_answer(a: AlgoCancelResponse) -> CancelAnswer:
    """A cancelled algo order: the Algo Service cancels only one still waiting for its
    trigger, so it ended CANCELED with nothing executed."""
    return CancelAnswer(a.client_algo_id, a.algo_id, OrderStatus.CANCELED, _ZERO, _ZERO, None)


def conditional_snapshot(a: FuturesAlgoOrder) -> OrderSnapshot:
    """An algo order: its ids are the Algo Service's (``algoId``, ``clientAlgoId``), its
    stop price the trigger price; NEW while it waits for (or went past) its trigger, its
    end status when it ended without one (CANCELED, REJECTED, EXPIRED)."""
    return OrderSnapshot(
        symbol=a.symbol,
        order_id=a.algo_id,
        client_order_id=a.client_algo_id,
        side=Side(a.side),
        type=_CONDITIONAL_TYPES.get(a.order_type, OrderType.STOP_LOSS),
        status=_ALGO_ENDS.get(a.algo_status, OrderStatus.NEW),
        time_in_force=_TIFS.get(a.time_in_force, TimeInForce.GTC),
        quantity=a.quantity,
        quote_quantity=None,
        price=a.price or None,
        stop_price=a.trigger_price or None,
        executed_qty=_ZERO,
        cumulative_quote=_ZERO,
        created_ms=a.create_time,
        updated_ms=a.update_time,
    )


def futures_place_answer(o: FuturesOrder, *, acknowledged_only: bool) -> PlaceAnswer:
    """A new-order answer: ACK (accepted, nothing more known) or RESULT (status and figures
    as of the answer, never fills: futures answers carry none)."""
    if acknowledged_only:
        return PlaceAnswer(o.order_id, None, _ZERO, _ZERO, o.update_time)
    return PlaceAnswer(o.order_id, futures_status(o.status), o.executed_qty, o.cum_quote, o.update_time)


def futures_cancel_answer(o: FuturesOrder, status: OrderStatus | None = None) -> CancelAnswer:
    """``DELETE /fapi/v1/order``'s answer; ``status`` overrides the one the order showed (a
    cancel-all answers with no order, so what was open before it is reported CANCELED)."""
    return CancelAnswer(
        client_order_id=o.client_order_id,
        order_id=o.order_id,
        status=futures_status(o.status) if status is None else status,
        executed_qty=o.executed_qty,
        cumulative_quote=o.cum_quote,
        transact_ms=o.update_time,
    )


def futures_trade_record(t: FuturesTrade) -> TradeRecord:
    return TradeRecord(
        id=t.id,
        order_id=t.order_id,
        price=t.price,
        qty=t.qty,
        quote_qty=t.quote_qty,
        commission=t.commission,
        commission_asset=t.commission_asset,
        time_ms=t.time,
        realized_pnl=t.realized_pnl,
    )


def futures_balances(account: FuturesAccountV3) -> AccountBalances:
    """The wallet per asset: free is what new margin may use (``availableBalance``), locked
    the rest of the wallet balance (margin held by positions and open orders), never below 0
    (a cross account's available balance counts unrealized profit, which the wallet does not
    hold yet)."""
    lines = [
        AssetHolding(a.asset, a.available_balance, max(a.wallet_balance - a.available_balance, _ZERO))
        for a in account.assets
    ]
    times = [a.update_time for a in account.assets if a.update_time]
    return AccountBalances(lines, max(times) if times else None)


def futures_position(
    p: PositionRiskV3, leverage: Decimal | None, mode_set: MarginMode | None
) -> PositionSnapshot:
    """One leg of ``GET /fapi/v3/positionRisk``. v3 carries neither leverage nor margin type:
    ``leverage`` is the account setting the caller knows (None: unknown), and the margin mode
    is ISOLATED where the leg holds an isolated wallet, else the mode the caller set (a flat
    isolated leg holds none), else CROSSED."""
    isolated = p.isolated_wallet != 0 or p.isolated_margin != 0
    mode = MarginMode.ISOLATED if isolated else (mode_set or MarginMode.CROSSED)
    return PositionSnapshot(
        symbol=p.symbol,
        leg=PositionLeg(p.position_side),
        quantity=p.position_amt,
        entry_price=p.entry_price,
        mark_price=p.mark_price,
        unrealized_pnl=p.un_realized_profit,
        liquidation_price=p.liquidation_price,
        margin_mode=mode,
        isolated_margin=p.isolated_margin,
        leverage=leverage,
        margin_asset=p.margin_asset,
        update_time=p.update_time,
    )


def futures_prices(tickers: Sequence[FuturesPriceTicker], wanted: Sequence[str]) -> dict[str, Decimal]:
    """Last prices of ``wanted``; a symbol that never traded (price 0) is left out."""
    keep = set(wanted)
    return {t.symbol: t.price for t in tickers if t.symbol in keep and t.price > 0}


def mark_prices_of(rows: Sequence[PremiumIndex], wanted: Sequence[str]) -> Mapping[str, Decimal]:
    """Mark prices of ``wanted`` from ``premiumIndex`` rows; a 0 mark is no price."""
    keep = set(wanted)
    return {r.symbol: r.mark_price for r in rows if r.symbol in keep and r.mark_price > 0}
