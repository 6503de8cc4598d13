"""Wallet (SAPI) responses the execution layer reads before trading: is the exchange up, is
the account allowed to trade, what may this API key do."""

from __future__ import annotations

from typing import ClassVar

import msgspec

from tradeexec.binance.models.base import Model


class SystemStatus(Model, frozen=True, kw_only=True):
    """``GET /sapi/v1/system/status``: 0 normal, 1 system maintenance."""

    NORMAL: ClassVar[int] = 0
    MAINTENANCE: ClassVar[int] = 1

    status: int
    msg: str

    @property
    def is_normal(self) -> bool:
        return self.status == self.NORMAL


class AccountStatus(Model, frozen=True, kw_only=True):
    """``GET /sapi/v1/account/status``: ``data`` is ``"Normal"`` or a reason."""

    data: str


class ApiTradingStatusDetail(Model, frozen=True, kw_only=True):
    is_locked: bool
    planned_recover_time: int
    # Counters such as GCR / IFER / UFR; Binance adds new ones, so they stay a mapping.
    trigger_condition: dict[str, int] = msgspec.field(default_factory=dict)
    update_time: int
    indicators: dict[str, list[dict[str, object]]] = msgspec.field(default_factory=dict)


class ApiTradingStatus(Model, frozen=True, kw_only=True):
    """``GET /sapi/v1/account/apiTradingStatus``."""

    data: ApiTradingStatusDetail


class ApiRestrictions(Model, frozen=True, kw_only=True):
    """``GET /sapi/v1/account/apiRestrictions``: what the API key in use is permitted."""

    ip_restrict: bool
    create_time: int
    enable_withdrawals: bool = False
    enable_internal_transfer: bool = False
    permits_universal_transfer: bool = False
    enable_vanilla_options: bool = False
    enable_reading: bool = False
    enable_futures: bool = False
    enable_margin: bool = False
    enable_spot_and_margin_trading: bool = False
    enable_portfolio_margin_trading: bool = False
    enable_fix_api_trade: bool = False
    enable_fix_read_only: bool = False
    trading_authority_expiration_time: int | None = None
