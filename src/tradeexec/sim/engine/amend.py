"""Amending a resting LIMIT order in place (USDⓈ-M futures' modify order): same order id and
client order id, new price and quantity, and the order goes to the back of its new price
level's queue, matching first if the new price crosses the book (Binance: "the order will be
reordered in the matching queue"). Spot has no such call; the futures engine
(``sim/futures/modify.py``) decides what Binance's futures rules refuse before calling it."""

from __future__ import annotations

from decimal import Decimal, localcontext

from tradeexec.binance.enums import ExecutionType, SelfTradePreventionMode, Side
from tradeexec.sim.engine.core import EXACT, ZERO, LiveOrder, SymbolBook
from tradeexec.sim.engine.events import Event
from tradeexec.sim.engine.placement import Placement
from tradeexec.sim.engine.records import OrderRecord


class Amending(Placement):
    """Adds ``amend``: change a resting order's price and quantity without a new id."""

    def amend(
        self,
        account: str,
        symbol: str,
        *,
        order_id: int | None,
        client_order_id: str | None,
        price: Decimal,
        quantity: Decimal,
        now_ms: int,
    ) -> tuple[OrderRecord, list[Event]]:
        """One REPLACED execution event, then whatever the new price matches. A new quantity
        at or below what already executed cancels the order instead (Binance's rule).
        Matching ignores self-trade prevention: futures' modify sets it to NONE. Raises
        -2011 (``EngineReject``) for an order that is not open."""
        with localcontext(EXACT):
            st = self._symbol(symbol)
            live = self._find_open(st, account, order_id, client_order_id)
            self._begin(now_ms)
            order = live.order
            if quantity <= order.executed_qty:
                self._cancel(st, live, self._new_client_id())
                return order.snapshot(), self._end(st)
            self._take_off_book(st, live)
            order.price = price
            order.orig_qty = quantity
            order.update_time = now_ms
            live.limit_price = price
            live.remaining = quantity - order.executed_qty
            order.stp_mode = SelfTradePreventionMode.NONE  # Binance: modify sets it to NONE
            self._relock(st, live)
            self._emit(live, ExecutionType.REPLACED)
            plan = self._plan(st, account, order.side, limit=price, qty=live.remaining, stp=order.stp_mode)
            live.fills = []
            self._execute(st, live, plan)
            live.fills = None
            self._settle(st)
            return order.snapshot(), self._end(st)

    def _relock(self, st: SymbolBook, live: LiveOrder) -> None:
        """Hold exactly what the amended remainder needs (the price or quantity changed)."""
        need = live.remaining if live.order.side is Side.SELL else (live.limit_price or ZERO) * live.remaining
        if need > live.lock:
            self._lock(st, live, need - live.lock)
        else:
            self._release_excess(st, live)
