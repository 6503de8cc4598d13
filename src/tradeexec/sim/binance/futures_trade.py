"""Signed ``/fapi`` trading beyond one new order: modify (``PUT /fapi/v1/order``), batches
(``POST/PUT/DELETE /fapi/v1/batchOrders``), the auto-cancel countdown and isolated position
margin with its history. The rules live in ``sim/futures/`` (``modify``, ``countdown``,
``isolated``); a batch runs each of its orders through the single-order path and answers
each in its place, the order or its own ``{code, msg}``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import msgspec

from tradeexec.binance.enums import SecurityType, Side
from tradeexec.binance.errors.body import ErrorBody
from tradeexec.binance.models.futures import MarginTypeResponse
from tradeexec.binance.models.futures_trade import (
    CountdownCancelAll,
    FuturesBatchModify,
    FuturesBatchOrder,
    MultiAssetsMode,
    PositionMarginChange,
    PositionMarginResult,
)
from tradeexec.sim.binance.futures_private import FuturesPrivateOps, account_name, engine_call
from tradeexec.sim.binance.futures_views import money, order_view, wire
from tradeexec.sim.binance.operation import Operation
from tradeexec.sim.engine import EngineReject
from tradeexec.sim.engine.core import EITHER
from tradeexec.sim.futures import isolated
from tradeexec.sim.futures.modify import Modification, modify
from tradeexec.sim.params import ApiError, Params
from tradeexec.sim.state import ApiAccount

MAX_BATCH = 5
MAX_BATCH_CANCEL = 10
BATCH_UNITS = (5, 1)  # a batch's order count: 5 on the 10-second window, 1 on the minute
_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}
_NUMBERS = msgspec.json.Encoder(decimal_format="number")  # positionMargin writes its amount as a number
_ITEMS = msgspec.json.Decoder(list[dict[str, Any]], float_hook=Decimal)


def trade_operations() -> tuple[Operation, ...]:
    """The endpoints of this module, for ``service.OPERATIONS``."""
    t = SecurityType.TRADE
    return (
        Operation("f_modify_order", "PUT", "/fapi/v1/order", t, 1),
        Operation("f_batch_orders", "POST", "/fapi/v1/batchOrders", t, 5),
        Operation("f_batch_modify", "PUT", "/fapi/v1/batchOrders", t, 5),
        Operation("f_batch_cancel", "DELETE", "/fapi/v1/batchOrders", t, 1),
        Operation("f_countdown_cancel_all", "POST", "/fapi/v1/countdownCancelAll", t, 10),
        Operation("f_position_margin", "POST", "/fapi/v1/positionMargin", t, 1),
        Operation("f_position_margin_history", "GET", "/fapi/v1/positionMargin/history", t, 1),
        Operation("f_set_multi_assets", "POST", "/fapi/v1/multiAssetsMargin", t, 1),
        Operation("f_get_multi_assets", "GET", "/fapi/v1/multiAssetsMargin", SecurityType.USER_DATA, 30),
    )


def _invalid(name: str) -> ApiError:
    return ApiError(-1130, f"Data sent for parameter '{name}' is not valid.")


def _text(value: Any) -> str:
    """A batch element's value as a query parameter would carry it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _elements(p: Params, name: str, model: type[msgspec.Struct], limit: int) -> list[Params]:
    """The JSON list of a batch parameter, each element checked against the struct the
    client encodes it with, as the parameters of one single-order request."""
    try:
        items = _ITEMS.decode(p.require(name))
    except msgspec.DecodeError:
        raise _invalid(name) from None
    if not 1 <= len(items) <= limit:
        raise _invalid(name)
    out = []
    for item in items:
        try:
            struct = msgspec.convert({k: _text(v) for k, v in item.items()}, model)
        except msgspec.ValidationError:
            raise _invalid(name) from None
        out.append(Params(msgspec.to_builtins(struct)))
    return out


def _in_place(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except ApiError as err:
        return ErrorBody(code=err.code, msg=err.msg)
    except EngineReject as exc:
        return ErrorBody(code=exc.code, msg=exc.msg)


class FuturesTradeOps(FuturesPrivateOps):
    # ------------------------------------------------------------------ modify

    def f_modify_order(self, p: Params, account: ApiAccount | None) -> Any:
        mod = self._modification(p)
        self.state.futures_limiter.charge_order(account_name(account))
        return self._modify(account_name(account), mod)

    def _modification(self, p: Params) -> Modification:
        symbol = self._fsymbol(p)
        order_id, orig = self._order_ref(p)
        side = _SIDES.get(p.require("side"))
        if side is None:
            raise ApiError(-1117, "Invalid side.")
        quantity = p.decimal("quantity", required=True)
        assert quantity is not None
        mod = Modification(symbol, order_id, orig, side, quantity, p.decimal("price"), p.get("priceMatch"))
        p.ensure_all_read()
        return mod

    def _modify(self, name: str, mod: Modification) -> Any:
        order = engine_call(lambda: modify(self.futures, name, mod, self._now()))
        return wire(order_view(order, self.futures.meta_of(order)))

    # ------------------------------------------------------------------ batches

    def f_batch_orders(self, p: Params, account: ApiAccount | None) -> Any:
        elements = _elements(p, "batchOrders", FuturesBatchOrder, MAX_BATCH)
        p.ensure_all_read()
        name = account_name(account)
        self.state.futures_limiter.charge_order(name, *BATCH_UNITS)
        return [_in_place(partial(self._batch_new, name, e)) for e in elements]

    def f_batch_modify(self, p: Params, account: ApiAccount | None) -> Any:
        elements = _elements(p, "batchOrders", FuturesBatchModify, MAX_BATCH)
        p.ensure_all_read()
        name = account_name(account)
        self.state.futures_limiter.charge_order(name, *BATCH_UNITS)
        return [_in_place(partial(self._batch_modify_one, name, e)) for e in elements]

    def _batch_new(self, name: str, p: Params) -> Any:
        return self._submit(name, *self._futures_order(p))

    def _batch_modify_one(self, name: str, p: Params) -> Any:
        return self._modify(name, self._modification(p))

    def f_batch_cancel(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        ids = p.get("orderIdList")
        names = p.get("origClientOrderIdList")
        if ids is not None and names is not None:
            raise ApiError(-1106, "Parameter 'origClientOrderIdList' sent when not required.")
        if ids is None and names is None:
            raise ApiError(-1102, EITHER.format("orderIdList", "origClientOrderIdList"))
        field, raw = ("orderIdList", ids) if ids is not None else ("origClientOrderIdList", names)
        assert raw is not None
        try:
            refs = msgspec.json.decode(raw, type=list[int] if ids is not None else list[str])
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise _invalid(field) from None
        if not 1 <= len(refs) <= MAX_BATCH_CANCEL:
            raise _invalid(field)
        p.ensure_all_read()
        name = account_name(account)
        return [_in_place(partial(self._cancel_one, name, symbol, r)) for r in refs]

    def _cancel_one(self, name: str, symbol: str, ref: int | str) -> Any:
        order_id, client_id = (ref, None) if isinstance(ref, int) else (None, ref)
        try:
            order = self.futures.cancel(name, symbol, order_id, client_id, self._now())
        except EngineReject:
            raise ApiError(-2011, "Unknown order sent.") from None
        return wire(order_view(order, self.futures.meta_of(order)))

    # ------------------------------------------------------------------ countdown

    def f_countdown_cancel_all(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        countdown = p.integer("countdownTime", required=True)
        assert countdown is not None
        if countdown < 0:
            raise _invalid("countdownTime")
        p.ensure_all_read()
        self.futures.countdowns.set(account_name(account), symbol, countdown, self._now())
        return CountdownCancelAll(symbol=symbol, countdown_time=str(countdown))

    # ------------------------------------------------------------------ isolated margin

    def f_position_margin(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        side = p.get("positionSide") or "BOTH"
        amount = p.decimal("amount", required=True)
        kind = p.integer("type", required=True)
        assert amount is not None
        if kind not in (isolated.ADD, isolated.REDUCE):
            raise _invalid("type")
        p.ensure_all_read()
        name = account_name(account)
        engine_call(
            lambda: isolated.adjust(
                self.futures,
                name,
                symbol=symbol,
                position_side=side,
                amount=amount,
                kind=kind,
                now_ms=self._now(),
            )
        )
        answer = PositionMarginResult(
            amount=amount, code=200, msg="Successfully modify position margin.", type=kind
        )
        return msgspec.Raw(_NUMBERS.encode(answer))

    def f_position_margin_history(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        kind = p.integer("type")
        start, end = p.integer("startTime"), p.integer("endTime")
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        rows = [
            PositionMarginChange(
                symbol=c.symbol,
                type=c.kind,
                delta_type="USER_ADJUST",
                amount=money(c.amount),
                asset="USDT",
                time=c.time,
                position_side=c.position_side,
            )
            for c in self.futures.account(account_name(account)).margin_changes
            if c.symbol == symbol
            and (kind is None or c.kind == kind)
            and (start is None or c.time >= start)
            and (end is None or c.time <= end)
        ]
        return wire(rows[-limit:])

    # ------------------------------------------------------------------ asset mode

    def f_set_multi_assets(self, p: Params, account: ApiAccount | None) -> Any:
        raw = p.require("multiAssetsMargin").lower()
        if raw not in ("true", "false"):
            raise _invalid("multiAssetsMargin")
        p.ensure_all_read()
        name = account_name(account)
        engine_call(lambda: self.futures.set_multi_assets(name, raw == "true", self._now()))
        return MarginTypeResponse(code=200, msg="success")

    def f_get_multi_assets(self, p: Params, account: ApiAccount | None) -> Any:
        p.ensure_all_read()
        return MultiAssetsMode(multi_assets_margin=self.futures.account(account_name(account)).multi_assets)
