"""REST answers about the account: balances, commission rates, own trades, and the listenKey
of the legacy user-data stream."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeexec.binance.models.base import Model


class AssetBalance(Model, frozen=True, kw_only=True):
    asset: str
    free: Decimal
    locked: Decimal


class CommissionRates(Model, frozen=True, kw_only=True):
    maker: Decimal
    taker: Decimal
    buyer: Decimal
    seller: Decimal


class Account(Model, frozen=True, kw_only=True):
    maker_commission: int
    taker_commission: int
    buyer_commission: int
    seller_commission: int
    can_trade: bool
    can_withdraw: bool
    can_deposit: bool
    update_time: int
    account_type: str
    balances: list[AssetBalance]
    permissions: list[str] = msgspec.field(default_factory=list)
    commission_rates: CommissionRates | None = None
    brokered: bool = False
    require_self_trade_prevention: bool = False
    prevent_sor: bool = False
    uid: int | None = None


class MyTrade(Model, frozen=True, kw_only=True):
    symbol: str
    id: int
    order_id: int
    order_list_id: int = -1
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool
    is_best_match: bool


class ListenKey(Model, frozen=True, kw_only=True):
    listen_key: str
