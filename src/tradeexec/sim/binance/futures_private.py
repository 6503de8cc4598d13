"""Signed ``/fapi`` handlers: orders, leverage, margin type, position mode, account, balance,
positions, trades, commission rate and leverage brackets, over the state's ``FuturesEngine``.

Parameters are read the way the spot handlers read them (``Params``: Binance's -1100/-1102/
-1104 answers); the futures rules and their errors are in ``sim/futures/rules.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeVar

from tradeexec.binance.enums import OrderStatus, Side
from tradeexec.binance.models.futures import (
    FuturesAccountAsset,
    FuturesBalance,
    LeverageResponse,
    MarginTypeResponse,
)
from tradeexec.binance.models.futures_market import (
    FuturesCommissionRate,
    LeverageBracketTier,
    PositionModeResponse,
    SymbolLeverageBrackets,
)
from tradeexec.binance.models.futures_positions import (
    AccountPositionV3,
    FuturesAccountV3,
    FuturesIncome,
    FuturesSymbolConfig,
)
from tradeexec.sim.binance.futures_public import FuturesBase
from tradeexec.sim.binance.futures_views import money, order_view, position_risk_view, trade_view, wire
from tradeexec.sim.engine import EngineReject
from tradeexec.sim.futures import FuturesOrderRequest
from tradeexec.sim.futures.engine import MAKER_RATE, TAKER_RATE
from tradeexec.sim.futures.figures import AccountFigures
from tradeexec.sim.params import CLIENT_ID_RE, ApiError, Params, illegal
from tradeexec.sim.state import ApiAccount

T = TypeVar("T")
_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}


def account_name(account: ApiAccount | None) -> str:
    assert account is not None
    return account.account


def engine_call(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except EngineReject as exc:
        raise ApiError(exc.code, exc.msg) from None


def _flag(p: Params, name: str) -> bool:
    raw = p.get(name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise illegal(name, "true|false")
    return raw.lower() == "true"


ZERO = Decimal(0)
_UNPREFIXED = ("available_balance", "max_withdraw_amount")


def _margins(f: AccountFigures) -> dict[str, Decimal]:
    """An account's figures under the asset entry's names; the account totals are the same
    figures named ``total_<name>`` (but available balance and max withdraw amount)."""
    return {
        "wallet_balance": money(f.wallet),
        "unrealized_profit": money(f.unrealized),
        "margin_balance": money(f.margin_balance),
        "maint_margin": money(f.maint_margin),
        "initial_margin": money(f.initial_margin),
        "position_initial_margin": money(f.position_initial_margin),
        "open_order_initial_margin": money(f.open_order_margin),
        "cross_wallet_balance": money(f.cross_wallet),
        "cross_un_pnl": money(f.cross_unrealized),
        "available_balance": money(f.available),
        "max_withdraw_amount": money(f.max_withdraw),
    }


class FuturesPrivateOps(FuturesBase):
    # ------------------------------------------------------------------ orders

    def f_new_order(self, p: Params, account: ApiAccount | None) -> Any:
        req, resp_type = self._futures_order(p)
        self.state.futures_limiter.charge_order(account_name(account))
        return self._submit(account_name(account), req, resp_type)

    def _futures_order(self, p: Params) -> tuple[FuturesOrderRequest, str]:
        """One new order's parameters, read and checked (a batch reads each of its orders
        here too): the request and its ``newOrderRespType``."""
        symbol = self._fsymbol(p)
        side = _SIDES.get(p.require("side"))
        if side is None:
            raise ApiError(-1117, "Invalid side.")
        order_type = p.require("type")
        quantity = p.decimal("quantity", required=True)
        assert quantity is not None
        client_id = p.get("newClientOrderId")
        if client_id is not None and not CLIENT_ID_RE.match(client_id):
            raise ApiError(-4015, "Client order id is not valid.")
        resp_type = p.get("newOrderRespType") or "ACK"
        if resp_type not in ("ACK", "RESULT"):
            raise ApiError(-1136, "Invalid newOrderRespType.")
        req = FuturesOrderRequest(
            symbol=symbol,
            side=side,
            type=order_type,
            quantity=quantity,
            price=p.decimal("price"),
            time_in_force=p.get("timeInForce"),
            position_side=p.get("positionSide") or "BOTH",
            reduce_only=_flag(p, "reduceOnly"),
            client_order_id=client_id,
        )
        p.mark_read("stopPrice", "workingType", "priceProtect", "closePosition", "selfTradePreventionMode")
        p.mark_read("priceMatch", "goodTillDate", "activationPrice", "callbackRate")
        p.ensure_all_read()
        return req, resp_type

    def _submit(self, name: str, req: FuturesOrderRequest, resp_type: str) -> Any:
        placed = engine_call(lambda: self.futures.place(name, req, self._now()))
        order = placed.order
        if resp_type == "ACK":  # the order as accepted, before it matched
            order = replace(order, status=OrderStatus.NEW, executed_qty=ZERO, cummulative_quote_qty=ZERO)
        return wire(order_view(order, placed.meta))

    def f_get_order(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        order_id, orig = self._order_ref(p)
        p.ensure_all_read()
        engine = self.futures.engine
        order = engine_call(
            lambda: engine.get_order(account_name(account), symbol, order_id=order_id, client_order_id=orig)
        )
        return wire(order_view(order, self.futures.meta_of(order)))

    def f_cancel_order(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        order_id, orig = self._order_ref(p)
        p.ensure_all_read()
        try:
            order = self.futures.cancel(account_name(account), symbol, order_id, orig, self._now())
        except EngineReject:
            raise ApiError(-2011, "Unknown order sent.") from None
        return wire(order_view(order, self.futures.meta_of(order)))

    def f_cancel_all(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        p.ensure_all_read()
        self.futures.cancel_all(account_name(account), symbol, self._now())
        return {"code": 200, "msg": "The operation of cancel all open order is done."}

    def f_open_orders(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._opt_fsymbol(p)
        p.ensure_all_read()
        orders = self.futures.engine.open_orders(account_name(account), symbol)
        return wire([order_view(o, self.futures.meta_of(o)) for o in orders])

    def f_all_orders(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        order_id = p.integer("orderId")
        start, end = p.integer("startTime"), p.integer("endTime")
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        orders = self.futures.engine.all_orders(
            account_name(account), symbol, order_id=order_id, start_time=start, end_time=end, limit=limit
        )
        return wire([order_view(o, self.futures.meta_of(o)) for o in orders])

    def f_user_trades(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        order_id, from_id = p.integer("orderId"), p.integer("fromId")
        start, end = p.integer("startTime"), p.integer("endTime")
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        fills = [
            f
            for f in self.futures.fills.get(account_name(account), [])
            if f.symbol == symbol
            and (order_id is None or f.order_id == order_id)
            and (from_id is None or f.trade_id >= from_id)
            and (start is None or f.time >= start)
            and (end is None or f.time <= end)
        ]
        chosen = fills[:limit] if from_id is not None else fills[-limit:]
        return wire([trade_view(f) for f in chosen])

    # ------------------------------------------------------------------ settings

    def f_leverage(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        leverage = p.integer("leverage", required=True)
        assert leverage is not None
        p.ensure_all_read()
        cap = engine_call(
            lambda: self.futures.set_leverage(account_name(account), symbol, leverage, self._now())
        )
        return wire(LeverageResponse(leverage=leverage, max_notional_value=cap, symbol=symbol))

    def f_margin_type(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        margin_type = p.require("marginType").upper()
        p.ensure_all_read()
        engine_call(lambda: self.futures.set_margin_type(account_name(account), symbol, margin_type))
        return wire(MarginTypeResponse(code=200, msg="success"))

    def f_set_dual(self, p: Params, account: ApiAccount | None) -> Any:
        p.require("dualSidePosition")
        dual = _flag(p, "dualSidePosition")
        p.ensure_all_read()
        engine_call(lambda: self.futures.set_dual_side(account_name(account), dual))
        return wire(MarginTypeResponse(code=200, msg="success"))

    def f_get_dual(self, p: Params, account: ApiAccount | None) -> Any:
        p.ensure_all_read()
        return wire(
            PositionModeResponse(dual_side_position=self.futures.account(account_name(account)).dual_side)
        )

    def f_leverage_bracket(self, p: Params, _: ApiAccount | None) -> Any:
        symbol = self._opt_fsymbol(p)
        p.ensure_all_read()
        contracts = self.futures.contracts
        out = [
            SymbolLeverageBrackets(
                symbol=c.symbol,
                brackets=[
                    LeverageBracketTier(
                        bracket=b.bracket,
                        initial_leverage=b.initial_leverage,
                        notional_cap=b.notional_cap,
                        notional_floor=b.notional_floor,
                        maint_margin_ratio=b.maint_margin_ratio,
                        cum=b.cum,
                    )
                    for b in c.brackets
                ],
            )
            for c in contracts.values()
            if symbol is None or c.symbol == symbol
        ]
        return wire(out[0] if symbol is not None else out)

    def f_symbol_config(self, p: Params, account: ApiAccount | None) -> Any:
        """Every symbol's settings (or one symbol's, still as a list), as the account holds
        them whoever set them: the default leverage and CROSSED until changed."""
        symbol = self._opt_fsymbol(p)
        p.ensure_all_read()
        acct = self.futures.account(account_name(account))
        out = []
        for name in self.futures.contracts:
            if symbol is not None and name != symbol:
                continue
            leverage = acct.leverage_of(name)
            out.append(
                FuturesSymbolConfig(
                    symbol=name,
                    margin_type=acct.margin_type_of(name),
                    is_auto_add_margin="false",
                    leverage=leverage,
                    max_notional_value=self.futures.max_notional(name, leverage),
                )
            )
        return wire(out)

    def f_commission_rate(self, p: Params, _: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        p.ensure_all_read()
        return wire(
            FuturesCommissionRate(
                symbol=symbol, maker_commission_rate=MAKER_RATE, taker_commission_rate=TAKER_RATE
            )
        )

    # ------------------------------------------------------------------ account

    def _figures(self, account: ApiAccount | None) -> AccountFigures:
        return self.futures.figures.account(self.futures.account(account_name(account)))

    def _asset(self, f: AccountFigures) -> FuturesAccountAsset:
        return FuturesAccountAsset(
            asset="USDT", **_margins(f), margin_available=True, update_time=self._now()
        )

    def f_account(self, p: Params, account: ApiAccount | None) -> Any:
        p.ensure_all_read()
        acct = self.futures.account(account_name(account))
        f = self.futures.figures.account(acct)
        positions = [
            AccountPositionV3(
                symbol=pf.position.symbol,
                position_side=pf.position.position_side,
                position_amt=pf.position.amt,
                unrealized_profit=money(pf.unrealized),
                isolated_margin=money(pf.isolated_margin),
                notional=money(pf.notional),
                isolated_wallet=money(pf.position.isolated_wallet),
                initial_margin=money(pf.initial_margin + pf.open_order_margin),
                maint_margin=money(pf.maint_margin),
                update_time=pf.position.update_time,
            )
            for pf in self.futures.figures.positions(acct)
        ]
        margins = _margins(f)
        totals = {k if k in _UNPREFIXED else f"total_{k}": v for k, v in margins.items()}
        return wire(FuturesAccountV3(**totals, assets=[self._asset(f)], positions=positions))

    def f_balance(self, p: Params, account: ApiAccount | None) -> Any:
        p.ensure_all_read()
        f = self._figures(account)
        return wire(
            [
                FuturesBalance(
                    account_alias="SgsR",
                    asset="USDT",
                    balance=money(f.wallet),
                    cross_wallet_balance=money(f.cross_wallet),
                    cross_un_pnl=money(f.cross_unrealized),
                    available_balance=money(f.available),
                    max_withdraw_amount=money(f.max_withdraw),
                    margin_available=True,
                    update_time=self._now(),
                )
            ]
        )

    def f_position_risk(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._opt_fsymbol(p)
        p.ensure_all_read()
        acct = self.futures.account(account_name(account))
        return wire([position_risk_view(f) for f in self.futures.figures.positions(acct, symbol)])

    def f_income(self, p: Params, account: ApiAccount | None) -> Any:
        symbol = self._opt_fsymbol(p)
        kind = p.get("incomeType")
        start, end = p.integer("startTime"), p.integer("endTime")
        p.mark_read("page")
        limit = self._limit(p, 100, 1000)
        p.ensure_all_read()
        rows = [
            i
            for i in self.futures.incomes.get(account_name(account), [])
            if (symbol is None or i.symbol == symbol)
            and (kind is None or i.income_type == kind)
            and (start is None or i.time >= start)
            and (end is None or i.time <= end)
        ]
        return wire(
            [
                FuturesIncome(
                    symbol=i.symbol,
                    income_type=i.income_type,
                    income=money(i.income),
                    asset="USDT",
                    info=i.income_type,
                    time=i.time,
                    tran_id=i.tran_id,
                    trade_id=str(i.trade_id) if i.trade_id else "",
                )
                for i in rows[:limit]
            ]
        )

    # ------------------------------------------------------------------ listenKey

    def f_listen_key_create(self, p: Params, account: ApiAccount | None) -> Any:
        p.ensure_all_read()
        return {"listenKey": self.state.futures_keys.create(account_name(account))}

    def _each_key(self, p: Params, account: ApiAccount | None, action: Callable[[str, str], None]) -> Any:
        """Futures keepalive and close take no listenKey parameter (one key per account); one
        sent anyway is honoured. No live key answers -1125."""
        key = p.get("listenKey")
        p.ensure_all_read()
        name = account_name(account)
        for k in [key] if key else self.state.futures_keys.keys_of(name) or ["-"]:
            try:
                action(k, name)
            except EngineReject as exc:
                raise ApiError(exc.code, exc.msg) from None
        return {}

    def f_listen_key_keepalive(self, p: Params, account: ApiAccount | None) -> Any:
        return self._each_key(p, account, self.state.futures_keys.keepalive)

    def f_listen_key_close(self, p: Params, account: ApiAccount | None) -> Any:
        return self._each_key(p, account, self.state.futures_keys.close)
