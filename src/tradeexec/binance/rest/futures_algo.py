"""Typed calls of the USDⓈ-M Algo Service (``/fapi/v1/algoOrder``, ``/openAlgoOrders``).

Since 2025-12-09 Binance refuses conditional orders (STOP, STOP_MARKET, TAKE_PROFIT,
TAKE_PROFIT_MARKET, TRAILING_STOP_MARKET) on ``POST /fapi/v1/order``: they are held by the
Algo Service until their trigger price is reached, then sent to the book, and report through
ALGO_UPDATE. The answers decode into the structs the local exchange encodes with.
"""

from __future__ import annotations

from typing import Literal

from tradeexec.binance.enums import Side
from tradeexec.binance.models.futures_algo import AlgoCancelResponse, FuturesAlgoOrder
from tradeexec.binance.rest.api import RecvWindow, RestApi
from tradeexec.binance.rest.params import (
    Number,
    check_enum,
    check_symbol,
    opt_client_id,
    opt_decimal,
    opt_order_id,
)
from tradeexec.errors import InvalidParameter

__all__ = ["CONDITIONAL_TYPES", "FuturesAlgoApi"]

CONDITIONAL_TYPES = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
_ALGO_TIF = frozenset({"GTC", "IOC", "FOK"})
# The types that trade at a limit price once triggered, and those that send a market order.
_WITH_PRICE = frozenset({"STOP", "TAKE_PROFIT"})
_CLOSE_ALL = frozenset({"STOP_MARKET", "TAKE_PROFIT_MARKET"})


def _flag(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _check_shape(
    kind: str,
    *,
    quantity: Number | None,
    price: Number | None,
    trigger_price: Number | None,
    close_position: bool | None,
    callback_rate: Number | None,
) -> None:
    """The combinations Binance requires per conditional type, refused before sending."""
    if close_position and kind not in _CLOSE_ALL:
        raise InvalidParameter("closePosition", "only with STOP_MARKET or TAKE_PROFIT_MARKET", kind)
    if close_position and quantity is not None:
        raise InvalidParameter("quantity", "cannot be sent with closePosition=true", "both given")
    if not close_position and quantity is None:
        raise InvalidParameter("quantity", f"mandatory for {kind} unless closePosition=true", "missing")
    if kind == "TRAILING_STOP_MARKET":
        if callback_rate is None:
            raise InvalidParameter("callbackRate", "mandatory for TRAILING_STOP_MARKET", "missing")
        return
    if trigger_price is None:
        raise InvalidParameter("triggerPrice", f"mandatory for {kind}", "missing")
    if kind in _WITH_PRICE and price is None:
        raise InvalidParameter("price", f"mandatory for {kind} (the limit price once triggered)", "missing")


class FuturesAlgoApi(RestApi):
    async def futures_new_algo_order(
        self,
        symbol: str,
        side: Side | str,
        type: str,
        *,
        quantity: Number | None = None,
        price: Number | None = None,
        trigger_price: Number | None = None,
        time_in_force: str | None = None,
        position_side: Literal["BOTH", "LONG", "SHORT"] | None = None,
        working_type: Literal["MARK_PRICE", "CONTRACT_PRICE"] | None = None,
        reduce_only: bool | None = None,
        close_position: bool | None = None,
        price_protect: bool | None = None,
        activate_price: Number | None = None,
        callback_rate: Number | None = None,
        client_algo_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> FuturesAlgoOrder:
        """A conditional order (``algoType=CONDITIONAL``). Never retried: an unknown outcome
        raises ``OrderStatusUnknown`` with the ``clientAlgoId`` (generated when not given),
        to be looked up with ``futures_get_algo_order``."""
        if type not in CONDITIONAL_TYPES:
            raise InvalidParameter(
                "type", f"the Algo Service takes {', '.join(sorted(CONDITIONAL_TYPES))}", repr(type)
            )
        if time_in_force is not None and time_in_force not in _ALGO_TIF:
            allowed = ", ".join(sorted(_ALGO_TIF))
            raise InvalidParameter("timeInForce", f"must be one of {allowed}", repr(time_in_force))
        _check_shape(
            type,
            quantity=quantity,
            price=price,
            trigger_price=trigger_price,
            close_position=close_position,
            callback_rate=callback_rate,
        )
        params = {
            "algoType": "CONDITIONAL",
            "symbol": check_symbol(symbol),
            "side": check_enum("side", side, Side),
            "positionSide": position_side,
            "type": type,
            "timeInForce": time_in_force,
            "quantity": opt_decimal("quantity", quantity),
            "price": opt_decimal("price", price),
            "triggerPrice": opt_decimal("triggerPrice", trigger_price),
            "workingType": working_type,
            "reduceOnly": _flag(reduce_only),
            "closePosition": _flag(close_position),
            "priceProtect": _flag(price_protect),
            "activatePrice": opt_decimal("activatePrice", activate_price),
            "callbackRate": opt_decimal("callbackRate", callback_rate),
            "clientAlgoId": opt_client_id("clientAlgoId", client_algo_id),
        }
        return await self.request(
            "POST", "/fapi/v1/algoOrder", params, model=FuturesAlgoOrder, recv_window=recv_window
        )

    async def futures_get_algo_order(
        self,
        *,
        algo_id: int | None = None,
        client_algo_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> FuturesAlgoOrder:
        params = _algo_ref(algo_id, client_algo_id)
        return await self.request(
            "GET", "/fapi/v1/algoOrder", params, model=FuturesAlgoOrder, recv_window=recv_window
        )

    async def futures_cancel_algo_order(
        self,
        symbol: str,
        *,
        algo_id: int | None = None,
        client_algo_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> AlgoCancelResponse:
        params = {"symbol": check_symbol(symbol), **_algo_ref(algo_id, client_algo_id)}
        return await self.request(
            "DELETE", "/fapi/v1/algoOrder", params, model=AlgoCancelResponse, recv_window=recv_window
        )

    async def futures_open_algo_orders(
        self, symbol: str | None = None, *, recv_window: RecvWindow = None
    ) -> list[FuturesAlgoOrder]:
        params = {"symbol": None if symbol is None else check_symbol(symbol)}
        return await self.request(
            "GET", "/fapi/v1/openAlgoOrders", params, model=list[FuturesAlgoOrder], recv_window=recv_window
        )


def _algo_ref(algo_id: int | None, client_algo_id: str | None) -> dict[str, object]:
    if algo_id is None and not client_algo_id:
        raise InvalidParameter("algoId", "give algoId or clientAlgoId", "both missing")
    return {
        "algoId": opt_order_id("algoId", algo_id),
        "clientAlgoId": opt_client_id("clientAlgoId", client_algo_id),
    }
