"""The futures engine's events as Binance's user data stream writes them, each encoded once
with the client's own structs (``binance/models/futures_events.py``): ORDER_TRADE_UPDATE
(TRADE_LITE first for a fill), ACCOUNT_UPDATE, ALGO_UPDATE, ACCOUNT_CONFIG_UPDATE,
MARGIN_CALL (a liquidation's ``autoclose-`` order is an ORDER_TRADE_UPDATE like any)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeexec.binance.models.futures_events import (
    AccountChange,
    AccountConfigUpdate,
    AlgoOrderData,
    AlgoUpdate,
    BalanceChange,
    FuturesAccountUpdate,
    FuturesOrderData,
    MarginCall,
    MarginCallPosition,
    MultiAssetsConfig,
    OrderTradeUpdate,
    PositionChange,
    SymbolConfig,
    TradeLite,
)
from tradeexec.sim.binance.futures_algo import algo_fields
from tradeexec.sim.futures.algo import AlgoOrder
from tradeexec.sim.futures.events import (
    AccountUpdate,
    AlgoChange,
    AssetModeChange,
    FuturesEvent,
    LeverageChange,
    MarginWarning,
    OrderUpdate,
)

_encode = msgspec.json.Encoder().encode
ZERO = Decimal(0)
_EIGHT = Decimal("0.00000001")


def _plain(value: Decimal) -> Decimal:
    """A Decimal whose ``str`` has no exponent (msgspec writes Decimals with ``str``)."""
    return Decimal(format(value, "f"))


def order_event(ev: OrderUpdate) -> bytes:
    order, fill = ev.order, ev.fill
    avg = order.cummulative_quote_qty / order.executed_qty if order.executed_qty else ZERO
    data = FuturesOrderData(
        symbol=order.symbol,
        client_order_id=order.client_order_id,
        side=str(order.side),
        order_type=ev.meta.order_type,
        time_in_force=ev.meta.time_in_force,
        quantity=order.orig_qty,
        price=order.price,
        average_price=_plain(avg.quantize(_EIGHT)),
        stop_price=ZERO,
        execution_type=ev.execution_type,
        order_status="EXPIRED" if str(order.status) == "EXPIRED_IN_MATCH" else str(order.status),
        order_id=order.order_id,
        last_filled_qty=fill.qty if fill else ZERO,
        cumulative_filled_qty=order.executed_qty,
        last_filled_price=fill.price if fill else ZERO,
        commission_asset="USDT",
        commission=_plain(fill.commission) if fill else ZERO,
        trade_time=ev.time,
        trade_id=fill.trade_id if fill else 0,
        bids_notional=ZERO,
        asks_notional=ZERO,
        is_maker=fill.maker if fill else False,
        reduce_only=ev.meta.reduce_only,
        working_type="CONTRACT_PRICE",
        original_type=ev.meta.order_type,
        position_side=ev.meta.position_side,
        close_position=False,
        realized_profit=_plain(fill.realized_pnl) if fill else ZERO,
    )
    return _encode(OrderTradeUpdate(event_time=ev.time, transaction_time=ev.time, order=data))


def account_event(ev: AccountUpdate) -> bytes:
    balance = BalanceChange(
        asset="USDT",
        wallet_balance=_plain(ev.wallet),
        cross_wallet_balance=_plain(ev.cross_wallet),
        balance_change=_plain(ev.balance_change),
    )
    positions = [
        PositionChange(
            symbol=p.symbol,
            position_amt=_plain(p.amt),
            entry_price=_plain(p.entry),
            break_even_price=_plain(p.entry),
            accumulated_realized=_plain(p.realized),
            unrealized_pnl=_plain(p.unrealized.quantize(_EIGHT)),
            margin_type=p.margin_type,
            isolated_wallet=_plain(p.isolated_wallet),
            position_side=p.position_side,
        )
        for p in ev.positions
    ]
    change = AccountChange(reason=ev.reason, balances=[balance], positions=positions)
    return _encode(FuturesAccountUpdate(event_time=ev.time, transaction_time=ev.time, account=change))


def trade_lite(ev: OrderUpdate) -> bytes:
    """The low-latency copy of a fill, sent before its ORDER_TRADE_UPDATE."""
    order, fill = ev.order, ev.fill
    assert fill is not None
    return _encode(
        TradeLite(
            event_time=ev.time,
            transaction_time=ev.time,
            symbol=order.symbol,
            quantity=order.orig_qty,
            price=order.price,
            is_maker=fill.maker,
            client_order_id=order.client_order_id,
            side=str(order.side),
            last_filled_price=fill.price,
            last_filled_qty=fill.qty,
            trade_id=fill.trade_id,
            order_id=order.order_id,
        )
    )


def algo_event(ev: AlgoChange) -> bytes:
    o, actual = ev.order, ev.actual
    executed = actual.executed_qty if actual is not None else ZERO
    avg = actual.cummulative_quote_qty / executed if actual is not None and executed else ZERO
    data = AlgoOrderData(
        **algo_fields(o),
        actual_order_id=str(o.actual_order_id) if o.actual_order_id else "",
        actual_avg_price=_plain(avg.quantize(_EIGHT)),
        actual_filled_qty=executed,
        actual_order_type=_actual_type(o) if actual else "",
        reject_reason="Margin is insufficient." if o.status == "REJECTED" else "",
    )
    return _encode(AlgoUpdate(event_time=ev.time, transaction_time=ev.time, order=data))


def _actual_type(o: AlgoOrder) -> str:
    """The type of the order a fired conditional order sent to the book."""
    return "LIMIT" if o.order_type in ("STOP", "TAKE_PROFIT") else "MARKET"


def config_event(ev: LeverageChange | AssetModeChange) -> bytes:
    """``ac`` for a symbol's leverage, ``ai`` for the Multi-Assets mode."""
    if isinstance(ev, AssetModeChange):
        mode = MultiAssetsConfig(multi_assets_mode=ev.multi_assets)
        return _encode(AccountConfigUpdate(event_time=ev.time, transaction_time=ev.time, account_config=mode))
    config = SymbolConfig(symbol=ev.symbol, leverage=ev.leverage)
    return _encode(AccountConfigUpdate(event_time=ev.time, transaction_time=ev.time, symbol_config=config))


def margin_call_event(ev: MarginWarning) -> bytes:
    positions = [
        MarginCallPosition(
            symbol=p.symbol,
            position_side=p.position_side,
            position_amt=_plain(p.amt),
            margin_type="ISOLATED" if p.margin_type == "isolated" else "CROSSED",
            isolated_wallet=_plain(p.isolated_wallet),
            mark_price=_plain(mark),
            unrealized_pnl=_plain(p.unrealized.quantize(_EIGHT)),
            maintenance_margin=_plain(maint.quantize(_EIGHT)),
        )
        for p, mark, maint in ev.positions
    ]
    cross = None if ev.cross_wallet is None else _plain(ev.cross_wallet)
    return _encode(MarginCall(event_time=ev.time, cross_wallet_balance=cross, positions=positions))


def encode_event(ev: FuturesEvent) -> list[bytes]:
    """The stream messages of one engine event, in the order Binance sends them."""
    if isinstance(ev, OrderUpdate):
        lite = [trade_lite(ev)] if ev.fill is not None and ev.execution_type == "TRADE" else []
        return [*lite, order_event(ev)]
    if isinstance(ev, AccountUpdate):
        return [account_event(ev)]
    if isinstance(ev, AlgoChange):
        return [algo_event(ev)]
    if isinstance(ev, LeverageChange | AssetModeChange):
        return [config_event(ev)]
    return [margin_call_event(ev)]
