"""Typed USDT-M futures trading calls beyond one new order (``/fapi``): modify an order,
batches of up to 5 new or modified orders and up to 10 cancels, the auto-cancel countdown,
and isolated position margin with its history.

A batch answers each order in its place: the order, or Binance's ``{code, msg}`` for that
order alone (``FuturesBatchAnswer``); the others were placed. Like every order call, none of
these is ever resent by the transport.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal, TypedDict, Unpack

import msgspec

from tradeexec.binance.enums import Side
from tradeexec.binance.errors.body import ErrorBody
from tradeexec.binance.models.futures import FuturesOrder, MarginTypeResponse
from tradeexec.binance.models.futures_trade import (
    CountdownCancelAll,
    FuturesBatchAnswer,
    FuturesBatchModify,
    FuturesBatchOrder,
    MultiAssetsMode,
    PositionMarginChange,
    PositionMarginResult,
)
from tradeexec.binance.rest.api import RecvWindow, RestApi
from tradeexec.binance.rest.futures_order_params import (
    FuturesOrderOptions,
    check_price_match,
    new_order_params,
)
from tradeexec.binance.rest.params import (
    Number,
    check_decimal,
    check_enum,
    check_int,
    check_symbol,
    opt_client_id,
    opt_limit,
    opt_order_id,
    opt_time,
)
from tradeexec.errors import InvalidParameter

__all__ = ["FuturesTradeApi", "ModifyOptions", "batch_modify", "batch_order", "modify_params"]

MAX_BATCH = 5  # orders per POST/PUT batchOrders
MAX_BATCH_CANCEL = 10  # ids per DELETE batchOrders
_ENCODER = msgspec.json.Encoder()
_PROBE = msgspec.json.Decoder(ErrorBody)
_ORDER = msgspec.json.Decoder(FuturesOrder, float_hook=Decimal)


def _text(value: object) -> str:
    """A parameter as a batch element carries it: text, ``"true"``/``"false"`` for flags."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def batch_order(
    symbol: str, side: Side | str, type: str, **options: Unpack[FuturesOrderOptions]
) -> FuturesBatchOrder:
    """One order of a batch, checked as ``futures_new_order`` checks a single one (LIMIT or
    MARKET: conditional orders go to the Algo Service)."""
    params = new_order_params(symbol, side, type, **options)
    return msgspec.convert({k: _text(v) for k, v in params.items() if v is not None}, FuturesBatchOrder)


class ModifyOptions(TypedDict, total=False):
    """Which order a modification names (by id, else by client id) and its new price (or
    ``price_match``); the "Modify Order" parameters besides symbol, side and quantity."""

    price: Number | None
    order_id: int | None
    orig_client_order_id: str | None
    price_match: str | None


def batch_modify(
    symbol: str, side: Side | str, quantity: Number, **options: Unpack[ModifyOptions]
) -> FuturesBatchModify:
    """One checked modification (of a batch, or alone: REST's and the WebSocket API's
    ``futures_modify_order`` send the same fields)."""
    price, price_match = options.get("price"), options.get("price_match")
    order_id, orig_client_order_id = options.get("order_id"), options.get("orig_client_order_id")
    _need_ref(order_id, orig_client_order_id)
    if (price is None) == (price_match is None):
        raise InvalidParameter("price", "give price or priceMatch, not both", "")
    ref = opt_order_id("orderId", order_id)
    return FuturesBatchModify(
        symbol=check_symbol(symbol),
        side=str(check_enum("side", side, Side)),
        quantity=format(check_decimal("quantity", quantity), "f"),
        order_id=None if ref is None else str(ref),
        orig_client_order_id=opt_client_id("origClientOrderId", orig_client_order_id),
        price=None if price is None else _text(check_decimal("price", price)),
        price_match=check_price_match(price_match),
    )


def modify_params(mod: FuturesBatchModify) -> dict[str, object]:
    """A modification as the parameters of one request (the order id as a number)."""
    params: dict[str, object] = msgspec.to_builtins(mod)
    if mod.order_id is not None:
        params["orderId"] = int(mod.order_id)
    return params


def _need_ref(order_id: int | None, orig_client_order_id: str | None) -> None:
    if order_id is None and orig_client_order_id is None:
        raise InvalidParameter("orderId", "give orderId or origClientOrderId", "both missing")


def _batch_param(items: Sequence[msgspec.Struct], limit: int) -> str:
    if not 1 <= len(items) <= limit:
        raise InvalidParameter("batchOrders", f"takes 1 to {limit} orders", str(len(items)))
    return _ENCODER.encode(list(items)).decode()


def _answers(raw: list[msgspec.Raw]) -> list[FuturesBatchAnswer]:
    """Each place: an error body when it carries a code, else the order."""
    out: list[FuturesBatchAnswer] = []
    for item in raw:
        probe = _PROBE.decode(item)
        out.append(probe if probe.code is not None else _ORDER.decode(item))
    return out


class FuturesTradeApi(RestApi):
    async def futures_modify_order(
        self,
        symbol: str,
        side: Side | str,
        quantity: Number,
        *,
        recv_window: RecvWindow = None,
        **options: Unpack[ModifyOptions],
    ) -> FuturesOrder:
        """``PUT /fapi/v1/order``: a resting LIMIT order's new price (or ``price_match``) and
        quantity; it keeps its ids and goes to the back of the queue at the new price."""
        params = modify_params(batch_modify(symbol, side, quantity, **options))
        return await self.request(
            "PUT", "/fapi/v1/order", params, model=FuturesOrder, recv_window=recv_window
        )

    async def futures_batch_orders(
        self, orders: Sequence[FuturesBatchOrder], *, recv_window: RecvWindow = None
    ) -> list[FuturesBatchAnswer]:
        """``POST /fapi/v1/batchOrders``: up to 5 orders built with ``batch_order``."""
        return await self._batch("POST", {"batchOrders": _batch_param(orders, MAX_BATCH)}, recv_window)

    async def futures_batch_modify(
        self, mods: Sequence[FuturesBatchModify], *, recv_window: RecvWindow = None
    ) -> list[FuturesBatchAnswer]:
        """``PUT /fapi/v1/batchOrders``: up to 5 modifications built with ``batch_modify``."""
        return await self._batch("PUT", {"batchOrders": _batch_param(mods, MAX_BATCH)}, recv_window)

    async def _batch(
        self, method: str, params: dict[str, object], recv_window: RecvWindow
    ) -> list[FuturesBatchAnswer]:
        raw = await self.request(
            method, "/fapi/v1/batchOrders", params, model=list[msgspec.Raw], recv_window=recv_window
        )
        return _answers(raw)

    async def futures_batch_cancel(
        self,
        symbol: str,
        *,
        order_ids: Sequence[int] | None = None,
        orig_client_order_ids: Sequence[str] | None = None,
        recv_window: RecvWindow = None,
    ) -> list[FuturesBatchAnswer]:
        """``DELETE /fapi/v1/batchOrders``: up to 10 orders by id or by client id (one list,
        not both); an order that could not be canceled answers -2011 in its place."""
        if (order_ids is None) == (orig_client_order_ids is None):
            raise InvalidParameter("orderIdList", "give orderIdList or origClientOrderIdList, not both", "")
        params: dict[str, object] = {"symbol": check_symbol(symbol)}
        if order_ids is not None:
            ids = [opt_order_id("orderIdList", i) for i in order_ids]
            params["orderIdList"] = _batch_param_ids(ids)
        else:
            assert orig_client_order_ids is not None
            names = [opt_client_id("origClientOrderIdList", c) for c in orig_client_order_ids]
            params["origClientOrderIdList"] = _batch_param_ids(names)
        return await self._batch("DELETE", params, recv_window)

    async def futures_countdown_cancel_all(
        self, symbol: str, countdown_ms: int, *, recv_window: RecvWindow = None
    ) -> CountdownCancelAll:
        """``POST /fapi/v1/countdownCancelAll``: cancel the symbol's open orders unless called
        again within ``countdown_ms`` (a heartbeat); 0 stops the countdown."""
        params = {
            "symbol": check_symbol(symbol),
            "countdownTime": check_int("countdownTime", countdown_ms, 0),
        }
        return await self.request(
            "POST", "/fapi/v1/countdownCancelAll", params, model=CountdownCancelAll, recv_window=recv_window
        )

    async def futures_position_margin(
        self,
        symbol: str,
        amount: Number,
        type: Literal[1, 2],
        *,
        position_side: Literal["BOTH", "LONG", "SHORT"] | None = None,
        recv_window: RecvWindow = None,
    ) -> PositionMarginResult:
        """``POST /fapi/v1/positionMargin``: add (1) or reduce (2) an isolated position's margin."""
        if type not in (1, 2):
            raise InvalidParameter("type", "1 adds margin, 2 reduces it", repr(type))
        params = {
            "symbol": check_symbol(symbol),
            "positionSide": position_side,
            "amount": check_decimal("amount", amount),
            "type": type,
        }
        return await self.request(
            "POST", "/fapi/v1/positionMargin", params, model=PositionMarginResult, recv_window=recv_window
        )

    async def futures_change_multi_assets_mode(
        self, multi_assets: bool, *, recv_window: RecvWindow = None
    ) -> MarginTypeResponse:
        """``POST /fapi/v1/multiAssetsMargin``: Multi-Assets (True) or Single-Asset mode."""
        params = {"multiAssetsMargin": "true" if multi_assets else "false"}
        return await self.request(
            "POST", "/fapi/v1/multiAssetsMargin", params, model=MarginTypeResponse, recv_window=recv_window
        )

    async def futures_multi_assets_mode(self, *, recv_window: RecvWindow = None) -> MultiAssetsMode:
        return await self.request(
            "GET", "/fapi/v1/multiAssetsMargin", model=MultiAssetsMode, recv_window=recv_window
        )

    async def futures_position_margin_history(
        self,
        symbol: str,
        *,
        type: Literal[1, 2] | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[PositionMarginChange]:
        params = {
            "symbol": check_symbol(symbol),
            "type": type,
            "startTime": opt_time("startTime", start_time),
            "endTime": opt_time("endTime", end_time),
            "limit": opt_limit(limit, 1000),
        }
        return await self.request(
            "GET",
            "/fapi/v1/positionMargin/history",
            params,
            model=list[PositionMarginChange],
            recv_window=recv_window,
        )


def _batch_param_ids(ids: Sequence[int | str | None]) -> str:
    """Binance's list parameter: JSON with no space after commas (``[1,2]``, ``["a","b"]``)."""
    if not 1 <= len(ids) <= MAX_BATCH_CANCEL:
        raise InvalidParameter("orderIdList", f"takes 1 to {MAX_BATCH_CANCEL} ids", str(len(ids)))
    return _ENCODER.encode(list(ids)).decode()
