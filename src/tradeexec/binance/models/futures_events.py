"""USDT-M futures user-data events (listenKey stream, ``/private/ws/<listenKey>``), tagged on
``e``: ORDER_TRADE_UPDATE, ACCOUNT_UPDATE (with its reason ``m``) and listenKeyExpired, with
the short field names of Binance's "User Data Streams" pages. The local exchange encodes
them; a futures client decodes them with the same structs."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeexec.binance.models.base import _Event
from tradeexec.binance.models.user_events import ListenKeyExpired


class FuturesOrderData(msgspec.Struct, frozen=True, kw_only=True):
    """The ``o`` object of ORDER_TRADE_UPDATE."""

    symbol: str = msgspec.field(name="s")
    client_order_id: str = msgspec.field(name="c")
    side: str = msgspec.field(name="S")
    order_type: str = msgspec.field(name="o")
    time_in_force: str = msgspec.field(name="f")
    quantity: Decimal = msgspec.field(name="q")
    price: Decimal = msgspec.field(name="p")
    average_price: Decimal = msgspec.field(name="ap")
    stop_price: Decimal = msgspec.field(name="sp")
    execution_type: str = msgspec.field(name="x")
    order_status: str = msgspec.field(name="X")
    order_id: int = msgspec.field(name="i")
    last_filled_qty: Decimal = msgspec.field(name="l")
    cumulative_filled_qty: Decimal = msgspec.field(name="z")
    last_filled_price: Decimal = msgspec.field(name="L")
    commission_asset: str = msgspec.field(name="N")
    commission: Decimal = msgspec.field(name="n")
    trade_time: int = msgspec.field(name="T")
    trade_id: int = msgspec.field(name="t")
    bids_notional: Decimal = msgspec.field(name="b")
    asks_notional: Decimal = msgspec.field(name="a")
    is_maker: bool = msgspec.field(name="m")
    reduce_only: bool = msgspec.field(name="R")
    working_type: str = msgspec.field(name="wt")
    original_type: str = msgspec.field(name="ot")
    position_side: str = msgspec.field(name="ps")
    close_position: bool = msgspec.field(name="cp")
    realized_profit: Decimal = msgspec.field(name="rp")


class OrderTradeUpdate(_Event, tag="ORDER_TRADE_UPDATE", frozen=True, kw_only=True):
    transaction_time: int = msgspec.field(name="T")
    order: FuturesOrderData = msgspec.field(name="o")


class BalanceChange(msgspec.Struct, frozen=True, kw_only=True):
    asset: str = msgspec.field(name="a")
    wallet_balance: Decimal = msgspec.field(name="wb")
    cross_wallet_balance: Decimal = msgspec.field(name="cw")
    balance_change: Decimal = msgspec.field(name="bc")  # except PnL and commission


class PositionChange(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str = msgspec.field(name="s")
    position_amt: Decimal = msgspec.field(name="pa")
    entry_price: Decimal = msgspec.field(name="ep")
    break_even_price: Decimal = msgspec.field(name="bep")
    accumulated_realized: Decimal = msgspec.field(name="cr")
    unrealized_pnl: Decimal = msgspec.field(name="up")
    margin_type: str = msgspec.field(name="mt")
    isolated_wallet: Decimal = msgspec.field(name="iw")
    position_side: str = msgspec.field(name="ps")


class AccountChange(msgspec.Struct, frozen=True, kw_only=True):
    reason: str = msgspec.field(name="m")
    balances: list[BalanceChange] = msgspec.field(name="B", default_factory=list)
    positions: list[PositionChange] = msgspec.field(name="P", default_factory=list)


class FuturesAccountUpdate(_Event, tag="ACCOUNT_UPDATE", frozen=True, kw_only=True):
    transaction_time: int = msgspec.field(name="T")
    account: AccountChange = msgspec.field(name="a")


FuturesUserEvent = OrderTradeUpdate | FuturesAccountUpdate | ListenKeyExpired
