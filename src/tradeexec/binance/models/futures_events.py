"""USDT-M futures user-data events (listenKey stream, ``/private/ws/<listenKey>``), tagged on
``e``: ORDER_TRADE_UPDATE, TRADE_LITE, ACCOUNT_UPDATE (with its reason ``m``), ALGO_UPDATE,
MARGIN_CALL, ACCOUNT_CONFIG_UPDATE and listenKeyExpired, with the short field names of
Binance's "User Data Streams" pages. The local exchange encodes them; a futures client
decodes them with the same structs (``FUTURES_USER_EVENT_DECODER``). Fields Binance sends
only in some cases default, so one shape decodes every variant the pages show."""

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


class TradeLite(_Event, tag="TRADE_LITE", frozen=True, kw_only=True):
    """The low-latency subset of a fill (execution type TRADE only), sent before the full
    ORDER_TRADE_UPDATE of the same trade."""

    transaction_time: int = msgspec.field(name="T")
    symbol: str = msgspec.field(name="s")
    quantity: Decimal = msgspec.field(name="q")
    price: Decimal = msgspec.field(name="p")
    is_maker: bool = msgspec.field(name="m")
    client_order_id: str = msgspec.field(name="c")
    side: str = msgspec.field(name="S")
    last_filled_price: Decimal = msgspec.field(name="L")
    last_filled_qty: Decimal = msgspec.field(name="l")
    trade_id: int = msgspec.field(name="t")
    order_id: int = msgspec.field(name="i")


class AlgoOrderData(msgspec.Struct, frozen=True, kw_only=True):
    """The ``o`` object of ALGO_UPDATE; ``actual_*`` describe the order the trigger sent to the
    book (empty or zero before it fired)."""

    client_algo_id: str = msgspec.field(name="caid")
    algo_id: int = msgspec.field(name="aid")
    algo_type: str = msgspec.field(name="at")
    order_type: str = msgspec.field(name="o")
    symbol: str = msgspec.field(name="s")
    side: str = msgspec.field(name="S")
    position_side: str = msgspec.field(name="ps")
    time_in_force: str = msgspec.field(name="f")
    quantity: Decimal = msgspec.field(name="q")
    algo_status: str = msgspec.field(name="X")
    actual_order_id: str = msgspec.field(name="ai", default="")
    actual_avg_price: Decimal = msgspec.field(name="ap", default=Decimal(0))
    actual_filled_qty: Decimal = msgspec.field(name="aq", default=Decimal(0))
    actual_order_type: str = msgspec.field(name="act", default="")
    trigger_price: Decimal = msgspec.field(name="tp")
    price: Decimal = msgspec.field(name="p")
    self_trade_prevention_mode: str = msgspec.field(name="V", default="")
    working_type: str = msgspec.field(name="wt")
    price_match: str = msgspec.field(name="pm", default="NONE")
    close_position: bool = msgspec.field(name="cp", default=False)
    price_protect: bool = msgspec.field(name="pP", default=False)
    reduce_only: bool = msgspec.field(name="R", default=False)
    trigger_time: int = msgspec.field(name="tt", default=0)
    good_till_date: int = msgspec.field(name="gtd", default=0)
    reject_reason: str = msgspec.field(name="rm", default="")


class AlgoUpdate(_Event, tag="ALGO_UPDATE", frozen=True, kw_only=True):
    transaction_time: int = msgspec.field(name="T")
    order: AlgoOrderData = msgspec.field(name="o")


class MarginCallPosition(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str = msgspec.field(name="s")
    position_side: str = msgspec.field(name="ps")
    position_amt: Decimal = msgspec.field(name="pa")
    margin_type: str = msgspec.field(name="mt")
    isolated_wallet: Decimal = msgspec.field(name="iw")
    mark_price: Decimal = msgspec.field(name="mp")
    unrealized_pnl: Decimal = msgspec.field(name="up")
    maintenance_margin: Decimal = msgspec.field(name="mm")


class MarginCall(_Event, tag="MARGIN_CALL", frozen=True, kw_only=True):
    """A risk warning, not an instruction: the position may already be liquidated."""

    cross_wallet_balance: Decimal | None = msgspec.field(name="cw", default=None)  # crossed only
    positions: list[MarginCallPosition] = msgspec.field(name="p", default_factory=list)


class SymbolConfig(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str = msgspec.field(name="s")
    leverage: int = msgspec.field(name="l")


class MultiAssetsConfig(msgspec.Struct, frozen=True, kw_only=True):
    multi_assets_mode: bool = msgspec.field(name="j")


class AccountConfigUpdate(_Event, tag="ACCOUNT_CONFIG_UPDATE", frozen=True, kw_only=True):
    """A symbol's leverage changed (``symbol_config``) or the Multi-Assets mode did
    (``account_config``); one of the two is present."""

    transaction_time: int = msgspec.field(name="T")
    symbol_config: SymbolConfig | None = msgspec.field(name="ac", default=None)
    account_config: MultiAssetsConfig | None = msgspec.field(name="ai", default=None)


FuturesUserEvent = (
    OrderTradeUpdate
    | TradeLite
    | FuturesAccountUpdate
    | AlgoUpdate
    | MarginCall
    | AccountConfigUpdate
    | ListenKeyExpired
)
FUTURES_USER_EVENT_DECODER: msgspec.json.Decoder[FuturesUserEvent] = msgspec.json.Decoder(FuturesUserEvent)
