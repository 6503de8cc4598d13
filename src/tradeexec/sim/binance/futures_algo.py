"""The Algo Service over ``/fapi``: new, cancel and query conditional orders, and the open
list (``sim/futures/algo.py`` holds and fires them)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from tradeexec.binance.enums import Side
from tradeexec.binance.models.futures_algo import AlgoCancelResponse, FuturesAlgoOrder
from tradeexec.sim.binance.futures_public import FuturesBase
from tradeexec.sim.binance.futures_views import wire
from tradeexec.sim.engine import EngineReject
from tradeexec.sim.futures.algo import AlgoOrder
from tradeexec.sim.params import CLIENT_ID_RE, ApiError, Params
from tradeexec.sim.state import ApiAccount

ZERO = Decimal(0)
ZERO_ORDER_FIELDS = ("stopPrice", "priceMatch", "goodTillDate")


def algo_fields(o: AlgoOrder) -> dict[str, Any]:
    """What the REST answer (``FuturesAlgoOrder``) and the ALGO_UPDATE event
    (``AlgoOrderData``) both say of a conditional order, under their shared field names."""
    return {
        "algo_id": o.algo_id,
        "client_algo_id": o.client_algo_id,
        "algo_type": "CONDITIONAL",
        "order_type": o.order_type,
        "symbol": o.symbol,
        "side": str(o.side),
        "position_side": o.position_side,
        "time_in_force": o.time_in_force,
        "quantity": o.quantity,
        "algo_status": o.status,
        "trigger_price": o.trigger_price,
        "price": o.price,
        "self_trade_prevention_mode": "EXPIRE_MAKER",
        "working_type": o.working_type,
        "price_match": "NONE",
        "close_position": o.close_position,
        "price_protect": o.price_protect,
        "reduce_only": o.reduce_only,
        "trigger_time": o.trigger_time,
        "good_till_date": 0,
    }


def algo_view(o: AlgoOrder) -> FuturesAlgoOrder:
    actual = str(o.actual_order_id) if o.actual_order_id else ""
    return FuturesAlgoOrder(
        **algo_fields(o), actual_order_id=actual, create_time=o.create_time, update_time=o.update_time
    )


def _flag(p: Params, name: str) -> bool:
    return (p.get(name) or "false").lower() == "true"


class FuturesAlgoOps(FuturesBase):
    def _algo_call(self, fn: Any) -> Any:
        try:
            return fn()
        except EngineReject as exc:
            raise ApiError(exc.code, exc.msg) from None

    def f_new_algo(self, p: Params, account: ApiAccount | None) -> Any:
        assert account is not None
        symbol = self._fsymbol(p)
        if p.require("algoType") != "CONDITIONAL":
            raise ApiError(-1130, "Data sent for parameter 'algoType' is not valid.")
        side = {"BUY": Side.BUY, "SELL": Side.SELL}.get(p.require("side"))
        if side is None:
            raise ApiError(-1117, "Invalid side.")
        client_id = p.get("clientAlgoId") or secrets.token_urlsafe(16)[:22]
        if not CLIENT_ID_RE.match(client_id):
            raise ApiError(-4015, "Client order id is not valid.")
        now = self._now()
        order = AlgoOrder(
            algo_id=0,
            client_algo_id=client_id,
            account=account.account,
            symbol=symbol,
            side=side,
            position_side=p.get("positionSide") or "BOTH",
            order_type=p.require("type"),
            quantity=p.decimal("quantity") or ZERO,
            trigger_price=p.decimal("triggerPrice") or ZERO,
            price=p.decimal("price") or ZERO,
            time_in_force=p.get("timeInForce") or "GTC",
            working_type=p.get("workingType") or "CONTRACT_PRICE",
            reduce_only=_flag(p, "reduceOnly"),
            close_position=_flag(p, "closePosition"),
            price_protect=_flag(p, "priceProtect"),
            callback_rate=p.decimal("callbackRate") or ZERO,
            activation_price=p.decimal("activatePrice") or ZERO,
            status="NEW",
            create_time=now,
            update_time=now,
        )
        p.mark_read("newOrderRespType", "selfTradePreventionMode", *ZERO_ORDER_FIELDS)
        p.ensure_all_read()
        return wire(algo_view(self._algo_call(lambda: self.futures.place_algo(order))))

    def _algo_ref(self, p: Params) -> tuple[int | None, str | None]:
        algo_id, client_id = p.integer("algoId"), p.get("clientAlgoId")
        if algo_id is None and client_id is None:
            raise ApiError(-1102, "Param 'algoId' or 'clientAlgoId' must be sent, but both were empty/null!")
        return algo_id, client_id

    def f_cancel_algo(self, p: Params, account: ApiAccount | None) -> Any:
        assert account is not None
        symbol = self._fsymbol(p)
        algo_id, client_id = self._algo_ref(p)
        p.ensure_all_read()
        order = self._algo_call(
            lambda: self.futures.cancel_algo(account.account, symbol, algo_id, client_id, self._now())
        )
        return wire(
            AlgoCancelResponse(
                algo_id=order.algo_id, client_algo_id=order.client_algo_id, code="200", msg="success"
            )
        )

    def f_get_algo(self, p: Params, account: ApiAccount | None) -> Any:
        assert account is not None
        p.mark_read("symbol")
        algo_id, client_id = self._algo_ref(p)
        p.ensure_all_read()
        return wire(
            algo_view(self._algo_call(lambda: self.futures.algos.find(account.account, algo_id, client_id)))
        )

    def f_open_algos(self, p: Params, account: ApiAccount | None) -> Any:
        assert account is not None
        symbol = self._opt_fsymbol(p)
        p.mark_read("algoType")
        p.ensure_all_read()
        return wire([algo_view(o) for o in self.futures.algos.open(account.account, symbol)])
