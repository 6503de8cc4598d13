"""USDT-M futures responses (``/fapi/*``). Futures order types and time-in-force values
(STOP_MARKET, TRAILING_STOP_MARKET, GTX, GTD ...) and statuses (NEW_INSURANCE, NEW_ADL) go
beyond the Spot enums, so those fields are ``str``; sides use the shared enum."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeexec.binance.enums import Side
from tradeexec.binance.models.base import Model


class FuturesOrder(Model, frozen=True, kw_only=True):
    """``POST/GET/DELETE /fapi/v1/order`` and ``openOrders``."""

    symbol: str
    order_id: int
    client_order_id: str
    price: Decimal
    orig_qty: Decimal
    executed_qty: Decimal
    cum_quote: Decimal
    avg_price: Decimal | None = None
    cum_qty: Decimal | None = None
    status: str
    time_in_force: str
    type: str
    orig_type: str | None = None
    side: Side
    position_side: str = "BOTH"
    stop_price: Decimal | None = None
    reduce_only: bool = False
    close_position: bool = False
    working_type: str | None = None
    price_protect: bool = False
    activate_price: Decimal | None = None
    price_rate: Decimal | None = None
    price_match: str | None = None
    self_trade_prevention_mode: str | None = None
    good_till_date: int | None = None
    time: int | None = None
    update_time: int


class FuturesPosition(Model, frozen=True, kw_only=True):
    """``GET /fapi/v2/positionRisk`` (v3 drops ``leverage`` and ``marginType``)."""

    symbol: str
    position_amt: Decimal
    entry_price: Decimal
    mark_price: Decimal
    un_realized_profit: Decimal
    liquidation_price: Decimal
    position_side: str = "BOTH"
    leverage: Decimal | None = None  # sent as a string ("10")
    margin_type: str | None = None  # "isolated" / "cross"
    break_even_price: Decimal | None = None
    isolated_margin: Decimal | None = None
    isolated_wallet: Decimal | None = None
    notional: Decimal | None = None
    max_notional_value: Decimal | None = None
    # The wire sends "true"/"false" as a string here.
    is_auto_add_margin: str | None = None
    update_time: int | None = None


class _FuturesMargins(Model, frozen=True, kw_only=True):
    initial_margin: Decimal
    maint_margin: Decimal
    position_initial_margin: Decimal
    open_order_initial_margin: Decimal


class FuturesAccountAsset(_FuturesMargins, frozen=True, kw_only=True):
    asset: str
    wallet_balance: Decimal
    unrealized_profit: Decimal
    margin_balance: Decimal
    cross_wallet_balance: Decimal
    cross_un_pnl: Decimal
    available_balance: Decimal
    max_withdraw_amount: Decimal
    margin_available: bool | None = None
    update_time: int | None = None


class FuturesAccountPosition(_FuturesMargins, frozen=True, kw_only=True):
    symbol: str
    unrealized_profit: Decimal
    position_side: str = "BOTH"
    position_amt: Decimal
    leverage: Decimal | None = None
    isolated: bool | None = None
    entry_price: Decimal | None = None
    max_notional: Decimal | None = None
    update_time: int | None = None


class FuturesTotals(Model, frozen=True, kw_only=True):
    """The account-wide figures both ``/fapi/v2/account`` and ``/fapi/v3/account`` carry."""

    total_initial_margin: Decimal
    total_maint_margin: Decimal
    total_wallet_balance: Decimal
    total_unrealized_profit: Decimal
    total_margin_balance: Decimal
    total_position_initial_margin: Decimal
    total_open_order_initial_margin: Decimal
    total_cross_wallet_balance: Decimal
    total_cross_un_pnl: Decimal
    available_balance: Decimal
    max_withdraw_amount: Decimal


class FuturesAccount(FuturesTotals, frozen=True, kw_only=True):
    """``GET /fapi/v2/account`` (and v3, which drops the permission flags)."""

    assets: list[FuturesAccountAsset] = msgspec.field(default_factory=list)
    positions: list[FuturesAccountPosition] = msgspec.field(default_factory=list)
    fee_tier: int | None = None
    can_trade: bool | None = None
    can_deposit: bool | None = None
    can_withdraw: bool | None = None
    multi_assets_margin: bool | None = None
    update_time: int | None = None


class FuturesBalance(Model, frozen=True, kw_only=True):
    """``GET /fapi/v2/balance`` entry."""

    account_alias: str
    asset: str
    balance: Decimal
    cross_wallet_balance: Decimal
    cross_un_pnl: Decimal
    available_balance: Decimal
    max_withdraw_amount: Decimal
    margin_available: bool | None = None
    update_time: int


class LeverageResponse(Model, frozen=True, kw_only=True):
    """``POST /fapi/v1/leverage``."""

    leverage: int
    max_notional_value: Decimal
    symbol: str


class MarginTypeResponse(Model, frozen=True, kw_only=True):
    """``POST /fapi/v1/marginType``: ``{"code": 200, "msg": "success"}``."""

    code: int
    msg: str = ""
