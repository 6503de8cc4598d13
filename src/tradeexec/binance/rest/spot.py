"""Typed calls of the Spot API's trading and account groups, on top of ``SpotMarketApi``.

Every argument is checked before anything is sent (see ``params.py``); new orders are, by
default, also checked against the symbol's exchange rules, fetched once and cached, so an
order Binance would refuse for a filter never costs a request or an order-count slot."""

from __future__ import annotations

import time
from typing import Any, Unpack

from tradeexec.binance.enums import (
    OrderResponseType,
    OrderType,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
)
from tradeexec.binance.models import (
    Account,
    CancelReplaceResponse,
    MyTrade,
    Order,
    OrderAck,
    OrderFull,
    OrderList,
    OrderReport,
    RateLimitOrderCount,
    TestOrderResponse,
    decode_cancel_open_orders,
)
from tradeexec.binance.rest.api import RecvWindow, decoder_for
from tradeexec.binance.rest.order_args import OrderArgs, OrderOptions, order_args
from tradeexec.binance.rest.params import (
    Number,
    check_decimal,
    check_enum,
    opt_client_id,
    opt_decimal,
    opt_limit,
    opt_order_id,
    opt_time,
)
from tradeexec.binance.rest.spot_market import SpotMarketApi
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.order_check import NO_MARKET, MarketContext, OrderCheck
from tradeexec.errors import InvalidParameter

_GET, _POST, _DELETE = "GET", "POST", "DELETE"
# The order path's decoders, looked up once rather than per call.
_DECODE_ACK = decoder_for(OrderAck)
_DECODE_FULL = decoder_for(OrderFull)
_DECODE_REPORT = decoder_for(OrderReport)


class SpotApi(SpotMarketApi):
    """Spot general, market data, trading and account calls: ``SpotMarketApi`` plus the order
    and account calls. New orders are, by default, checked against the cached exchange rules."""

    # ---------------------------------------------------------------- trading

    async def new_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        recv_window: RecvWindow = None,
        validate: bool = True,
        market: MarketContext | None = None,
        **options: Unpack[OrderOptions],
    ) -> OrderAck | OrderFull:
        """Place an order (``options``: ``OrderOptions``; the answer is FULL unless
        ``new_order_resp_type`` says otherwise). ``validate`` checks it first against the
        symbol's filters (``market`` supplies the live figures some filters need; without it
        those checks are skipped) and raises ``OrderRejectedLocally`` instead of sending. A
        timeout, 5xx or -1007 raises ``OrderStatusUnknown``: look the order up, do not resend
        it. An ACK answer decodes as ``OrderAck``, RESULT and FULL as ``OrderFull``."""
        options.setdefault("new_order_resp_type", OrderResponseType.FULL)
        args = order_args(symbol, side, type, **options)
        await self._validate(args, validate, market)
        return await self.place(args, recv_window=recv_window)

    async def place(self, args: OrderArgs, *, recv_window: RecvWindow = None) -> OrderAck | OrderFull:
        """Send an order already checked (``order_args``, or the execution core's intent) as it
        is: ``new_order`` without its checks, so that an order is checked once."""
        params = args.params
        decode = _DECODE_ACK if args.new_order_resp_type is OrderResponseType.ACK else _DECODE_FULL
        return await self._call(_POST, "/api/v3/order", params, decode, recv_window)

    async def test_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        compute_commission_rates: bool = False,
        recv_window: RecvWindow = None,
        validate: bool = True,
        market: MarketContext | None = None,
        **options: Unpack[OrderOptions],
    ) -> TestOrderResponse:
        """``POST /api/v3/order/test``: Binance checks the order without placing it."""
        args = order_args(symbol, side, type, **options)
        if not isinstance(compute_commission_rates, bool):
            raise InvalidParameter("computeCommissionRates", "must be a bool", repr(compute_commission_rates))
        await self._validate(args, validate, market)
        params = {**args.params, "computeCommissionRates": compute_commission_rates or None}
        return await self.request(
            _POST, "/api/v3/order/test", params, model=TestOrderResponse, recv_window=recv_window
        )

    async def _validate(self, args: OrderArgs, validate: bool, market: MarketContext | None) -> None:
        if validate:
            rules = self._fresh_rules()
            if rules is None:
                rules = await self.rules()
            rules.validate(args.check, market or NO_MARKET)
        else:
            self._symbol(args.check.symbol)

    def _fresh_rules(self) -> ExchangeRules | None:
        """The cached rules while they are fresh: every order reads them, and reading needs
        no lock (only a reload does)."""
        cache = self._info_cache
        if cache is not None and time.monotonic() - cache[0] <= self.exchange_info_ttl:
            return cache[2]
        return None

    async def get_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> Order:
        params = _one_order(self._symbol(symbol), order_id, orig_client_order_id)
        return await self.request(_GET, "/api/v3/order", params, model=Order, recv_window=recv_window)

    async def cancel_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        new_client_order_id: str | None = None,
        cancel_restrictions: str | None = None,
        recv_window: RecvWindow = None,
    ) -> OrderReport:
        params = {
            **_one_order(self._symbol(symbol), order_id, orig_client_order_id),
            "newClientOrderId": opt_client_id("newClientOrderId", new_client_order_id),
            "cancelRestrictions": cancel_restrictions,
        }
        if cancel_restrictions not in (None, "ONLY_NEW", "ONLY_PARTIALLY_FILLED"):
            raise InvalidParameter(
                "cancelRestrictions", "must be ONLY_NEW or ONLY_PARTIALLY_FILLED", repr(cancel_restrictions)
            )
        return await self._call(_DELETE, "/api/v3/order", params, _DECODE_REPORT, recv_window)

    async def cancel_all_orders(
        self, symbol: str, *, recv_window: RecvWindow = None
    ) -> list[OrderReport | OrderList]:
        """Cancel every open order and order list on ``symbol``."""
        params = {"symbol": self._symbol(symbol)}
        return await self._call(_DELETE, "/api/v3/openOrders", params, decode_cancel_open_orders, recv_window)

    async def cancel_replace(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        cancel_order_id: int | None = None,
        cancel_orig_client_order_id: str | None = None,
        cancel_new_client_order_id: str | None = None,
        cancel_replace_mode: str = "STOP_ON_FAILURE",
        recv_window: RecvWindow = None,
        validate: bool = True,
        market: MarketContext | None = None,
        **options: Unpack[OrderOptions],
    ) -> CancelReplaceResponse:
        """Cancel an order and place a new one in one request. A half success answers 409
        (``CancelReplacePartialSuccess``)."""
        if cancel_replace_mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise InvalidParameter(
                "cancelReplaceMode", "must be STOP_ON_FAILURE or ALLOW_FAILURE", cancel_replace_mode
            )
        if options.setdefault("new_order_resp_type", OrderResponseType.FULL) == OrderResponseType.ACK:
            raise InvalidParameter("newOrderRespType", "must be RESULT or FULL here", "ACK")
        args = order_args(symbol, side, type, **options)
        if (cancel_order_id is None) == (cancel_orig_client_order_id is None):
            raise InvalidParameter(
                "cancelOrderId", "give exactly one of cancelOrderId or cancelOrigClientOrderId", ""
            )
        await self._validate(args, validate, market)
        params = {
            **args.params,
            "cancelReplaceMode": cancel_replace_mode,
            "cancelOrderId": opt_order_id("cancelOrderId", cancel_order_id),
            "cancelOrigClientOrderId": opt_client_id("cancelOrigClientOrderId", cancel_orig_client_order_id),
            "cancelNewClientOrderId": opt_client_id("cancelNewClientOrderId", cancel_new_client_order_id),
        }
        return await self.request(
            _POST, "/api/v3/order/cancelReplace", params, model=CancelReplaceResponse, recv_window=recv_window
        )

    async def open_orders(self, symbol: str | None = None, *, recv_window: RecvWindow = None) -> list[Order]:
        params = {"symbol": None if symbol is None else self._symbol(symbol)}
        return await self.request(
            _GET, "/api/v3/openOrders", params, model=list[Order], recv_window=recv_window
        )

    async def all_orders(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[Order]:
        params = {
            "symbol": self._symbol(symbol),
            "orderId": opt_time("orderId", order_id),
            "startTime": opt_time("startTime", start_time),
            "endTime": opt_time("endTime", end_time),
            "limit": opt_limit(limit, 1000),
        }
        return await self.request(
            _GET, "/api/v3/allOrders", params, model=list[Order], recv_window=recv_window
        )

    async def new_oco(
        self,
        symbol: str,
        side: Side | str,
        quantity: Number,
        price: Number,
        stop_price: Number,
        *,
        stop_limit_price: Number | None = None,
        stop_limit_time_in_force: TimeInForce | str | None = None,
        list_client_order_id: str | None = None,
        limit_client_order_id: str | None = None,
        stop_client_order_id: str | None = None,
        limit_iceberg_qty: Number | None = None,
        stop_iceberg_qty: Number | None = None,
        new_order_resp_type: OrderResponseType | str = OrderResponseType.FULL,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: RecvWindow = None,
        validate: bool = True,
        market: MarketContext | None = None,
    ) -> OrderList:
        """An OCO pair (``POST /api/v3/order/oco``): a LIMIT_MAKER at ``price`` and a stop at
        ``stop_price`` (STOP_LOSS_LIMIT when ``stop_limit_price`` is given). ``validate``
        checks both legs against the symbol's filters first, as ``new_order`` does."""
        limit_price = opt_decimal("stopLimitPrice", stop_limit_price)
        tif = (
            None
            if stop_limit_time_in_force is None
            else check_enum("stopLimitTimeInForce", stop_limit_time_in_force, TimeInForce)
        )
        if (limit_price is None) != (tif is None):
            raise InvalidParameter(
                "stopLimitTimeInForce",
                "stopLimitPrice and stopLimitTimeInForce go together",
                "one is missing",
            )
        params = {
            "symbol": self._symbol(symbol),
            "listClientOrderId": opt_client_id("listClientOrderId", list_client_order_id),
            "side": check_enum("side", side, Side),
            "quantity": check_decimal("quantity", quantity),
            "limitClientOrderId": opt_client_id("limitClientOrderId", limit_client_order_id),
            "price": check_decimal("price", price),
            "limitIcebergQty": opt_decimal("limitIcebergQty", limit_iceberg_qty),
            "stopClientOrderId": opt_client_id("stopClientOrderId", stop_client_order_id),
            "stopPrice": check_decimal("stopPrice", stop_price),
            "stopLimitPrice": limit_price,
            "stopIcebergQty": opt_decimal("stopIcebergQty", stop_iceberg_qty),
            "stopLimitTimeInForce": tif,
            "newOrderRespType": check_enum("newOrderRespType", new_order_resp_type, OrderResponseType),
            "selfTradePreventionMode": (
                None
                if self_trade_prevention_mode is None
                else check_enum(
                    "selfTradePreventionMode", self_trade_prevention_mode, SelfTradePreventionMode
                )
            ),
        }
        if validate:
            rules = await self.rules()
            for leg in _oco_legs(params):
                rules.validate(leg, market or NO_MARKET)
        return await self.request(
            _POST, "/api/v3/order/oco", params, model=OrderList, recv_window=recv_window
        )

    async def get_order_list(
        self,
        *,
        order_list_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> OrderList:
        if (order_list_id is None) == (orig_client_order_id is None):
            raise InvalidParameter("orderListId", "give exactly one of orderListId or origClientOrderId", "")
        params = {
            "orderListId": opt_order_id("orderListId", order_list_id),
            "origClientOrderId": opt_client_id("origClientOrderId", orig_client_order_id),
        }
        return await self.request(_GET, "/api/v3/orderList", params, model=OrderList, recv_window=recv_window)

    async def cancel_order_list(
        self,
        symbol: str,
        *,
        order_list_id: int | None = None,
        list_client_order_id: str | None = None,
        new_client_order_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> OrderList:
        if (order_list_id is None) == (list_client_order_id is None):
            raise InvalidParameter("orderListId", "give exactly one of orderListId or listClientOrderId", "")
        params = {
            "symbol": self._symbol(symbol),
            "orderListId": opt_order_id("orderListId", order_list_id),
            "listClientOrderId": opt_client_id("listClientOrderId", list_client_order_id),
            "newClientOrderId": opt_client_id("newClientOrderId", new_client_order_id),
        }
        return await self.request(
            _DELETE, "/api/v3/orderList", params, model=OrderList, recv_window=recv_window
        )

    async def all_order_lists(
        self,
        *,
        from_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[OrderList]:
        params = {
            "fromId": opt_time("fromId", from_id),
            "startTime": opt_time("startTime", start_time),
            "endTime": opt_time("endTime", end_time),
            "limit": opt_limit(limit, 1000),
        }
        return await self.request(
            _GET, "/api/v3/allOrderList", params, model=list[OrderList], recv_window=recv_window
        )

    async def open_order_lists(self, *, recv_window: RecvWindow = None) -> list[OrderList]:
        return await self.request(
            _GET, "/api/v3/openOrderList", model=list[OrderList], recv_window=recv_window
        )

    # ---------------------------------------------------------------- account

    async def account(
        self, *, omit_zero_balances: bool | None = None, recv_window: RecvWindow = None
    ) -> Account:
        params = {"omitZeroBalances": omit_zero_balances}
        return await self.request(_GET, "/api/v3/account", params, model=Account, recv_window=recv_window)

    async def my_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[MyTrade]:
        params = {
            "symbol": self._symbol(symbol),
            "orderId": opt_time("orderId", order_id),
            "startTime": opt_time("startTime", start_time),
            "endTime": opt_time("endTime", end_time),
            "fromId": opt_time("fromId", from_id),
            "limit": opt_limit(limit, 1000),
        }
        return await self.request(
            _GET, "/api/v3/myTrades", params, model=list[MyTrade], recv_window=recv_window
        )

    async def rate_limit_order(self, *, recv_window: RecvWindow = None) -> list[RateLimitOrderCount]:
        """The account's current order-count usage per ORDERS window."""
        return await self.request(
            _GET, "/api/v3/rateLimit/order", model=list[RateLimitOrderCount], recv_window=recv_window
        )


def _one_order(symbol: str, order_id: int | None, orig_client_order_id: str | None) -> dict[str, object]:
    if order_id is None and orig_client_order_id is None:
        raise InvalidParameter("orderId", "give orderId or origClientOrderId", "both missing")
    return {
        "symbol": symbol,
        "orderId": opt_order_id("orderId", order_id),
        "origClientOrderId": opt_client_id("origClientOrderId", orig_client_order_id),
    }


def _oco_legs(params: dict[str, Any]) -> tuple[OrderCheck, OrderCheck]:
    """The two orders of an OCO as the filters see them: the LIMIT_MAKER and the stop."""
    symbol, side, qty = params["symbol"], params["side"], params["quantity"]
    limit_price = params["stopLimitPrice"]
    return (
        OrderCheck(symbol, side, OrderType.LIMIT_MAKER, quantity=qty, price=params["price"],
                   iceberg_qty=params["limitIcebergQty"]),
        OrderCheck(symbol, side, OrderType.STOP_LOSS if limit_price is None else OrderType.STOP_LOSS_LIMIT,
                   quantity=qty, price=limit_price, stop_price=params["stopPrice"],
                   iceberg_qty=params["stopIcebergQty"], time_in_force=params["stopLimitTimeInForce"]),
    )  # fmt: skip
