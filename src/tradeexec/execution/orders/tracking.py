"""How the order manager folds what the exchange says into its orders: placement answers,
stream updates, lookups and trades become journaled ``ExchangeEvent``s, applied once each
(duplicates change nothing), moving the order forward only (``state.advances``) and the
position by each new fill.

``OrderTracking`` is the bottom layer of ``OrderManager`` (``tracking`` <- ``resolve`` <-
``reconcile`` <- ``manager``): it holds the orders and what they are applied to (journal,
positions, risk, policy), so every layer above changes orders only through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

from tradeexec.errors import BinanceAPIError, OrderNotFound, TradeexecError
from tradeexec.execution.journal.guard import JournalGuard
from tradeexec.execution.journal.records import ExchangeEvent, OutcomeKind, RequestKind
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.state import OrderState, advances
from tradeexec.execution.policy import ErrorPolicy
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskManager
from tradeexec.execution.valuation import Valuation
from tradeexec.venue.protocol import ConditionalOrders, TradingVenue
from tradeexec.venue.records import CancelAnswer, ExecutionUpdate, OrderSnapshot, PlaceAnswer, TradeRecord
from tradeexec.venue.rules import SymbolRuleSet, VenueRules
from tradeexec.venue.stream import ConditionalStatus, ConditionalUpdate
from tradeexec.venue.vocab import ExecutionType

__all__ = ["CLOCK_SKEW_MS", "OrderTracking", "same_order"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)
# Client order IDs are unique only among open orders; an exchange order this much older than
# an intent (beyond any clock skew) is someone else's use of the ID.
CLOCK_SKEW_MS = 60_000


def same_order(order: ManagedOrder, ex: OrderSnapshot) -> bool:
    """Whether the exchange's order is this intent's: client order IDs are unique only among
    open orders, so an order with another id, or older than the intent (beyond clock skew),
    is an earlier use of the same ID."""
    return order.order_id in (None, ex.order_id) and ex.created_ms >= order.intent.created_ms - CLOCK_SKEW_MS


class OrderTracking:
    """The orders, and the one way each changes: ``_apply`` (journal, fold, move forward)."""

    valuation: Valuation

    def __init__(
        self,
        venue: TradingVenue,
        journal: Journal,
        *,
        risk: RiskManager,
        positions: PositionTracker,
        policy: ErrorPolicy,
        clock_ms: Callable[[], int],
    ) -> None:
        self.venue = venue
        self.journal = journal
        self.risk = risk
        self.positions = positions
        self.policy = policy
        self._clock_ms = clock_ms
        self.rules: VenueRules | None = None
        self._orders: dict[str, ManagedOrder] = {}
        # Orders not yet final, so that open_orders() costs what is open, not all history.
        self._live: dict[str, ManagedOrder] = {}
        # Final orders whose fills are not all known yet: with the live ones, all the poller
        # has to look at.
        self._fills_due: dict[str, ManagedOrder] = {}
        self._by_order_id: dict[tuple[str, int], ManagedOrder] = {}  # order ids are per symbol
        self._tasks: set[asyncio.Task[Any]] = set()
        self._guard = JournalGuard(journal)
        # Asked once here, so a venue with a single id space (spot) costs one None check.
        self._conditional = venue if isinstance(venue, ConditionalOrders) else None
        # A conditional order's id in the venue's conditional space, and the book orders
        # conditional orders fired (keyed like ``_by_order_id``): the two id spaces overlap,
        # so a conditional order is found by a book order's id only once linked to it.
        self._conditional_ids: dict[str, int] = {}
        self._placed: dict[tuple[str, int], ManagedOrder] = {}

    def _track(self, order: ManagedOrder) -> None:
        cid = order.client_order_id
        self._orders[cid] = order
        if not order.is_final:
            self._live[cid] = order

    def _conditional_space(self, order: ManagedOrder) -> ConditionalOrders | None:
        """The venue's conditional id space when ``order`` lives there, else None (lookups
        and cancels then go to the plain ``lookup`` / ``cancel``)."""
        space = self._conditional
        return space if space is not None and space.is_conditional(order.intent.type) else None

    def _follow_trigger(self, order: ManagedOrder, found: OrderSnapshot) -> None:
        """A conditional order's lookup that reports a book order (a type outside the
        conditional ones) found it triggered: the intent follows the order it sent to the
        book from now on (its trades carry that id), also when the journal already named that
        order (a restart), so that its execution reports are known as the intent's."""
        space = self._conditional_space(order)
        if space is not None and not space.is_conditional(found.type):
            self._link_placed(order, found.order_id)

    def _link_placed(self, order: ManagedOrder, placed_id: int) -> None:
        """Follow the book order a conditional order fired: its fills, trades and execution
        reports carry that id from now on."""
        key = (order.symbol, placed_id)
        if self._placed.get(key) is order:
            return
        log.info("order %s triggered: following order %d", order.client_order_id, placed_id)
        order.order_id = placed_id
        self._by_order_id[key] = order
        self._placed[key] = order

    def _symbol_rules(self, symbol: str) -> SymbolRuleSet:
        if self.rules is None:
            raise TradeexecError("OrderManager.start() must run before orders are submitted")
        return self.rules[symbol]

    def _apply_response(self, order: ManagedOrder, response: PlaceAnswer) -> None:
        """Fold a placement answer (an acknowledgement, or the result with its fills)."""
        update_ms = response.transact_ms or self._clock_ms()
        order_id = response.order_id
        status = response.status
        if self._conditional is not None and self._conditional_space(order):
            # The answer names the order in the conditional space: its updates carry that id.
            self._conditional_ids.setdefault(order.client_order_id, order_id)
        if status is None:  # ACK: accepted, nothing more known yet
            self._apply(order, ExchangeEvent("NEW", ZERO, ZERO, update_ms, "ack", order_id, "NEW"))
            return
        executed = ZERO
        quote = ZERO
        said: tuple[Decimal, Decimal] | None = None  # what the last fill event journaled
        # A FULL answer's fills carry no quote amount: the exchange books each trade's quote
        # rounded down to the quote asset's precision, so that is what each fill moved.
        quote_unit = Decimal(1).scaleb(-self._symbol_rules(order.symbol).quote_asset_precision)
        for f in response.fills:
            executed += f.qty
            last_quote = (f.qty * f.price).quantize(quote_unit, rounding=ROUND_DOWN)
            # Never journal more than the exchange's own total says.
            quote = min(quote + last_quote, response.cumulative_quote)
            if f.trade_id is not None:
                said = (executed, quote)
                self._apply(
                    order,
                    ExchangeEvent(
                        str(status) if executed >= response.executed_qty else "PARTIALLY_FILLED",
                        executed,
                        quote,
                        update_ms,
                        "ack",
                        order_id,
                        ExecutionType.TRADE.value,
                        trade_id=f.trade_id,
                        last_price=f.price,
                        last_qty=f.qty,
                        commission=f.commission,
                        commission_asset=f.commission_asset,
                        last_quote=last_quote,
                    ),
                )
        if said == (response.executed_qty, response.cumulative_quote):
            return  # the last fill's event already said all the summary would
        self._apply(
            order,
            ExchangeEvent(
                str(status), response.executed_qty, response.cumulative_quote, update_ms, "ack", order_id
            ),
        )

    def _apply(self, order: ManagedOrder, event: ExchangeEvent) -> bool:
        """Journal and fold one exchange event; False for a duplicate. Fills move the
        position; the status only moves forward."""
        if not self._guard.event(order, event):
            return False
        order.updated_at = time.monotonic()
        if event.order_id is not None and order.order_id is None:
            order.order_id = event.order_id
            self._by_order_id[(order.symbol, event.order_id)] = order
        if event.order_time_ms is not None:
            order.order_time_ms = event.order_time_ms
        if event.trade_id is not None and event.trade_id not in order._trade_ids:
            order._trade_ids.add(event.trade_id)
            order.fills.append(event)
            if event.last_qty and event.last_price is not None:
                self._move_position(order, event, event.last_qty, event.last_price)
                self.valuation.observe(self.risk)
        order.executed_qty = max(order.executed_qty, event.executed_qty)
        order.cumulative_quote = max(order.cumulative_quote, event.cumulative_quote)
        self._set_state(order, OrderState.from_exchange(event.status))
        return True

    def _move_position(self, order: ManagedOrder, event: ExchangeEvent, qty: Decimal, price: Decimal) -> None:
        """One new fill moves the order's position: its leg when the journaled intent names
        one (a derivatives order), else the spot position (the spot path pays one attribute
        read for this)."""
        leg = order.intent.position_leg
        if leg is None:
            self.positions.apply_fill(
                order.symbol,
                order.side,
                qty,
                price,
                commission=event.commission or ZERO,
                commission_asset=event.commission_asset,
                quote_qty=event.last_quote,
                trade_id=event.trade_id,
                time_ms=event.update_ms,
                sent_sync=order.sent_sync,
            )
            return
        self.positions.legs.apply_fill(
            order.symbol,
            leg,
            order.side,
            qty,
            price,
            commission=event.commission or ZERO,
            commission_asset=event.commission_asset,
            trade_id=event.trade_id,
            time_ms=event.update_ms,
            sent_sync=order.sent_sync,
        )

    def _set_state(self, order: ManagedOrder, new: OrderState) -> None:
        if advances(order.state, new):
            log.info("order %s: %s -> %s", order.client_order_id, order.state, new)
            order.state = new
            if new.is_final:
                self._live.pop(order.client_order_id, None)
        self._maybe_done(order)

    def _maybe_done(self, order: ManagedOrder) -> None:
        # Final and every fill known: only then is the position right, so only then done.
        if not order.is_final:
            return
        if order.filled_qty >= order.executed_qty:
            self._fills_due.pop(order.client_order_id, None)
            order._final.set()
        else:
            self._fills_due[order.client_order_id] = order

    def on_execution_report(self, event: ExecutionUpdate) -> bool:
        """Apply a user-data-stream order update; idempotent (duplicates and late messages
        change nothing). Returns False when the event was a duplicate or not ours."""
        cid = event.client_order_id
        if event.execution_type is ExecutionType.CANCELED and event.orig_client_order_id:
            cid = event.orig_client_order_id
        order = self._orders.get(cid)
        if self._conditional is not None:
            order = self._conditional_report(order, event)
        elif order is None:
            order = self._by_order_id.get((event.symbol, event.order_id))
        if order is None:
            log.debug("execution report for an order this manager does not track: %s", cid)
            return False
        is_trade = event.execution_type is ExecutionType.TRADE
        applied = self._apply(
            order,
            ExchangeEvent(
                status=event.order_status.value,
                executed_qty=event.cumulative_filled_qty,
                cumulative_quote=event.cumulative_quote_qty,
                update_ms=event.transaction_time,
                source="stream",
                order_id=event.order_id,
                execution_type=event.execution_type.value,
                order_time_ms=event.order_creation_time,
                trade_id=event.trade_id if is_trade else None,
                last_price=event.last_executed_price if is_trade else None,
                last_qty=event.last_executed_qty if is_trade else None,
                commission=event.commission if is_trade else None,
                commission_asset=event.commission_asset if is_trade else None,
                last_quote=event.last_quote_qty if is_trade else None,
            ),
        )
        if order.executed_qty > order.filled_qty:
            self._spawn(self._sync_fills(order))
        return applied

    def _conditional_report(self, order: ManagedOrder | None, event: ExecutionUpdate) -> ManagedOrder | None:
        """Whose an execution report is on a venue with a conditional id space: a book order's
        report names a conditional order only by the order it fired (``_placed``), never by
        its own id, which may equal another book order's; a conditional order's report found
        by its client ID is its fired order's, which it follows from then on."""
        if order is None:
            return self._by_book_id(event.symbol, event.order_id)
        if order.order_id != event.order_id and self._conditional_space(order):
            self._link_placed(order, event.order_id)
        return order

    def _by_book_id(self, symbol: str, order_id: int) -> ManagedOrder | None:
        """The order a book order's id names: a conditional order only once it fired that
        very order (its own id lives in another space and may equal any book order's)."""
        key = (symbol, order_id)
        order = self._by_order_id.get(key)
        if order is not None and self._placed.get(key) is not order and self._conditional_space(order):
            return None
        return order

    def on_conditional_update(self, update: ConditionalUpdate) -> bool:
        """Apply a conditional order's own event (``ConditionalUpdate``); idempotent: a
        repeated or late one changes nothing (state only moves forward, the journal drops
        what it already holds). Once it fired, the order follows the book order it placed:
        its fills come once, from that order's trades (fetched here when the update says
        more is filled than known) or its execution reports, never from both. Returns
        whether the update was applied."""
        order = self._orders.get(update.client_order_id)
        if order is None or order.symbol != update.symbol or self._conditional_space(order) is None:
            return False
        known = self._conditional_ids.setdefault(order.client_order_id, update.conditional_id)
        if known != update.conditional_id:
            log.warning(
                "conditional update %d for %s: not this order's (%d)",
                update.conditional_id, order.client_order_id, known,
            )  # fmt: skip
            return False
        placed = update.placed_order_id
        if placed is not None:
            self._link_placed(order, placed)
        status = self._conditional_status(order, update)
        if status is None:
            return False
        applied = self._apply(
            order,
            ExchangeEvent(
                status,
                update.executed_qty,
                update.cumulative_quote,
                update.event_time,
                "stream",
                placed if placed is not None else update.conditional_id,
                f"ALGO_{update.status.value}",
            ),
        )
        if update.reason and status == "REJECTED":
            order.reason = update.reason
        if order.executed_qty > order.filled_qty:
            self._spawn(self._sync_fills(order))
        if update.status is ConditionalStatus.FINISHED and not order.is_final:
            # Ended in the book, but the event does not say how (filled, canceled, expired):
            # the fired order is looked up (the poller tries again if this fails).
            self._spawn(self._settle_lookup(order))
        return applied

    @staticmethod
    def _conditional_status(order: ManagedOrder, update: ConditionalUpdate) -> str | None:
        """The order status a conditional update implies; None when it implies none yet
        (TRIGGERING: the fired order is on its way, its own report follows)."""
        kind = update.status
        if kind is ConditionalStatus.TRIGGERING:
            return None
        finished = kind is ConditionalStatus.FINISHED
        if kind is ConditionalStatus.TRIGGERED or (finished and update.placed_order_id is not None):
            if finished and update.executed_qty >= (order.intent.quantity or ZERO) > 0:
                return "FILLED"
            return "PARTIALLY_FILLED" if update.executed_qty > 0 else "NEW"
        if kind is ConditionalStatus.FINISHED:
            return "EXPIRED"  # over without an order in the book: nothing executed
        return kind.value  # NEW, CANCELED, REJECTED, EXPIRED: the order statuses' own words

    async def _settle_lookup(self, order: ManagedOrder) -> None:
        with contextlib.suppress(TradeexecError, OSError, TimeoutError):
            found = await self._query(order)
            if found is not None:
                await self._settle_found(order, found)

    def on_order_update(self, snapshot: OrderSnapshot) -> bool:
        """Apply an order as REST reports it now (the user data stream's account of what it
        missed while down); idempotent. Returns whether the order's state or executed
        quantity moved. A snapshot carries no trades: missing fills are fetched by a task of
        the manager's, so the caller (the stream's consumer) never waits on a request."""
        order = self._orders.get(snapshot.client_order_id) or self._by_book_id(
            snapshot.symbol, snapshot.order_id
        )
        if order is None or not same_order(order, snapshot):
            return False
        before = (order.state, order.executed_qty)
        self._apply_order(order, snapshot)
        if order.executed_qty > order.filled_qty:
            self._spawn(self._sync_fills(order))
        return (order.state, order.executed_qty) != before

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync_fills(self, order: ManagedOrder) -> None:
        """Fetch the order's trades when its executed quantity is ahead of the fills known
        (stream down, or a poll saw the fill first). Retried by the poller on failure."""
        if order.order_id is None or order.executed_qty <= order.filled_qty:
            self._maybe_done(order)
            return
        trades = await self._fetch_trades(order, order.order_id)
        with self._guard.transaction(order):
            self._fold_trades(order, trades)

    async def _fetch_trades(self, order: ManagedOrder, order_id: int) -> Sequence[TradeRecord]:
        """The order's trades, or none when asking failed (the fills stay due)."""
        try:
            return await self.venue.recent_trades(order.symbol, order_id=order_id)
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.policy.decide(exc, write=False, what=f"trades of {order.client_order_id}")
            return ()

    async def _settle_found(self, order: ManagedOrder, found: OrderSnapshot) -> None:
        """Fold a lookup's answer and the fills it implies in one commit, trades fetched
        first: a kill in between leaves neither (the order is still in flight and is looked
        up again), never a final status without its fills. When the trades cannot be had the
        status is journaled alone and the fills stay due (poller, next start's reconcile)."""
        self._follow_trigger(order, found)
        trades: Sequence[TradeRecord] = ()
        if found.executed_qty > order.filled_qty:
            trades = await self._fetch_trades(order, found.order_id)
        with self._guard.transaction(order):
            self._apply_order(order, found)
            self._fold_trades(order, trades)

    def _fold_trades(self, order: ManagedOrder, trades: Sequence[TradeRecord]) -> int:
        """Apply the order's trades (all of them, in id order: each event carries the running
        executed quantity); returns how many fills were new."""
        known = len(order.fills)
        running = ZERO
        quote = ZERO
        for t in sorted(trades, key=lambda t: t.id):
            if t.order_id != order.order_id:
                continue
            running += t.qty
            quote += t.quote_qty
            self._apply(
                order,
                ExchangeEvent(
                    str(order.state if order.state.is_final else OrderState.PARTIALLY_FILLED),
                    running,
                    quote,
                    t.time_ms,
                    "trades",
                    order.order_id,
                    ExecutionType.TRADE.value,
                    trade_id=t.id,
                    last_price=t.price,
                    last_qty=t.qty,
                    commission=t.commission,
                    commission_asset=t.commission_asset,
                    last_quote=t.quote_qty,
                ),
            )
        self._maybe_done(order)
        return len(order.fills) - known

    async def _query(self, order: ManagedOrder, note: str = "") -> OrderSnapshot | None:
        """Look the order up by client order ID; None when the exchange says it does not
        exist (or the order found is an older one that reused the ID). Other errors raise.
        ``note`` (what a resend would rest on) joins a not-found outcome in the journal."""
        intent = order.intent
        guard = self._guard
        request_id = guard.request(order, RequestKind.QUERY, attempt=1)
        note = f"; {note}" if note else ""
        try:
            space = self._conditional_space(order)
            lookup = self.venue.lookup if space is None else space.lookup_conditional
            found = await lookup(intent.symbol, intent.client_order_id)
        except OrderNotFound as exc:
            code, msg = (exc.code, exc.msg) if isinstance(exc, BinanceAPIError) else (None, str(exc))
            guard.outcome(order, request_id, OutcomeKind.NOT_FOUND, code=code, msg=msg + note)
            return None
        except BaseException as exc:
            guard.outcome(order, request_id, OutcomeKind.UNKNOWN, msg=str(exc))
            raise
        # Client order IDs are unique only among open orders: an order older than the intent
        # (beyond clock skew) is someone else's use of the same ID.
        if found.created_ms < intent.created_ms - CLOCK_SKEW_MS:
            older = f"order found is older ({found.created_ms}){note}"
            guard.outcome(order, request_id, OutcomeKind.NOT_FOUND, msg=older)
            return None
        guard.outcome(order, request_id, OutcomeKind.ACK)
        self.policy.record_success()
        return found

    def _apply_order(self, order: ManagedOrder, found: OrderSnapshot) -> None:
        self._apply(
            order,
            ExchangeEvent(
                status=found.status.value,
                executed_qty=found.executed_qty,
                cumulative_quote=found.cumulative_quote,
                update_ms=found.updated_ms,
                source="query",
                order_id=found.order_id,
                order_time_ms=found.created_ms,
            ),
        )

    def _apply_cancel_report(self, order: ManagedOrder, report: CancelAnswer) -> None:
        self._apply(
            order,
            ExchangeEvent(
                status=str(report.status),
                executed_qty=report.executed_qty,
                cumulative_quote=report.cumulative_quote,
                update_ms=report.transact_ms or self._clock_ms(),
                source="cancel",
                order_id=report.order_id,
                execution_type=ExecutionType.CANCELED.value,
            ),
        )

    def _abandon(self, order: ManagedOrder, why: str) -> None:
        self._guard.abandon(order, why)
        order.reason = why
        log.warning("order %s abandoned: %s", order.client_order_id, why)
        self._set_state(order, OrderState.CANCELED)
