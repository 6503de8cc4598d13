"""Futures records to Binance's wire structs (``binance/models/futures*``), and the one step
that turns a struct into the answer body with every Decimal in plain notation (msgspec writes
``Decimal`` with ``str``, which gives ``0E-8``; Binance never writes an exponent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tradeexec.binance.enums import OrderStatus
from tradeexec.binance.models.futures import FuturesOrder
from tradeexec.binance.models.futures_positions import FuturesTrade, PositionRiskV3
from tradeexec.sim.engine import OrderRecord
from tradeexec.sim.futures import FuturesFill, OrderMeta
from tradeexec.sim.futures.figures import PositionFigures

_EIGHT = Decimal("0.00000001")
ZERO = Decimal(0)


def money(value: Decimal) -> Decimal:
    """Eight decimals, as Binance writes balances, margins and PnL."""
    return value.quantize(_EIGHT)


def _plain(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def wire(obj: Any) -> Any:
    """The JSON-ready body of a struct (or list of structs), decimals in plain notation."""
    return _plain(msgspec.to_builtins(obj, builtin_types=(Decimal,)))


def order_view(order: OrderRecord, meta: OrderMeta) -> FuturesOrder:
    executed, quote = order.executed_qty + meta.fund_qty, order.cummulative_quote_qty
    quote += meta.fund_qty * order.price  # a liquidation's rest, taken by the insurance fund
    avg = quote / executed if executed else ZERO
    status = OrderStatus.FILLED if meta.fund_qty else order.status
    if status is OrderStatus.EXPIRED_IN_MATCH:
        status = OrderStatus.EXPIRED
    return FuturesOrder(
        symbol=order.symbol,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        price=order.price,
        orig_qty=order.orig_qty,
        executed_qty=executed,
        cum_quote=money(quote),
        avg_price=money(avg),
        cum_qty=executed,
        status=str(status),
        time_in_force=meta.time_in_force,
        type=meta.order_type,
        orig_type=meta.order_type,
        side=order.side,
        position_side=meta.position_side,
        stop_price=ZERO,
        reduce_only=meta.reduce_only,
        close_position=False,
        working_type="CONTRACT_PRICE",
        price_protect=False,
        price_match="NONE",
        self_trade_prevention_mode="EXPIRE_MAKER",
        good_till_date=0,
        time=order.time,
        update_time=order.update_time,
    )


def trade_view(fill: FuturesFill) -> FuturesTrade:
    return FuturesTrade(
        buyer=str(fill.side) == "BUY",
        commission=money(fill.commission),
        commission_asset="USDT",
        id=fill.trade_id,
        maker=fill.maker,
        order_id=fill.order_id,
        price=fill.price,
        qty=fill.qty,
        quote_qty=money(fill.quote_qty),
        realized_pnl=money(fill.realized_pnl),
        side=str(fill.side),
        position_side=fill.position_side,
        symbol=fill.symbol,
        time=fill.time,
    )


def position_risk_view(f: PositionFigures) -> PositionRiskV3:
    pos = f.position
    return PositionRiskV3(
        symbol=pos.symbol,
        position_side=pos.position_side,
        position_amt=pos.amt,
        entry_price=money(pos.entry),
        break_even_price=money(pos.entry),
        mark_price=money(f.mark),
        un_realized_profit=money(f.unrealized),
        liquidation_price=money(f.liquidation_price),
        isolated_margin=money(f.isolated_margin),
        notional=money(f.notional),
        margin_asset="USDT",
        isolated_wallet=money(pos.isolated_wallet),
        initial_margin=money(f.initial_margin + f.open_order_margin),
        maint_margin=money(f.maint_margin),
        position_initial_margin=money(f.initial_margin),
        open_order_initial_margin=money(f.open_order_margin),
        adl=0,
        bid_notional=ZERO,
        ask_notional=ZERO,
        update_time=pos.update_time,
    )
