"""Placing and cancelling single orders: the entry points ``place``, ``cancel``,
``cancel_all`` and ``cancel_replace``, and the checks only the engine can make before matching."""

from __future__ import annotations

from decimal import Decimal, getcontext, setcontext

from tradeexec.binance.enums import ExecutionType, OrderType, SelfTradePreventionMode, TimeInForce
from tradeexec.sim.engine.core import (
    EITHER,
    EXACT,
    FOK,
    GTC,
    INSUFFICIENT,
    MANDATORY,
    NO_STP,
    PRICED_TYPES,
    SELL,
    STOP_TYPES,
    UNKNOWN_ORDER,
    ZERO,
    LiveOrder,
    SymbolBook,
    exact,
)
from tradeexec.sim.engine.events import CancelReplaceResult, Event, PlaceResult, new_place_result
from tradeexec.sim.engine.matching import MatchPlan
from tradeexec.sim.engine.order_lists import OrderLists
from tradeexec.sim.engine.records import EngineReject, OrderRecord, OrderRequest
from tradeexec.sim.engine.triggers import stop_hit

MARKET, LIMIT, LIMIT_MAKER = OrderType.MARKET, OrderType.LIMIT, OrderType.LIMIT_MAKER
# ``place``'s own copy of the exact context (the flags a calculation raises land on it, not
# on the template that ``@exact`` copies).
PLACE_CONTEXT = EXACT.copy()
_new_object = object.__new__
NEW_EXECUTION = ExecutionType.NEW


class Placement(OrderLists):
    """Adds the order entry points: place, cancel, cancel all, cancel-replace."""

    def place(self, account: str, req: OrderRequest, now_ms: int) -> PlaceResult:
        # The exact context set and restored by hand rather than through ``@exact`` or
        # ``localcontext``: this is the hottest entry point, and the context manager (a copy
        # of the context, two method calls) cost more than all the checks of an order.
        # ``place`` never yields, so no other code runs under ``PLACE_CONTEXT`` meanwhile.
        caller_context = getcontext()
        setcontext(PLACE_CONTEXT)
        try:
            st = self._symbols.get(req.symbol)
            if st is None:
                raise EngineReject(-1121, "Invalid symbol.")
            self._begin(now_ms)
            live = self._place(st, account, req)
            fills = live.fills or []
            live.fills = None
            if st.stops_up or st.stops_down or st.trailing:
                self._settle(st)
            else:
                st.new_prices.clear()  # nothing waits for a trade price (no call to ``_settle``)
            events = self._end(st)
            snapshot = _new_object(OrderRecord)
            snapshot.__dict__ = live.order.__dict__.copy()  # ``snapshot()`` without its frame
            return new_place_result((snapshot, fills, events))
        finally:
            setcontext(caller_context)

    def _place(self, st: SymbolBook, account: str, req: OrderRequest) -> LiveOrder:
        """Checks everything (raising before any change), then creates and runs the order."""
        if req.symbol != st.spec.symbol:
            raise EngineReject(-1121, "Invalid symbol.")
        order_type, side = req.type, req.side
        limit_price, quantity = req.price, req.quantity
        if (
            order_type is LIMIT
            and req.time_in_force is not FOK
            and limit_price is not None
            and quantity is not None
            and limit_price > 0
            and quantity > 0
        ):
            # The common order (LIMIT GTC / IOC) in one straight line: the same checks and
            # steps, in the same order, as the general path below takes for it.
            if req.client_order_id is not None:
                self._check_client_id_free(account, st.spec.symbol, req.client_order_id)
            stp = req.stp_mode
            if stp is NO_STP:
                stp = self._stp_default
            if side is SELL:
                need, asset = quantity, st.spec.base_asset
            else:
                need, asset = limit_price * quantity, st.spec.quote_asset
            ledger = self._ledger
            if ledger.free(account, asset) < need:
                raise EngineReject(-2010, INSUFFICIENT)
            terms = (limit_price, quantity, req.time_in_force or GTC, stp, None)
            live = self._new_order(st, account, req, terms)
            live.lock += need  # from ZERO, as ``_lock`` does: the sum's exponent is what is released later
            ledger.lock(account, asset, need)
            self._take(st, live, stp)
            return live
        priced = order_type in PRICED_TYPES
        if priced and (req.price is None or req.price <= 0):
            raise EngineReject(-1102, MANDATORY.format("price"))
        by_quote = order_type is MARKET and req.quantity is None
        if by_quote and (req.quote_order_qty is None or req.quote_order_qty <= 0):
            raise EngineReject(-1102, EITHER.format("quantity", "quoteOrderQty"))
        if not by_quote and (req.quantity is None or req.quantity <= 0):
            raise EngineReject(-1102, MANDATORY.format("quantity"))
        if req.client_order_id is not None:
            self._check_client_id_free(account, st.spec.symbol, req.client_order_id)
        price = req.price if priced else None
        tif = req.time_in_force or GTC
        stp = self._stp(req.stp_mode)
        if order_type is LIMIT_MAKER:
            assert price is not None
            self._check_maker(st, side, price)
        plan: MatchPlan | None = None
        stop_order = order_type in STOP_TYPES
        takes_as_it_goes = price is not None and tif is not FOK and not stop_order
        if takes_as_it_goes:  # LIMIT GTC / IOC, LIMIT_MAKER: no plan needed (see ``matching``)
            assert price is not None and req.quantity is not None
            qty = req.quantity
            need = qty if side is SELL else price * qty
        elif stop_order:
            stop = req.stop_price or ZERO
            if stop <= 0 and req.trailing_delta is None:
                raise EngineReject(-1102, EITHER.format("stopPrice", "trailingDelta"))
            last = st.last_price
            if stop > 0 and last is not None and stop_hit(order_type, side, stop, last):
                raise EngineReject(-2010, "Order would trigger immediately.")
            assert req.quantity is not None
            qty = req.quantity
            need = qty if side is SELL else (price or ZERO) * qty
        else:
            plan = self._plan(
                st, account, side, limit=price, qty=req.quantity, quote=req.quote_order_qty, stp=stp
            )
            qty = plan.filled if by_quote else req.quantity  # type: ignore[assignment]
            if side is SELL:
                need = qty
            elif price is not None:
                need = price * qty
            else:
                need = req.quote_order_qty if by_quote else plan.cost  # type: ignore[assignment]
        self._check_free(st, account, side, need)

        quote_qty = req.quote_order_qty if by_quote else None
        live = self._new_order(st, account, req, (price, qty, tif, stp, quote_qty))
        if takes_as_it_goes:
            self._lock(st, live, need)
            self._take(st, live, stp)
            return live
        if plan is None:
            self._lock(st, live, need)
            self._arm(st, live)
            return live
        fok_fails = tif is FOK and price is not None and plan.filled < qty
        if not fok_fails and (side is SELL or price is not None):
            self._lock(st, live, need)
        self._execute(st, live, plan)
        return live

    @exact
    def cancel(
        self,
        account: str,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
        new_client_order_id: str | None = None,
        now_ms: int,
    ) -> tuple[OrderRecord, list[Event]]:
        """Cancels one order (both legs when it belongs to an executing OCO). The cancel's own
        client id (generated when not given) is in the CANCELED event's
        ``cancel_client_order_id``."""
        st = self._symbol(symbol)
        live = self._find_open(st, account, order_id, client_order_id)
        self._begin(now_ms)
        self._cancel(st, live, new_client_order_id or self._new_client_id())
        events = self._end(st)
        return live.order.snapshot(), events

    @exact
    def cancel_all(self, account: str, symbol: str, now_ms: int) -> tuple[list[OrderRecord], list[Event]]:
        st = self._symbol(symbol)
        lives = list(self._open.get(account, {}).get(symbol, {}).values())
        if not lives:
            raise EngineReject(-2011, UNKNOWN_ORDER)
        self._begin(now_ms)
        cancel_id = self._new_client_id()
        for live in lives:
            if live.order.order_id in st.live:
                self._cancel(st, live, cancel_id)
        events = self._end(st)
        return [live.order.snapshot() for live in lives], events

    @exact
    def cancel_replace(
        self,
        account: str,
        symbol: str,
        *,
        cancel_order_id: int | None,
        cancel_orig_client_order_id: str | None,
        new: OrderRequest,
        mode: str,
        now_ms: int,
        cancel_new_client_order_id: str | None = None,
    ) -> CancelReplaceResult:
        if mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise EngineReject(-1102, MANDATORY.format("cancelReplaceMode"))
        st = self._symbol(symbol)
        if new.symbol != symbol:
            raise EngineReject(-1121, "Invalid symbol.")
        self._begin(now_ms)
        canceled: OrderRecord | None = None
        cancel_error: EngineReject | None = None
        try:
            live = self._find_open(st, account, cancel_order_id, cancel_orig_client_order_id)
        except EngineReject as exc:
            cancel_error = exc
        else:
            self._cancel(st, live, cancel_new_client_order_id or self._new_client_id())
            canceled = live.order.snapshot()
        result: PlaceResult | None = None
        new_error: EngineReject | None = None
        if cancel_error is None or mode == "ALLOW_FAILURE":
            mark = len(self._events)
            try:
                placed = self._place(st, account, new)
            except EngineReject as exc:
                new_error = exc
            else:
                fills = placed.fills or []
                placed.fills = None
                self._settle(st)
                result = PlaceResult(placed.order.snapshot(), fills, self._events[mark:])
        events = self._end(st)
        if result is not None:
            result = PlaceResult(result.order, result.fills, events)
        return CancelReplaceResult(canceled, cancel_error, result, new_error, events)

    def _new_order(
        self,
        st: SymbolBook,
        account: str,
        req: OrderRequest,
        terms: tuple[Decimal | None, Decimal, TimeInForce, SelfTradePreventionMode, Decimal | None],
    ) -> LiveOrder:
        """Creates the order ``req`` asks for on the terms the checks settled (limit price or
        None, quantity, time in force, self-trade prevention, quote quantity of a MARKET
        order by quote) and reports it NEW; the order collects its fills for the answer."""
        price, qty, tif, stp, quote_qty = terms
        live = self._create(
            st,
            account,
            side=req.side,
            order_type=req.type,
            tif=tif,
            price=price,
            qty=qty,
            client_id=req.client_order_id,
            stop_price=req.stop_price,
            trailing_delta=req.trailing_delta,
            iceberg=req.iceberg_qty,
            quote_qty=quote_qty,
            stp=stp,
        )
        live.fills = []
        self._emit(live, NEW_EXECUTION)
        return live

    def _cancel(self, st: SymbolBook, live: LiveOrder, cancel_id: str) -> None:
        oco = live.oco
        if oco is not None and oco.executing:
            self._cancel_list(st, oco, cancel_id)
        else:
            self._cancel_one(st, live, cancel_id)
