"""Order list endpoints (OCO): place (legacy and the newer orderList/oco), query, cancel, list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.binance.models import OrderList
from tradeexec.sim.binance import views
from tradeexec.sim.binance.trading import TradingOps
from tradeexec.sim.engine import OrderRequest
from tradeexec.sim.params import ApiError, Params, mandatory
from tradeexec.sim.state import ApiAccount


class OrderListOps(TradingOps):
    """The OCO endpoints; built on the order parsing and filter checks of ``TradingOps``."""

    def new_oco(self, p: Params, account: ApiAccount | None) -> OrderList:
        """POST /api/v3/order/oco (legacy parameter names)."""
        return self._oco(p, account, above_below=False)

    def new_order_list_oco(self, p: Params, account: ApiAccount | None) -> OrderList:
        """POST /api/v3/orderList/oco: only the classic LIMIT_MAKER + STOP_LOSS(_LIMIT) shape."""
        return self._oco(p, account, above_below=True)

    def _oco(self, p: Params, account: ApiAccount | None, *, above_below: bool) -> OrderList:
        assert account is not None
        symbol = self._symbol(p)
        side = p.enum("side", Side, -1117, "Invalid side.", required=True)
        assert side is not None
        quantity = p.req_decimal("quantity")
        list_id = p.client_id("listClientOrderId")
        if above_below:
            price, stop_price, stop_limit_price, stop_tif, limit_id, stop_id = self._above_below(p, side)
        else:
            limit_id = p.client_id("limitClientOrderId")
            stop_id = p.client_id("stopClientOrderId")
            price = p.req_decimal("price")
            stop_price = p.req_decimal("stopPrice")
            stop_limit_price = p.decimal("stopLimitPrice")
            stop_tif = p.enum("stopLimitTimeInForce", TimeInForce, -1115, "Invalid timeInForce.")
            p.decimal("limitIcebergQty")
            p.decimal("stopIcebergQty")
        p.mark_read(
            "newOrderRespType",
            "selfTradePreventionMode",
            "limitStrategyId",
            "limitStrategyType",
            "stopStrategyId",
            "stopStrategyType",
            "trailingDelta",
        )
        p.ensure_all_read()
        if stop_limit_price is not None and stop_tif is None:
            raise mandatory("stopLimitTimeInForce")
        for leg in (
            OrderRequest(symbol, side, OrderType.LIMIT_MAKER, quantity=quantity, price=price),
            OrderRequest(
                symbol,
                side,
                OrderType.STOP_LOSS_LIMIT if stop_limit_price is not None else OrderType.STOP_LOSS,
                quantity=quantity,
                price=stop_limit_price,
                stop_price=stop_price,
                time_in_force=stop_tif,
            ),
        ):
            self._check_filters(account, leg)
        self.state.limiter.charge_order(account.account)
        now = self._now()
        ol, orders, events = self._engine(
            lambda: self.state.engine.place_oco(
                account.account,
                symbol=symbol,
                side=side,
                quantity=quantity,
                price=price,
                stop_price=stop_price,
                stop_limit_price=stop_limit_price,
                stop_limit_time_in_force=stop_tif,
                list_client_order_id=list_id,
                limit_client_order_id=limit_id,
                stop_client_order_id=stop_id,
                now_ms=now,
            )
        )
        self.state.publish(events)
        return views.order_list(ol, orders, [views.order_report(o, now) for o in orders])

    @staticmethod
    def _above_below(
        p: Params, side: Side
    ) -> tuple[Decimal, Decimal, Decimal | None, TimeInForce | None, str | None, str | None]:
        """Map orderList/oco's above/below legs onto the classic limit + stop pair."""
        above_type = p.require("aboveType")
        below_type = p.require("belowType")
        limit_leg, stop_leg = ("above", "below") if side is Side.SELL else ("below", "above")
        limit_type = above_type if limit_leg == "above" else below_type
        stop_type = below_type if limit_leg == "above" else above_type
        if limit_type != "LIMIT_MAKER" or stop_type not in ("STOP_LOSS", "STOP_LOSS_LIMIT"):
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        price = p.req_decimal(f"{limit_leg}Price")
        stop_price = p.req_decimal(f"{stop_leg}StopPrice")
        stop_limit_price = p.decimal(f"{stop_leg}Price")
        stop_tif = p.enum(f"{stop_leg}TimeInForce", TimeInForce, -1115, "Invalid timeInForce.")
        limit_id = p.client_id(f"{limit_leg}ClientOrderId")
        stop_id = p.client_id(f"{stop_leg}ClientOrderId")
        p.mark_read(
            f"{limit_leg}IcebergQty",
            f"{stop_leg}IcebergQty",
            f"{limit_leg}StopPrice",
            f"{limit_leg}TimeInForce",
            f"{limit_leg}StrategyId",
            f"{stop_leg}StrategyId",
            f"{limit_leg}StrategyType",
            f"{stop_leg}StrategyType",
            f"{stop_leg}TrailingDelta",
            f"{limit_leg}TrailingDelta",
            "newOrderRespType",
            "selfTradePreventionMode",
        )
        return price, stop_price, stop_limit_price, stop_tif, limit_id, stop_id

    def _list_lookup(self, account: ApiAccount, p: Params) -> Any:
        list_id = p.integer("orderListId")
        orig = p.get("origClientOrderId") or p.get("listClientOrderId")
        if list_id is None and orig is None:
            raise ApiError(
                -1102, "Param 'origClientOrderId' or 'orderListId' must be sent, but both were empty/null!"
            )
        return list_id, orig

    def get_order_list(self, p: Params, account: ApiAccount | None) -> OrderList:
        assert account is not None
        list_id, orig = self._list_lookup(account, p)
        p.ensure_all_read()
        ol, orders = self._engine(
            lambda: self.state.engine.get_order_list(
                account.account, order_list_id=list_id, list_client_order_id=orig
            )
        )
        return views.order_list(ol, orders)

    def cancel_order_list(self, p: Params, account: ApiAccount | None) -> OrderList:
        assert account is not None
        symbol = self._symbol(p)
        list_id, orig = self._list_lookup(account, p)
        new_id = p.client_id("newClientOrderId")
        p.ensure_all_read()
        now = self._now()
        ol, orders, events = self._engine(
            lambda: self.state.engine.cancel_order_list(
                account.account,
                symbol,
                order_list_id=list_id,
                list_client_order_id=orig,
                new_client_order_id=new_id,
                now_ms=now,
            )
        )
        self.state.publish(events)
        return views.order_list(ol, orders, [views.order_canceled(o, o.client_order_id, now) for o in orders])

    def all_order_lists(self, p: Params, account: ApiAccount | None) -> list[OrderList]:
        assert account is not None
        p.integer("fromId")
        p.integer("startTime")
        p.integer("endTime")
        self._limit(p, 500, 1000)
        p.ensure_all_read()
        return self._lists(account, open_only=False)

    def open_order_lists(self, p: Params, account: ApiAccount | None) -> list[OrderList]:
        assert account is not None
        p.ensure_all_read()
        return self._lists(account, open_only=True)

    def _lists(self, account: ApiAccount, *, open_only: bool) -> list[OrderList]:
        engine = self.state.engine
        out = []
        for summary in engine.order_lists(account.account, open_only=open_only):
            ol, orders = engine.get_order_list(account.account, order_list_id=summary.order_list_id)
            out.append(views.order_list(ol, orders))
        return out
