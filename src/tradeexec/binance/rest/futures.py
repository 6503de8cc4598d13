"""Typed calls of USDT-M futures (``/fapi``), as listed in the Korean guide: orders, account,
balance, positions, leverage, margin type, and the listenKey lifecycle futures still use.

These paths go to the venue's USDT-M host (``fapi.binance.com`` live), which the transport
picks from the path, and count against the futures rate-limit budget.
"""

from __future__ import annotations

from typing import Any, Literal, Unpack

import msgspec

from tradeexec.binance.enums import Side
from tradeexec.binance.models import ListenKey
from tradeexec.binance.models.futures import (
    FuturesAccount,
    FuturesBalance,
    FuturesOrder,
    FuturesPosition,
    LeverageResponse,
    MarginTypeResponse,
)
from tradeexec.binance.net.ratelimit import RateLimitRule
from tradeexec.binance.rest.api import RecvWindow, RestApi
from tradeexec.binance.rest.futures_order_params import FuturesOrderOptions, new_order_params
from tradeexec.binance.rest.params import check_int, check_symbol
from tradeexec.errors import InvalidParameter

__all__ = ["FuturesApi"]


class FuturesApi(RestApi):
    async def futures_exchange_info(self) -> Any:
        """USDT-M exchangeInfo as plain JSON; its rate limits are adopted for /fapi."""
        info = await self.call("GET", "/fapi/v1/exchangeInfo")
        limits = info.get("rateLimits") if isinstance(info, dict) else None
        if limits:
            self._use_rate_limits("fapi", msgspec.convert(limits, list[RateLimitRule]))
        return info

    async def futures_new_order(
        self,
        symbol: str,
        side: Side | str,
        type: str,
        *,
        recv_window: RecvWindow = None,
        **options: Unpack[FuturesOrderOptions],
    ) -> FuturesOrder:
        """A USDT-M LIMIT or MARKET order (conditional types are refused here, before
        sending: they belong to ``futures_new_algo_order``). Like spot orders it is never
        retried: an unknown outcome raises ``OrderStatusUnknown`` with the client order ID."""
        params = new_order_params(symbol, side, type, **options)
        return await self.request(
            "POST", "/fapi/v1/order", params, model=FuturesOrder, recv_window=recv_window
        )

    async def futures_get_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> FuturesOrder:
        params = _order_ref(symbol, order_id, orig_client_order_id)
        return await self.request(
            "GET", "/fapi/v1/order", params, model=FuturesOrder, recv_window=recv_window
        )

    async def futures_cancel_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> FuturesOrder:
        params = _order_ref(symbol, order_id, orig_client_order_id)
        return await self.request(
            "DELETE", "/fapi/v1/order", params, model=FuturesOrder, recv_window=recv_window
        )

    async def futures_open_orders(
        self, symbol: str | None = None, *, recv_window: RecvWindow = None
    ) -> list[FuturesOrder]:
        params = {"symbol": None if symbol is None else check_symbol(symbol)}
        return await self.request(
            "GET", "/fapi/v1/openOrders", params, model=list[FuturesOrder], recv_window=recv_window
        )

    async def futures_account(self, *, recv_window: RecvWindow = None) -> FuturesAccount:
        return await self.request("GET", "/fapi/v2/account", model=FuturesAccount, recv_window=recv_window)

    async def futures_balance(self, *, recv_window: RecvWindow = None) -> list[FuturesBalance]:
        return await self.request(
            "GET", "/fapi/v2/balance", model=list[FuturesBalance], recv_window=recv_window
        )

    async def futures_position_risk(
        self, symbol: str | None = None, *, recv_window: RecvWindow = None
    ) -> list[FuturesPosition]:
        params = {"symbol": None if symbol is None else check_symbol(symbol)}
        return await self.request(
            "GET", "/fapi/v2/positionRisk", params, model=list[FuturesPosition], recv_window=recv_window
        )

    async def futures_change_leverage(
        self, symbol: str, leverage: int, *, recv_window: RecvWindow = None
    ) -> LeverageResponse:
        params = {"symbol": check_symbol(symbol), "leverage": check_int("leverage", leverage, 1, 125)}
        return await self.request(
            "POST", "/fapi/v1/leverage", params, model=LeverageResponse, recv_window=recv_window
        )

    async def futures_change_margin_type(
        self, symbol: str, margin_type: Literal["ISOLATED", "CROSSED"], *, recv_window: RecvWindow = None
    ) -> MarginTypeResponse:
        if margin_type not in ("ISOLATED", "CROSSED"):
            raise InvalidParameter("marginType", "must be ISOLATED or CROSSED", repr(margin_type))
        params = {"symbol": check_symbol(symbol), "marginType": margin_type}
        return await self.request(
            "POST", "/fapi/v1/marginType", params, model=MarginTypeResponse, recv_window=recv_window
        )

    async def futures_listen_key(self) -> str:
        """Create (or get the current) futures listenKey; it expires after 60 minutes
        without a keep-alive."""
        return (await self.request("POST", "/fapi/v1/listenKey", model=ListenKey)).listen_key

    async def futures_keepalive_listen_key(self) -> None:
        """Extend the listenKey by 60 minutes; send about every 30 minutes."""
        await self.request("PUT", "/fapi/v1/listenKey")

    async def futures_close_listen_key(self) -> None:
        await self.request("DELETE", "/fapi/v1/listenKey")


def _order_ref(symbol: str, order_id: int | None, orig_client_order_id: str | None) -> dict[str, object]:
    if order_id is None and orig_client_order_id is None:
        raise InvalidParameter("orderId", "give orderId or origClientOrderId", "both missing")
    return {"symbol": check_symbol(symbol), "orderId": order_id, "origClientOrderId": orig_client_order_id}
