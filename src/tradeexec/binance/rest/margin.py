"""Typed calls of the cross and isolated Margin group, as listed in the Korean guide: account,
orders, borrow and repay, transfers.

Margin orders share the spot order parameters and checks (``order_args``) and add
``sideEffectType`` (automatic borrow/repay) and ``isIsolated``.
"""

from __future__ import annotations

from typing import Any, Literal, Unpack

from tradeexec.binance.enums import OrderResponseType, OrderType, Side
from tradeexec.binance.models import OrderAck
from tradeexec.binance.models.margin import MarginAccount, MarginOrder, MarginOrderResponse, TranIdResponse
from tradeexec.binance.rest.api import RecvWindow, RestApi
from tradeexec.binance.rest.order_args import OrderOptions, order_args
from tradeexec.binance.rest.params import Number, check_decimal, check_symbol
from tradeexec.errors import InvalidParameter

__all__ = ["MarginApi"]

SideEffect = Literal["NO_SIDE_EFFECT", "MARGIN_BUY", "AUTO_REPAY", "AUTO_BORROW_REPAY"]
_SIDE_EFFECTS = frozenset({"NO_SIDE_EFFECT", "MARGIN_BUY", "AUTO_REPAY", "AUTO_BORROW_REPAY"})


def _isolated(flag: bool) -> str | None:
    # Binance takes the string "TRUE"; "FALSE" is the default and is left out.
    return "TRUE" if flag else None


class MarginApi(RestApi):
    async def margin_account(self, *, recv_window: RecvWindow = None) -> MarginAccount:
        return await self.request(
            "GET", "/sapi/v1/margin/account", model=MarginAccount, recv_window=recv_window
        )

    async def isolated_margin_account(
        self, symbols: list[str] | None = None, *, recv_window: RecvWindow = None
    ) -> Any:
        """Isolated margin account as plain JSON (numbers Decimal)."""
        params = {
            "symbols": None if symbols is None else ",".join(check_symbol(s, "symbols") for s in symbols)
        }
        return await self.call("GET", "/sapi/v1/margin/isolated/account", params, recv_window=recv_window)

    async def margin_new_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        side_effect_type: SideEffect | None = None,
        is_isolated: bool = False,
        recv_window: RecvWindow = None,
        **options: Unpack[OrderOptions],
    ) -> OrderAck | MarginOrderResponse:
        """A margin order (``options``: the spot ``OrderOptions``); ``side_effect_type``
        MARGIN_BUY borrows, AUTO_REPAY repays. Unknown outcomes raise ``OrderStatusUnknown``
        as for spot."""
        if side_effect_type is not None and side_effect_type not in _SIDE_EFFECTS:
            raise InvalidParameter(
                "sideEffectType", f"must be one of {sorted(_SIDE_EFFECTS)}", side_effect_type
            )
        options.setdefault("new_order_resp_type", OrderResponseType.FULL)
        args = order_args(symbol, side, type, **options)
        params = {**args.params, "isIsolated": _isolated(is_isolated), "sideEffectType": side_effect_type}
        model = OrderAck if params.get("newOrderRespType") == OrderResponseType.ACK else MarginOrderResponse
        return await self.request(
            "POST", "/sapi/v1/margin/order", params, model=model, recv_window=recv_window
        )

    async def margin_get_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        is_isolated: bool = False,
        recv_window: RecvWindow = None,
    ) -> MarginOrder:
        params = _order_ref(symbol, order_id, orig_client_order_id, is_isolated)
        return await self.request(
            "GET", "/sapi/v1/margin/order", params, model=MarginOrder, recv_window=recv_window
        )

    async def margin_cancel_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        is_isolated: bool = False,
        recv_window: RecvWindow = None,
    ) -> MarginOrder:
        params = _order_ref(symbol, order_id, orig_client_order_id, is_isolated)
        return await self.request(
            "DELETE", "/sapi/v1/margin/order", params, model=MarginOrder, recv_window=recv_window
        )

    async def margin_open_orders(
        self, symbol: str | None = None, *, is_isolated: bool = False, recv_window: RecvWindow = None
    ) -> list[MarginOrder]:
        params = {
            "symbol": None if symbol is None else check_symbol(symbol),
            "isIsolated": _isolated(is_isolated),
        }
        return await self.request(
            "GET", "/sapi/v1/margin/openOrders", params, model=list[MarginOrder], recv_window=recv_window
        )

    async def margin_borrow_repay(
        self,
        asset: str,
        amount: Number,
        type: Literal["BORROW", "REPAY"],
        *,
        symbol: str | None = None,
        is_isolated: bool = False,
        recv_window: RecvWindow = None,
    ) -> TranIdResponse:
        """Borrow or repay (``POST /sapi/v1/margin/borrow-repay``, which replaced loan/repay);
        not retried: a second borrow would borrow twice."""
        if type not in ("BORROW", "REPAY"):
            raise InvalidParameter("type", "must be BORROW or REPAY", repr(type))
        if is_isolated and symbol is None:
            raise InvalidParameter("symbol", "mandatory for isolated margin", "missing")
        params = {
            "asset": check_symbol(asset, "asset"),
            "isIsolated": "TRUE" if is_isolated else "FALSE",
            "symbol": None if symbol is None else check_symbol(symbol),
            "amount": check_decimal("amount", amount),
            "type": type,
        }
        return await self.request(
            "POST", "/sapi/v1/margin/borrow-repay", params, model=TranIdResponse, recv_window=recv_window
        )

    async def margin_max_borrowable(
        self, asset: str, *, isolated_symbol: str | None = None, recv_window: RecvWindow = None
    ) -> Any:
        """``{"amount", "borrowLimit"}`` as plain JSON."""
        params = {
            "asset": check_symbol(asset, "asset"),
            "isolatedSymbol": None
            if isolated_symbol is None
            else check_symbol(isolated_symbol, "isolatedSymbol"),
        }
        return await self.call("GET", "/sapi/v1/margin/maxBorrowable", params, recv_window=recv_window)

    async def margin_transfer(
        self, asset: str, amount: Number, type: Literal[1, 2], *, recv_window: RecvWindow = None
    ) -> TranIdResponse:
        """Move ``asset`` between spot and cross margin: 1 spot to margin, 2 margin to spot."""
        if type not in (1, 2):
            raise InvalidParameter("type", "must be 1 (spot to margin) or 2 (margin to spot)", repr(type))
        params = {
            "asset": check_symbol(asset, "asset"),
            "amount": check_decimal("amount", amount),
            "type": type,
        }
        return await self.request(
            "POST", "/sapi/v1/margin/transfer", params, model=TranIdResponse, recv_window=recv_window
        )


def _order_ref(
    symbol: str, order_id: int | None, orig_client_order_id: str | None, is_isolated: bool
) -> dict[str, object]:
    if order_id is None and orig_client_order_id is None:
        raise InvalidParameter("orderId", "give orderId or origClientOrderId", "both missing")
    return {
        "symbol": check_symbol(symbol),
        "isIsolated": _isolated(is_isolated),
        "orderId": order_id,
        "origClientOrderId": orig_client_order_id,
    }
