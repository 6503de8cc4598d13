"""The market maker's incremental re-quoting: only the levels that must change do.

A market maker that cancels its book and quotes it again at every step empties both sides for
a moment (book tickers with a zero bid, market orders that expire) and makes every depth diff
a rewrite of the whole book. This quoter keeps a level wherever the new ladder still wants one
near it, adds only the levels that are missing and cancels only those that are stale, and it
adds before it cancels, the retreating side first, so that no side is ever empty and its own
new quotes never meet its own old ones.

Quotes are ordinary GTC LIMIT orders of an internal account going through the engine, so
users' orders match against them exactly as they match against any other order. Where they go
is a ``QuoteBook``: the spot engine (``SpotQuotes``, the default) or the futures books
(``sim/market/futures_market.py``), so one quoter serves both.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect_left
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol

from tradeexec.binance.enums import OrderType, SelfTradePreventionMode, Side, TimeInForce
from tradeexec.sim.engine import Engine, EngineReject, Event, ExecutionEvent, OrderRecord, OrderRequest
from tradeexec.sim.market.book_shape import ShapeParams, TickGrid, level_qty, offsets
from tradeexec.sim.state import SimState

PER_CELL = 2


def plan(existing: list[int], targets: list[int]) -> tuple[list[int], list[int]]:
    """Which quotes to keep and which target levels to add, in ticks from the side's best
    price (``targets`` strictly ascending from 0).

    Each target owns the offsets nearer to it than to its neighbours (its cell; the last cell
    ends as far beyond the last target as the one before it). A quote is kept if it lies in a
    cell and is one of the ``PER_CELL`` nearest to that cell's target; a target is added if
    its cell holds no quote, and the first target (the best price) whenever no quote is exactly
    there. So a small move of the mid changes a few levels near the top and leaves the rest
    alone, the ladder's density stays within ``PER_CELL`` times the target's, and a plan
    applied once leaves nothing for the next plan to change. Returns (kept offsets ascending,
    indexes of the targets to add).
    """
    bounds = [(a + b) / 2 for a, b in itertools.pairwise(targets)]
    limit = targets[-1] + (targets[-1] - bounds[-1] if bounds else 0)
    cells: dict[int, list[int]] = {}
    for off in existing:
        if 0 <= off <= limit:
            cells.setdefault(bisect_left(bounds, off), []).append(off)
    keep: list[int] = []
    for cell, offs in cells.items():
        offs.sort(key=lambda o: (abs(o - targets[cell]), o))
        # the best level is always exactly at the best price (the quoted spread): if it is
        # missing, it is added, and leaves room for one fewer near it
        room = PER_CELL - 1 if cell == 0 and offs[0] != 0 else PER_CELL
        keep.extend(offs[:room])
    keep.sort()
    add = [i for i in range(len(targets)) if i not in cells]
    if 0 in cells and 0 not in keep:
        add.insert(0, 0)
    return keep, add


Listener = Callable[[Sequence[Event]], None]


class QuoteBook(Protocol):
    """Where a quoter's orders go: the engine holding the books (a new one after a reset), the
    clock, placing and cancelling (the events reach that venue's listeners), and a feed of the
    engine's events so that quotes filled or cancelled by others are forgotten."""

    @property
    def engine(self) -> Engine: ...

    def now_ms(self) -> int: ...

    def place(self, account: str, req: OrderRequest) -> OrderRecord:
        """Raises ``EngineReject`` when the venue refuses the quote."""
        ...

    def cancel(self, account: str, symbol: str, order_id: int) -> None:
        """Raises ``EngineReject`` when the order is no longer open."""
        ...

    def subscribe(self, fn: Listener) -> Callable[[], None]:
        """Returns the call that unsubscribes."""
        ...


class SpotQuotes:
    """The spot engine of a ``SimState``: events published on its bus."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    @property
    def engine(self) -> Engine:
        return self.state.engine

    def now_ms(self) -> int:
        return self.state.now_ms()

    def place(self, account: str, req: OrderRequest) -> OrderRecord:
        result = self.state.engine.place(account, req, self.state.now_ms())
        self.state.publish(result.events)
        return result.order

    def cancel(self, account: str, symbol: str, order_id: int) -> None:
        _, events = self.state.engine.cancel(account, symbol, order_id=order_id, now_ms=self.state.now_ms())
        self.state.publish(events)

    def subscribe(self, fn: Listener) -> Callable[[], None]:
        handle = self.state.bus.add_listener(fn)
        return lambda: self.state.bus.remove_listener(handle)


class Quoter:
    """Keeps ``account``'s ladder on every symbol it is asked to quote. ``refresh`` random
    kept levels per side and step get a new size (placed before the old one is cancelled).
    ``book``: where the quotes go, the spot engine of ``state`` unless given."""

    def __init__(
        self,
        state: SimState,
        account: str,
        rng: random.Random,
        *,
        refresh: int = 1,
        book: QuoteBook | None = None,
    ) -> None:
        self.book: QuoteBook = SpotQuotes(state) if book is None else book
        self.account = account
        self.rng = rng
        self.refresh = refresh
        # (symbol, side) -> price -> order id of our quote there
        self._own: dict[tuple[str, Side], dict[Decimal, int]] = {}
        self._engine = self.book.engine
        self._unsubscribe = self.book.subscribe(self._on_events)

    def close(self) -> None:
        self._unsubscribe()

    def levels(self, symbol: str, side: Side) -> dict[Decimal, int]:
        """Our quotes on one side: price -> order id (read-only view for tests)."""
        return dict(self._own.get((symbol, side), {}))

    def _on_events(self, events: Sequence[Event]) -> None:
        """Forget quotes that are gone (filled, or canceled by anyone)."""
        for ev in events:
            if isinstance(ev, ExecutionEvent) and ev.account == self.account and ev.order.status.is_final:
                own = self._own.get((ev.order.symbol, ev.order.side))
                if own is not None and own.get(ev.order.price) == ev.order.order_id:
                    del own[ev.order.price]

    def requote(
        self, symbol: str, top: tuple[Decimal, Decimal], params: ShapeParams, grid: TickGrid, *, rising: bool
    ) -> None:
        """Move the ladder to ``top`` (best bid, best ask; bid < ask). ``rising``: the market
        went up, so the asks retreat first."""
        if self.book.engine is not self._engine:  # the exchange was reset: our orders are gone
            self._engine = self.book.engine
            self._own.clear()
            self._unsubscribe()  # a futures engine is rebuilt with its listeners
            self._unsubscribe = self.book.subscribe(self._on_events)
        order = (Side.SELL, Side.BUY) if rising else (Side.BUY, Side.SELL)
        for side in order:
            best = top[0] if side is Side.BUY else top[1]
            self._requote_side(symbol, side, best, params, grid)

    def _requote_side(
        self, symbol: str, side: Side, best: Decimal, params: ShapeParams, grid: TickGrid
    ) -> None:
        own = self._own.get((symbol, side))
        if own is None:
            own = self._own[(symbol, side)] = self._adopt(symbol, side)
        sign = -1 if side is Side.BUY else 1
        targets = offsets(params, best, grid.tick)
        if side is Side.BUY:  # no level at or below zero
            targets = [t for t in targets if best - t * grid.tick > 0]
        if not targets:
            return
        existing = {int((p - best) / grid.tick) * sign: p for p in own}
        keep, add = plan(sorted(existing), targets)
        for i in add:
            price = best + sign * targets[i] * grid.tick
            self._quote(symbol, side, price, level_qty(params, i, price, grid, self.rng), own)
        kept = set(keep)
        for off, price in existing.items():
            if off not in kept:
                self._cancel(symbol, own, price)
        for off in self._refresh_choice(keep):
            price, old = existing[off], own.get(existing[off])
            if old is None:
                continue
            index = min(range(len(targets)), key=lambda i: abs(targets[i] - off))
            self._quote(symbol, side, price, level_qty(params, index, price, grid, self.rng), own)
            if own.get(price) != old:
                self._cancel_id(symbol, old)

    def resize(self, symbol: str, side: Side, price: Decimal, qty: Decimal) -> None:
        """Make our quote at ``price`` hold ``qty`` (a replayed best level's recorded size):
        the new size is placed before the old one is cancelled, so the level never empties."""
        own = self._own.get((symbol, side), {})
        old = own.get(price)
        if old is None:
            return
        order = self.book.engine.get_order(self.account, symbol, order_id=old)
        if order.orig_qty - order.executed_qty == qty:
            return
        self._quote(symbol, side, price, qty, own)
        if own.get(price) != old:
            self._cancel_id(symbol, old)

    def _adopt(self, symbol: str, side: Side) -> dict[Decimal, int]:
        """Take over the quotes the account already has (an earlier quoter's, before a restart
        or between two replays): unknown to us they would never be moved or cancelled."""
        own: dict[Decimal, int] = {}
        for order in self.book.engine.open_orders(self.account, symbol):
            if order.side is not side:
                continue
            if order.price in own:
                self._cancel_id(symbol, order.order_id)
            else:
                own[order.price] = order.order_id
        return own

    def _refresh_choice(self, kept: list[int]) -> list[int]:
        if self.refresh <= 0 or not kept:
            return []
        return self.rng.sample(kept, min(self.refresh, len(kept)))

    def _quote(self, symbol: str, side: Side, price: Decimal, qty: Decimal, own: dict[Decimal, int]) -> None:
        req = OrderRequest(
            symbol,
            side,
            OrderType.LIMIT,
            quantity=qty,
            price=price,
            time_in_force=TimeInForce.GTC,
            # Never trade with our own older quotes; a user's order in the way trades normally.
            stp_mode=SelfTradePreventionMode.EXPIRE_TAKER,
        )
        try:
            order = self.book.place(self.account, req)
        except EngineReject:
            return
        if not order.status.is_final:
            own[price] = order.order_id

    def _cancel(self, symbol: str, own: dict[Decimal, int], price: Decimal) -> None:
        order_id = own.pop(price, None)
        if order_id is not None:
            self._cancel_id(symbol, order_id)

    def _cancel_id(self, symbol: str, order_id: int) -> None:
        try:
            self.book.cancel(self.account, symbol, order_id)
        except EngineReject:
            return  # already filled
