"""Order endpoints: place, test, query, cancel, cancel-replace, open and all orders, my trades.
Symbol filters are checked here (``checks``) before the engine is called."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeexec.binance.enums import OrderResponseType, OrderType, SelfTradePreventionMode, Side, TimeInForce
from tradeexec.binance.errors import ErrorBody
from tradeexec.binance.models import MyTrade, Order, OrderAck, OrderFull, OrderReport, OrderResult
from tradeexec.binance.rules.order_shapes import NEEDS_PRICE, NEEDS_STOP, NEEDS_TIF
from tradeexec.sim.binance import checks, views
from tradeexec.sim.binance.dispatch import ServiceBase
from tradeexec.sim.engine import ExecutionEvent, OrderRecord, OrderRequest
from tradeexec.sim.params import ApiError, Params, mandatory, not_required
from tradeexec.sim.state import ApiAccount

OrderAnswer = OrderAck | OrderResult | OrderFull
"""A new order's answer, in the shape its ``newOrderRespType`` asked for."""


class TradingOps(ServiceBase):
    """The order endpoints; each parses, checks filters, then makes one engine call."""

    def _order_request(
        self, p: Params, account: ApiAccount, *, allow_test_extras: bool = False, check: bool = True
    ) -> tuple[OrderRequest, OrderResponseType]:
        """Parse and validate a new order exactly as Binance orders its checks."""
        symbol = self._symbol(p)
        side = p.enum("side", Side, -1117, "Invalid side.", required=True)
        otype = p.enum("type", OrderType, -1116, "Invalid orderType.", required=True)
        assert side is not None and otype is not None
        tif = p.enum("timeInForce", TimeInForce, -1115, "Invalid timeInForce.")
        quantity = p.decimal("quantity")
        quote_qty = p.decimal("quoteOrderQty")
        price = p.decimal("price")
        stop_price = p.decimal("stopPrice")
        trailing = p.integer("trailingDelta")
        iceberg = p.decimal("icebergQty")
        client_id = p.client_id("newClientOrderId")
        resp_type = p.enum(
            "newOrderRespType",
            OrderResponseType,
            -1100,
            "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.",
        )
        stp = p.enum(
            "selfTradePreventionMode",
            SelfTradePreventionMode,
            -1100,
            "Illegal characters found in parameter 'selfTradePreventionMode'; legal range is "
            "'NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH'.",
        )
        p.integer("strategyId")
        p.integer("strategyType")
        if allow_test_extras:
            p.boolean("computeCommissionRates")
        p.ensure_all_read()

        if otype is OrderType.MARKET:
            if quantity is None and quote_qty is None:
                raise ApiError(
                    -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
                )
            if quantity is not None and quote_qty is not None:
                raise ApiError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
            p.reject("timeInForce", "price", "icebergQty")
        else:
            if quote_qty is not None:
                raise not_required("quoteOrderQty")
            if quantity is None:
                raise mandatory("quantity")
        if otype in NEEDS_TIF and tif is None:
            raise mandatory("timeInForce")
        if otype not in NEEDS_TIF and tif is not None:
            raise not_required("timeInForce")
        if otype in NEEDS_PRICE and price is None:
            raise mandatory("price")
        if otype not in NEEDS_PRICE and price is not None:
            raise not_required("price")
        if otype in NEEDS_STOP and stop_price is None and trailing is None:
            raise ApiError(
                -1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!"
            )
        if otype not in NEEDS_STOP and (stop_price is not None or trailing is not None):
            raise not_required("stopPrice" if stop_price is not None else "trailingDelta")
        if iceberg is not None and otype not in NEEDS_PRICE:
            raise not_required("icebergQty")
        if iceberg is not None and tif not in (None, TimeInForce.GTC):
            raise ApiError(-1130, "Data sent for parameter 'icebergQty' is not valid.")
        req = OrderRequest(
            symbol=symbol,
            side=side,
            type=otype,
            quantity=quantity,
            quote_order_qty=quote_qty,
            price=price,
            time_in_force=tif,
            stop_price=stop_price,
            trailing_delta=trailing,
            iceberg_qty=iceberg,
            client_order_id=client_id,
            stp_mode=stp or SelfTradePreventionMode.NONE,
        )
        if check:
            self._check_filters(account, req)
        default = (
            OrderResponseType.FULL if otype in (OrderType.MARKET, OrderType.LIMIT) else OrderResponseType.ACK
        )
        return req, resp_type or default

    def _check_filters(self, account: ApiAccount, req: OrderRequest) -> None:
        """Precision (-1111) then every symbol and exchange filter (-1013/-2010) through the
        shared rules module, so client and exchange cannot disagree."""
        checks.check_order(self.state, account.account, req)

    def _place(self, account: ApiAccount, req: OrderRequest) -> tuple[OrderRecord, list[Any], int]:
        self.state.limiter.charge_order(account.account)
        now = self._now()
        result = self._engine(lambda: self.state.engine.place(account.account, req, now))
        self.state.publish(result.events)
        return result.order, result.fills, now

    @staticmethod
    def _order_answer(order: OrderRecord, fills: list[Any], now: int, resp: OrderResponseType) -> OrderAnswer:
        if resp is OrderResponseType.ACK:
            return views.order_ack(order, now)
        if resp is OrderResponseType.RESULT:
            return views.order_result(order, now)
        return views.order_full(order, now, fills)

    def new_order(self, p: Params, account: ApiAccount | None) -> OrderAnswer:
        assert account is not None
        req, resp = self._order_request(p, account)
        order, fills, now = self._place(account, req)
        return self._order_answer(order, fills, now, resp)

    def test_order(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        compute = p.raw("computeCommissionRates") in ("true", "TRUE", "True")
        self._order_request(p, account, allow_test_extras=True)
        if not compute:
            return {}
        maker, taker = self.state.engine.commissions(account.account)
        zero = views.dec(Decimal(0))
        return {
            "standardCommissionForOrder": {"maker": views.dec(maker), "taker": views.dec(taker)},
            "taxCommissionForOrder": {"maker": zero, "taker": zero},
            "discount": {
                "enabledForAccount": False,
                "enabledForSymbol": False,
                "discountAsset": "BNB",
                "discount": zero,
            },
        }

    def get_order(self, p: Params, account: ApiAccount | None) -> Order:
        assert account is not None
        symbol = self._symbol(p)
        order_id, orig = self._order_ref(p)
        p.ensure_all_read()
        order = self._engine(
            lambda: self.state.engine.get_order(
                account.account, symbol, order_id=order_id, client_order_id=orig
            )
        )
        return views.order_query(order)

    def _cancel(
        self, account: ApiAccount, symbol: str, order_id: int | None, orig: str | None, new_id: str | None
    ) -> OrderReport:
        now = self._now()
        order, events = self._engine(
            lambda: self.state.engine.cancel(
                account.account,
                symbol,
                order_id=order_id,
                client_order_id=orig,
                new_client_order_id=new_id,
                now_ms=now,
            )
        )
        self.state.publish(events)
        return views.order_canceled(order, new_id or _cancel_client_id(events, order), now)

    def cancel_order(self, p: Params, account: ApiAccount | None) -> OrderReport:
        assert account is not None
        symbol = self._symbol(p)
        order_id, orig = self._order_ref(p)
        new_id = p.client_id("newClientOrderId")
        p.mark_read("cancelRestrictions")
        p.ensure_all_read()
        return self._cancel(account, symbol, order_id, orig, new_id)

    def cancel_all(self, p: Params, account: ApiAccount | None) -> list[OrderReport]:
        assert account is not None
        symbol = self._symbol(p)
        p.ensure_all_read()
        now = self._now()
        orders, events = self._engine(lambda: self.state.engine.cancel_all(account.account, symbol, now))
        self.state.publish(events)
        cancel_ids = {
            e.order.order_id: e.cancel_client_order_id
            for e in events
            if isinstance(e, ExecutionEvent) and e.cancel_client_order_id
        }
        return [views.order_canceled(o, cancel_ids.get(o.order_id, o.client_order_id), now) for o in orders]

    def cancel_replace(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        """Cancel then place; a partial failure is a 409 whose ``data`` carries both halves."""
        assert account is not None
        mode = p.require("cancelReplaceMode")
        if mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise ApiError(
                -1100,
                "Illegal characters found in parameter 'cancelReplaceMode'; legal range is "
                "'STOP_ON_FAILURE, ALLOW_FAILURE'.",
            )
        cancel_id = p.integer("cancelOrderId")
        cancel_orig = p.get("cancelOrigClientOrderId")
        cancel_new_id = p.client_id("cancelNewClientOrderId")
        p.mark_read("cancelRestrictions", "orderRateLimitExceededMode")
        if cancel_id is None and cancel_orig is None:
            raise ApiError(
                -1102,
                "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were empty/null!",
            )
        req, resp = self._order_request(p, account, check=False)
        try:
            self._check_filters(account, req)
        except ApiError as exc:
            return self._cancel_only(account, req.symbol, (cancel_id, cancel_orig, cancel_new_id), exc)
        self.state.limiter.charge_order(account.account)
        now = self._now()
        result = self._engine(
            lambda: self.state.engine.cancel_replace(
                account.account,
                req.symbol,
                cancel_order_id=cancel_id,
                cancel_orig_client_order_id=cancel_orig,
                new=req,
                mode=mode,
                now_ms=now,
                cancel_new_client_order_id=cancel_new_id,
            )
        )
        self.state.publish(result.events)
        cancel_body: OrderReport | None = None
        if result.cancel_order is not None:
            cancel_body = views.order_canceled(
                result.cancel_order, _cancel_client_id(result.events, result.cancel_order), now
            )
        new_body: OrderAnswer | None = None
        if result.new_result is not None:
            new_body = self._order_answer(result.new_result.order, result.new_result.fills, now, resp)
        if result.ok:
            return {
                "cancelResult": "SUCCESS",
                "newOrderResult": "SUCCESS",
                "cancelResponse": cancel_body,
                "newOrderResponse": new_body,
            }
        new_err = ApiError(result.new_error.code, result.new_error.msg) if result.new_error else None
        cancel_err = (
            ApiError(result.cancel_error.code, result.cancel_error.msg) if result.cancel_error else None
        )
        raise _replace_failure(cancel_body, cancel_err, new_body, new_err, result.new_attempted)

    def _cancel_only(
        self,
        account: ApiAccount,
        symbol: str,
        ref: tuple[int | None, str | None, str | None],
        new_err: ApiError,
    ) -> dict[str, Any]:
        """cancelReplace whose new order fails the filters: the cancel still happens."""
        try:
            cancel_body = self._cancel(account, symbol, *ref)
        except ApiError as cancel_err:
            raise _replace_failure(None, cancel_err, None, new_err, True) from None
        raise _replace_failure(cancel_body, None, None, new_err, True)

    def open_orders(self, p: Params, account: ApiAccount | None) -> list[Order]:
        assert account is not None
        symbol = self._opt_symbol(p)
        p.ensure_all_read()
        return [views.order_query(o) for o in self.state.engine.open_orders(account.account, symbol)]

    def all_orders(self, p: Params, account: ApiAccount | None) -> list[Order]:
        assert account is not None
        symbol = self._symbol(p)
        order_id = p.integer("orderId")
        start, end = p.integer("startTime"), p.integer("endTime")
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        orders = self.state.engine.all_orders(
            account.account, symbol, order_id=order_id, start_time=start, end_time=end, limit=limit
        )
        return [views.order_query(o) for o in orders]

    def my_trades(self, p: Params, account: ApiAccount | None) -> list[MyTrade]:
        assert account is not None
        symbol = self._symbol(p)
        order_id = p.integer("orderId")
        from_id = p.integer("fromId")
        start, end = p.integer("startTime"), p.integer("endTime")
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        if from_id is not None and (start is not None or end is not None):
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        fills = self.state.engine.my_trades(
            account.account,
            symbol,
            from_id=from_id,
            start_time=start,
            end_time=end,
            limit=limit,
            order_id=order_id,
        )
        return [views.my_trade(f) for f in fills]


def _cancel_client_id(events: list[Any], order: OrderRecord) -> str:
    """The client id the engine gave the cancel itself (Binance answers it as clientOrderId)."""
    for e in events:
        if isinstance(e, ExecutionEvent) and e.order.order_id == order.order_id and e.cancel_client_order_id:
            return e.cancel_client_order_id
    return order.client_order_id


def _replace_failure(
    cancel_body: OrderReport | None,
    cancel_err: ApiError | None,
    new_body: OrderAnswer | None,
    new_err: ApiError | None,
    new_attempted: bool,
) -> ApiError:
    """Binance's answer to a cancelReplace that did not fully succeed: -2022 (400) when
    nothing happened, -2021 (409) when one half did; ``data`` carries both halves."""
    data = {
        "cancelResult": "SUCCESS" if cancel_body is not None else "FAILURE",
        "newOrderResult": "SUCCESS"
        if new_body is not None
        else ("FAILURE" if new_attempted else "NOT_ATTEMPTED"),
        "cancelResponse": cancel_body if cancel_body is not None else _err_body(cancel_err),
        "newOrderResponse": new_body if new_body is not None else _err_body(new_err),
    }
    if cancel_body is None and new_body is None:
        return ApiError(-2022, "Order cancel-replace failed.", 400, data=data)
    return ApiError(-2021, "Order cancel-replace partially failed.", 409, data=data)


def _err_body(err: ApiError | None) -> ErrorBody | None:
    return None if err is None else ErrorBody(code=err.code, msg=err.msg)
