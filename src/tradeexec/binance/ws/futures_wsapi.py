"""USDⓈ-M futures' WebSocket API (``wss://ws-fapi.binance.com/ws-fapi/v1``): the session,
signing, logon, lost-answer rule and reconnects of spot's ``WsApiClient``, with the futures
methods (``order.place``, ``order.modify``, ``order.cancel``, ``order.status``,
``account.status``, ``account.balance``, ``account.position``) and their ``/fapi`` REST twins.

Binance counts these requests against the same limits as ``/fapi`` REST ("shared with the
REST API"), so the session must be given the REST client's ``fapi`` limiter
(``BinanceClient.futures_ws_api`` does): a burst over both then waits for room instead of
drawing 429s. The futures WebSocket API has no ``time`` method; the server-time offset comes
from REST's ``/fapi/v1/time`` (``time_offset``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Unpack

import msgspec

from tradeexec.binance.enums import Side
from tradeexec.binance.models.futures import FuturesBalance, FuturesOrder
from tradeexec.binance.models.futures_positions import FuturesAccountV3, PositionRiskV3
from tradeexec.binance.net.auth import Signer
from tradeexec.binance.net.transport import new_client_order_id as make_client_order_id
from tradeexec.binance.rest.futures_order_params import FuturesOrderOptions, new_order_params
from tradeexec.binance.rest.futures_trade import ModifyOptions, batch_modify, modify_params
from tradeexec.binance.rest.params import Number, check_symbol
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.binance.ws.wsapi_wire import one_order_params

__all__ = ["FUTURES_REST_TWIN", "FuturesWsApi"]

FUTURES_REST_TWIN: Mapping[str, tuple[str, str]] = {
    "order.place": ("POST", "/fapi/v1/order"),
    "order.modify": ("PUT", "/fapi/v1/order"),
    "order.cancel": ("DELETE", "/fapi/v1/order"),
    "order.status": ("GET", "/fapi/v1/order"),
    "account.status": ("GET", "/fapi/v3/account"),
    "account.balance": ("GET", "/fapi/v3/balance"),
    "account.position": ("GET", "/fapi/v3/positionRisk"),
}

_ORDER = msgspec.json.Decoder(FuturesOrder)
_ACCOUNT = msgspec.json.Decoder(FuturesAccountV3)
_BALANCES = msgspec.json.Decoder(list[FuturesBalance])
_POSITIONS = msgspec.json.Decoder(list[PositionRiskV3])


class FuturesWsApi(WsApiClient):
    """``async with client.futures_ws_api() as api:`` then ``await api.futures_place_order(...)``.
    The futures calls are named as the REST client's ``futures_*`` ones; the spot calls it
    inherits have no method on this API (the server answers -1020)."""

    rest_twins = FUTURES_REST_TWIN

    def __init__(
        self,
        url: str,
        api_key: str,
        signer: Signer,
        *,
        time_offset: Callable[[], Awaitable[float]] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(url, api_key, signer, **options)
        self._time_offset = time_offset

    async def _sync_time(self) -> None:
        """The offset from REST (no ``time`` method here); 0 without a source."""
        if self._time_offset is not None:
            self._time_offset_ms = await self._time_offset()
        self._time_syncs += 1

    async def futures_place_order(
        self, symbol: str, side: Side | str, type: str, **options: Unpack[FuturesOrderOptions]
    ) -> FuturesOrder:
        """``order.place``, checked as REST's ``futures_new_order``; the client order id is
        always set, so that an unknown outcome can be looked up."""
        client_id = options.get("new_client_order_id") or make_client_order_id()
        options["new_client_order_id"] = client_id
        params = new_order_params(symbol, side, type, **options)
        return await self.call(
            "order.place", params, _ORDER.decode, order_ref=(str(params["symbol"]), client_id)
        )

    async def futures_modify_order(
        self, symbol: str, side: Side | str, quantity: Number, **options: Unpack[ModifyOptions]
    ) -> FuturesOrder:
        """``order.modify``: a resting LIMIT order's new price and quantity (REST's
        ``futures_modify_order``)."""
        mod = batch_modify(symbol, side, quantity, **options)
        ref = (mod.symbol, mod.orig_client_order_id or str(mod.order_id))
        return await self.call("order.modify", modify_params(mod), _ORDER.decode, order_ref=ref)

    async def futures_cancel_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> FuturesOrder:
        params = one_order_params(check_symbol(symbol), order_id, orig_client_order_id)
        ref = (symbol, orig_client_order_id or str(order_id))
        return await self.call("order.cancel", params, _ORDER.decode, order_ref=ref)

    async def futures_order_status(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> FuturesOrder:
        params = one_order_params(check_symbol(symbol), order_id, orig_client_order_id)
        return await self.call("order.status", params, _ORDER.decode)

    async def futures_account(self) -> FuturesAccountV3:
        return await self.call("account.status", {}, _ACCOUNT.decode)

    async def futures_balance(self) -> list[FuturesBalance]:
        return await self.call("account.balance", {}, _BALANCES.decode)

    async def futures_positions(self) -> list[PositionRiskV3]:
        return await self.call("account.position", {}, _POSITIONS.decode)
