"""Start-up reconciliation: settle every order the journal left in flight and compare with the
exchange. In-flight intents are looked up (or resent / abandoned by the resolver's rules),
final orders missing fills get their trades, recent orders and trades are read so an order
that filled while the process was dead is settled with every fill, and orders of ours the
journal lost are adopted (``adopt``); anything else open on the account is reported.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from tradeexec.errors import TradeexecError
from tradeexec.execution.journal.records import RequestKind
from tradeexec.execution.orders import adopt
from tradeexec.execution.orders.ids import OUR_ID_RE, id_prefix
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.resolve import Resolving
from tradeexec.execution.orders.state import DerivedState, OrderState
from tradeexec.execution.orders.tracking import CLOCK_SKEW_MS, same_order
from tradeexec.venue.records import OrderSnapshot, TradeRecord

__all__ = ["ReconcileReport", "Reconciling"]

log = logging.getLogger(__name__)
_PAGE = 1000  # the most allOrders and myTrades return at once
_MAX_PAGES = 10
_T = TypeVar("_T")


@dataclass(slots=True)
class ReconcileReport:
    """What a reconciliation found and did."""

    settled: dict[str, tuple[OrderState, OrderState]] = field(default_factory=dict)
    resent: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    unmanaged_open_orders: list[OrderSnapshot] = field(default_factory=list)
    fills_added: int = 0

    @property
    def clean(self) -> bool:
        return not (self.unresolved or self.unmanaged_open_orders)


class Reconciling(Resolving):
    """``Resolving`` plus the reconciliation a start (and the feed's resync) runs."""

    strategy: str
    unsent_max_age_ms: int
    _scanned_for_adoption: bool  # the first reconciliation reads wider (``adopt``)

    async def reconcile(self, *, symbols: Iterable[str] = ()) -> ReconcileReport:
        """Settle everything the journal left in flight and compare with the exchange: each
        in-flight intent is looked up by client order ID (resent or abandoned per the rules
        of ``_resolve``), a final order journaled with fills missing gets its trades, open
        orders and recent orders and trades are read, and orders on the exchange the journal
        does not know are adopted when their ID is one this manager makes (``adopt``: the
        journal may have lost them), else reported. The first reconciliation reads recent
        orders of the journal's symbols, the open orders' symbols and ``symbols``; later ones
        those of the orders in flight (see ``adopt.scan_windows``)."""
        report = ReconcileReport()
        strategies = {self.strategy, *self.journal.strategies()}
        unsettled = self.journal.unsettled()
        since: dict[str, int] = {}  # per symbol, the earliest in-flight intent
        for derived in unsettled:
            if not derived.state.is_final:
                symbol, created = derived.intent.symbol, derived.intent.created_ms
                since[symbol] = min(since.get(symbol, created), created)
        for derived in unsettled:
            intent = derived.intent
            order = self._orders.get(intent.client_order_id) or self._restore(derived)
            before = order.state
            if before.is_final:
                # Over, but killed (or the lookup failed) before all its fills were journaled:
                # only its trades are missing, and nothing else would ever fetch them.
                known = len(order.fills)
                await self._sync_fills(order)
                report.fills_added += len(order.fills) - known
                continue
            if before is OrderState.PENDING_NEW:
                if self._clock_ms() - intent.created_ms > self.unsent_max_age_ms:
                    self._abandon(order, "journaled but never sent; too old to send late")
                    report.abandoned.append(intent.client_order_id)
                    continue
                if await self._place(order):
                    report.resent.append(intent.client_order_id)
                elif order.state is OrderState.CANCELED:
                    report.abandoned.append(intent.client_order_id)
            elif before is OrderState.UNKNOWN:
                self._start_resolver(order)
            else:
                with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                    found = await self._query(order)
                    if found is not None:
                        await self._settle_found(order, found)
            if order._resolver is not None and not order._resolver.done():
                with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                    await order._resolver
            await self._sync_fills(order)
            if order.place_attempts > 1 and intent.client_order_id not in report.resent:
                report.resent.append(intent.client_order_id)
            if order.state is OrderState.UNKNOWN:
                report.unresolved.append(intent.client_order_id)
            if order.state is not before:
                report.settled[intent.client_order_id] = (before, order.state)
        on_exchange = await self._open_orders_or_none()
        if not self._scanned_for_adoption:
            self._scanned_for_adoption = True
            open_symbols = {o.symbol for o in on_exchange or ()}
            since = adopt.scan_windows(since, self.journal.symbols(), open_symbols, symbols, self._clock_ms())
        for symbol, start in since.items():
            await self._reconcile_recent(symbol, start - CLOCK_SKEW_MS, report, strategies)
        if on_exchange is not None:
            self._reconcile_open_orders(on_exchange, report, strategies)
        return report

    async def _reconcile_recent(
        self, symbol: str, start_ms: int, report: ReconcileReport, strategies: set[str]
    ) -> None:
        """Read the symbol's orders and trades since ``start_ms`` and fold in what the journal
        lacks: an order that filled and closed while the process was dead (or whose lookup
        failed just now) is settled with every fill, so positions match the exchange."""
        try:
            orders = await self._pages(
                lambda after: self.venue.recent_orders(
                    symbol, since_ms=None if after else start_ms, from_order_id=after, limit=_PAGE
                ),
                lambda o: o.order_id,
            )
            trades = await self._pages(
                lambda after: self.venue.recent_trades(
                    symbol, since_ms=None if after else start_ms, from_trade_id=after, limit=_PAGE
                ),
                lambda t: t.id,
            )
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.policy.decide(exc, write=False, what=f"reconcile recent orders of {symbol}")
            return
        by_order: dict[int, list[TradeRecord]] = {}
        for t in trades:
            by_order.setdefault(t.order_id, []).append(t)
        for ex in orders:
            order = self._orders.get(ex.client_order_id)
            if order is None:
                if not self._adoptable(ex, strategies):
                    continue
                order = self._adopt(ex)
                report.adopted.append(ex.client_order_id)
            elif not same_order(order, ex):
                continue
            before = order.state
            with self.journal.transaction():  # the status and the fills it implies, at once
                self._apply_order(order, ex)
                report.fills_added += self._fold_trades(order, by_order.get(ex.order_id, ()))
            if order.state is not before and ex.client_order_id not in report.adopted:
                first = report.settled.get(ex.client_order_id, (before, before))[0]
                report.settled[ex.client_order_id] = (first, order.state)

    @staticmethod
    async def _pages(
        fetch: Callable[[int | None], Awaitable[Sequence[_T]]], key: Callable[[_T], int]
    ) -> list[_T]:
        """Every item from a listing paged by id (``orderId`` / ``fromId``), within a bound."""
        items = list(await fetch(None))
        last = len(items)
        for _ in range(_MAX_PAGES - 1):
            if last < _PAGE:
                break
            page = await fetch(key(items[-1]) + 1)
            items += page
            last = len(page)
        if last >= _PAGE:
            log.warning("reconcile: more than %d items; only the first were read", len(items))
        return items

    def _restore(self, derived: DerivedState) -> ManagedOrder:
        order = ManagedOrder(derived.intent)
        order.state = derived.state
        order.order_id = derived.order_id
        order.executed_qty = derived.executed_qty
        order.cumulative_quote = derived.cumulative_quote
        order.fills = self.journal.fills(derived.intent.client_order_id)
        order._trade_ids = {f.trade_id for f in order.fills if f.trade_id is not None}
        places = [r for r in self.journal.requests(derived.intent.id) if r.kind is RequestKind.PLACE]
        order.place_attempts = len(places)
        order.last_place_ms = places[-1].sent_ms if places else 0
        self._track(order)
        self._maybe_done(order)  # a final order with fills missing joins the poller's round
        if order.order_id is not None:
            self._by_order_id[(order.symbol, order.order_id)] = order
        if self.rules is not None and derived.intent.symbol in self.rules:
            r = self.rules[derived.intent.symbol]
            self.positions.register_symbol(r.symbol, r.base_asset, r.quote_asset)
        return order

    async def _open_orders_or_none(self) -> Sequence[OrderSnapshot] | None:
        try:
            return await self.venue.open_orders()
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.policy.decide(exc, write=False, what="reconcile open orders")
            return None

    def _reconcile_open_orders(
        self, on_exchange: Sequence[OrderSnapshot], report: ReconcileReport, strategies: set[str]
    ) -> None:
        for ex in on_exchange:
            order = self._orders.get(ex.client_order_id)
            if order is not None:
                self._apply_order(order, ex)
                continue
            if self._adoptable(ex, strategies):
                self._adopt(ex)
                report.adopted.append(ex.client_order_id)
                continue
            if self.journal.intent(ex.client_order_id) is None:
                report.unmanaged_open_orders.append(ex)
        if report.unmanaged_open_orders:
            log.warning(
                "reconcile: %d open orders on the exchange are not in the journal: %s",
                len(report.unmanaged_open_orders),
                ", ".join(o.client_order_id for o in report.unmanaged_open_orders),
            )

    def _adoptable(self, ex: OrderSnapshot, strategies: set[str]) -> bool:
        """An order of ours (by its ID: see ``adopt``) that the journal does not have."""
        cid = ex.client_order_id
        prefixes = (id_prefix(s, ex.symbol) for s in strategies)
        ours = adopt.is_ours(cid, prefixes, OUR_ID_RE.search(cid) is not None)
        return ours and self.journal.intent(cid) is None

    def _adopt(self, ex: OrderSnapshot) -> ManagedOrder:
        """Journal an order of ours found on the exchange that the journal lacks."""
        order = ManagedOrder(self.journal.record_intent(adopt.intent_of(ex)))
        self._track(order)
        if self.rules is not None and ex.symbol in self.rules:
            r = self.rules[ex.symbol]
            self.positions.register_symbol(r.symbol, r.base_asset, r.quote_asset)
        self._apply_order(order, ex)
        log.warning("reconcile: adopted order %s (%s) from the exchange", ex.client_order_id, ex.status)
        return order
