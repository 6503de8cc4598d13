"""Typed calls of the Wallet (SAPI) group that the execution layer reads before trading: is
the exchange up, may the account trade, what is this API key allowed to do."""

from __future__ import annotations

from typing import Any

from tradeexec.binance.models.wallet import AccountStatus, ApiRestrictions, ApiTradingStatus, SystemStatus
from tradeexec.binance.rest.api import RecvWindow, RestApi

__all__ = ["WalletApi"]


class WalletApi(RestApi):
    async def system_status(self) -> SystemStatus:
        """0 normal, 1 maintenance: the one wallet call that needs no key."""
        return await self.request("GET", "/sapi/v1/system/status", model=SystemStatus)

    async def account_status(self, *, recv_window: RecvWindow = None) -> AccountStatus:
        return await self.request(
            "GET", "/sapi/v1/account/status", model=AccountStatus, recv_window=recv_window
        )

    async def api_trading_status(self, *, recv_window: RecvWindow = None) -> ApiTradingStatus:
        """Whether automated trading is locked for this account (and the indicators why)."""
        return await self.request(
            "GET", "/sapi/v1/account/apiTradingStatus", model=ApiTradingStatus, recv_window=recv_window
        )

    async def api_restrictions(self, *, recv_window: RecvWindow = None) -> ApiRestrictions:
        """The permissions of the API key in use, to refuse to start with a key that may
        withdraw or cannot trade."""
        return await self.request(
            "GET", "/sapi/v1/account/apiRestrictions", model=ApiRestrictions, recv_window=recv_window
        )

    async def coins_info(self, *, recv_window: RecvWindow = None) -> list[dict[str, Any]]:
        """Every coin's deposit/withdraw networks and fees, as plain JSON (numbers Decimal):
        the shape is large and changes often, so it is not given a struct."""
        return await self.request(
            "GET", "/sapi/v1/capital/config/getall", model=list[dict[str, Any]], recv_window=recv_window
        )
