"""USDT-M futures trading answers beyond a single order (``/fapi``): batch orders, the
auto-cancel countdown, isolated position margin and its history, the Multi-Assets mode, and
the request side of a batch (the JSON list a ``batchOrders`` parameter carries), which the
client encodes and the local exchange decodes with the same structs."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeexec.binance.errors.body import ErrorBody
from tradeexec.binance.models.base import Model
from tradeexec.binance.models.futures import FuturesOrder

FuturesBatchAnswer = FuturesOrder | ErrorBody
"""One place of a batch answer: the order, or Binance's ``{code, msg}`` for that order alone."""


class _Request(msgspec.Struct, rename="camel", frozen=True, kw_only=True, omit_defaults=True):
    """A batch element as Binance reads it: every value is text (``"0.001"``, ``"true"``),
    fields not sent are left out."""


class FuturesBatchOrder(_Request, frozen=True, kw_only=True, omit_defaults=True):
    """One order of ``POST /fapi/v1/batchOrders`` (the "Place Multiple Orders" parameters)."""

    symbol: str
    side: str
    type: str
    quantity: str
    position_side: str | None = None
    time_in_force: str | None = None
    reduce_only: str | None = None
    price: str | None = None
    new_client_order_id: str | None = None
    new_order_resp_type: str | None = None
    price_match: str | None = None
    self_trade_prevention_mode: str | None = None
    good_till_date: str | None = None


class FuturesBatchModify(_Request, frozen=True, kw_only=True, omit_defaults=True):
    """One order of ``PUT /fapi/v1/batchOrders`` (the "Modify Multiple Orders" parameters)."""

    symbol: str
    side: str
    quantity: str
    order_id: str | None = None
    orig_client_order_id: str | None = None
    price: str | None = None
    price_match: str | None = None


class CountdownCancelAll(Model, frozen=True, kw_only=True):
    """``POST /fapi/v1/countdownCancelAll``: the countdown is sent back as text (``"100000"``)."""

    symbol: str
    countdown_time: str

    @property
    def countdown_ms(self) -> int:
        return int(self.countdown_time)


class PositionMarginResult(Model, frozen=True, kw_only=True):
    """``POST /fapi/v1/positionMargin``: ``amount`` is a JSON number there (``100.0``), read
    as a Decimal from its text; ``type`` 1 added, 2 reduced."""

    amount: Decimal
    code: int
    msg: str
    type: int


class PositionMarginChange(Model, frozen=True, kw_only=True):
    """One row of ``GET /fapi/v1/positionMargin/history``."""

    symbol: str
    type: int
    delta_type: str
    amount: Decimal
    asset: str
    time: int
    position_side: str


class MultiAssetsMode(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/multiAssetsMargin``: true in Multi-Assets mode, false in Single-Asset."""

    multi_assets_margin: bool
