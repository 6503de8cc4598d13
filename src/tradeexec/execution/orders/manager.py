"""The order manager: every intent sent exactly once and followed to its end.

The rules it lives by:

* Nothing is sent before it is journaled (intent, then each request, each committed).
* An order whose answer was lost is UNKNOWN and is looked up by its client order ID, never
  resent blindly. It is resent (with the same ID) only when a lookup says the order does not
  exist *after* the exchange's own clock, read before that lookup, and the monotonic clock
  both show the original request's recvWindow has passed (``resend_rule``): from then on the
  exchange can no longer accept the original, so the resend cannot make a duplicate. No
  local wall-clock step can make that judgement early.
* Nothing that could grow a position is placed once the kill switch has tripped: checked
  right before the venue is called, and by the venue again as it signs (``sending.py``);
  an order not sent because of it is journaled as abandoned, with the reason.
* A journal write that fails after an order is journaled never reaches the caller: the
  manager degrades (no new orders), follows the order in memory, and journals what happened
  once it can (``journal_guard``).
* State only moves forward (PENDING_NEW -> UNKNOWN -> NEW -> PARTIALLY_FILLED -> final), so
  late, duplicated or out-of-order stream messages and polls cannot undo what is known.
* The user data stream drives updates through ``on_execution_report``; a background poller
  queries orders nobody has heard of for a while, so a dead stream delays but never loses an
  update, and callers never block on it (``await order.wait_final(timeout)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Protocol

from tradeexec.errors import (
    BinanceAPIError,
    DuplicateOrderId,
    InvalidParameter,
    JournalUnavailable,
    OrderStatusUnknown,
    StoppedBeforeSigning,
    TradeexecError,
)
from tradeexec.execution.avg_prices import AveragePrices
from tradeexec.execution.journal.guard import JOURNAL_ERRORS
from tradeexec.execution.journal.records import Intent, OutcomeKind, RequestKind
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.maintenance import MaintenanceAction, MaintenancePlan, MaintenanceWindow, if_served
from tradeexec.execution.orders.batch import Batching
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.reconcile import ReconcileReport, Reconciling
from tradeexec.execution.orders.request import OrderIntent, checked, rounded
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.policy import Action, ErrorPolicy
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import Exposure, RiskLimitExceeded, RiskManager, order_risk
from tradeexec.execution.risk_futures import only_reduces
from tradeexec.execution.valuation import VALUATION_ASSET, Marks, MarkSource, Valuation
from tradeexec.venue.protocol import TradingVenue, holds_positions
from tradeexec.venue.records import PlaceAnswer
from tradeexec.venue.rules import MarketFigures
from tradeexec.venue.vocab import Side

__all__ = ["ManagerVenue", "OrderManager"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)


class ManagerVenue(TradingVenue, Protocol):
    """The venue the manager needs: a ``TradingVenue`` (valuation reads its balances and last
    prices, the average-price filters its ``average_price``)."""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class OrderManager(Batching, Reconciling):
    """Journal, risk, rules and policy around a venue (``tradeexec.venue.protocol.TradingVenue``;
    for Binance spot ``SpotVenue(client)``). Use ``async with`` or call ``start()`` (loads
    rules, reconciles, starts the poller) and ``close()``.

    ``prices`` gives a mark per symbol (for risk, notional checks and valuation); behind it
    the venue's ticker is polled every ``mark_refresh_s`` (None: off). ``start`` values what
    the account holds in ``valuation_asset`` and refuses to start when it cannot (see
    ``tradeexec.execution.valuation``): PnL and every limit count coins held before the start.
    Filters the exchange judges at its average price are checked at ``average_prices``'
    cached figure (see ``execution/avg_prices.py``).

    Its layers, each a module of ``orders``: ``tracking`` (the orders and how exchange events
    change them), ``resolve`` (unknown outcomes), ``reconcile`` (start-up), and this one
    ``batch`` (several orders in one request), and this one (lifecycle, submit and send,
    cancel and replace, the poller).
    """

    venue: ManagerVenue

    def __init__(
        self,
        venue: ManagerVenue,
        journal: Journal,
        *,
        strategy: str = "tx",
        risk: RiskManager | None = None,
        positions: PositionTracker | None = None,
        policy: ErrorPolicy | None = None,
        prices: MarkSource | None = None,
        mark_refresh_s: float | None = 2.0,
        valuation_asset: str = VALUATION_ASSET,
        poll_interval_s: float = 1.0,
        stale_after_s: float = 5.0,
        resend_margin_ms: int = 1000,
        max_resends: int = 3,
        max_resolve_attempts: int = 40,
        unsent_max_age_ms: int = 60_000,
        live_poll_factor: float = 10.0,
        preflight: bool = True,
        clock_ms: Callable[[], int] = _now_ms,
        average_prices: AveragePrices | None = None,
        on_maintenance: MaintenanceAction = "pause",
        status_every_s: float | None = None,
        maintenance_windows: Iterable[MaintenanceWindow] = (),
        maintenance_lead_s: float = 0.0,
        maintenance_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            venue,
            journal,
            risk=risk or RiskManager(),
            positions=positions or PositionTracker(),
            policy=policy or ErrorPolicy(),
            clock_ms=clock_ms,
        )
        self.strategy = strategy
        self.average_prices = average_prices or AveragePrices(venue)
        self.marks = Marks(prices or self.positions.prices, venue, mark_refresh_s)
        self.valuation = Valuation(self.positions, self.marks, valuation_asset)
        self.poll_interval_s = poll_interval_s
        self.stale_after_s = stale_after_s
        self.resend_margin_ms = resend_margin_ms
        self.max_resends = max_resends
        self.max_resolve_attempts = max_resolve_attempts
        self.unsent_max_age_ms = unsent_max_age_ms
        self.live_poll_factor = live_poll_factor
        self.preflight = preflight
        self._stream_live = False
        self._poll_wake = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._scanned_for_adoption = False
        self._born_mono = time.monotonic()
        # What an announced maintenance window does, how often the poller asks whether one
        # is (None: at start, and while one lasts), and the windows known ahead; see
        # ``execution/maintenance.py``.
        self.maintenance = MaintenancePlan(
            on_maintenance, venue, every_s=status_every_s, windows=maintenance_windows,
            lead_s=maintenance_lead_s, clock=maintenance_clock,
        )  # fmt: skip

    async def start(self, *, reconcile: bool = True, symbols: Iterable[str] = ()) -> ReconcileReport | None:
        """Preflight (unless ``preflight=False``), load the rules, reconcile (also reading
        recent orders of ``symbols``: see ``reconcile``), start the poller.
        Raises ``UnsafeApiKey`` (a ``ConfigError``) when the key may move funds."""
        if self.preflight:
            await self._preflight()
        if self.rules is None:
            self.rules = await self.venue.rules()
        report = await self.reconcile(symbols=symbols) if reconcile else None
        await self.maintenance.check_windows(self)  # a window already due (or in progress)
        if self._poller is None:
            # Valuation still types the rules as Binance's (issue 14, its own step); it reads
            # only what ``VenueRules`` gives (membership, assets).
            await self.valuation.start(self.venue, self.rules, self.risk)
            self._spawn(self.valuation.run(self.risk))
            self._poller = asyncio.create_task(self._poll_loop(), name="order-poller")
        return report

    async def close(self) -> None:
        await self.average_prices.close()
        tasks = [t for t in (self._poller, *self._tasks) if t is not None]
        tasks += [o._resolver for o in self._orders.values() if o._resolver is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._poller = None

    async def _preflight(self) -> None:
        """Before any order: a key that can withdraw or transfer is refused (see
        ``RiskLimits.allow_fund_moving_key``), and exchange maintenance pauses trading through
        the policy. A venue without these endpoints (404: the testnet has no ``/sapi``) is
        logged and skipped rather than fatal, since there nothing can be checked."""
        restrictions = await if_served(self.venue.key_permissions(), "API key permission")
        if restrictions is not None:
            self.risk.check_key_permissions(restrictions, local_exchange=self.venue.is_local)
        await self.maintenance.read_status(self)

    async def __aenter__(self) -> OrderManager:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def order(self, client_order_id: str) -> ManagedOrder | None:
        return self._orders.get(client_order_id)

    def open_orders(self, symbol: str | None = None) -> list[ManagedOrder]:
        return [o for o in self._live.values() if not o.is_final and (symbol is None or o.symbol == symbol)]

    @property
    def stream_live(self) -> bool:
        """Whether the user data stream is delivering order updates (set by the feed).

        Live: updates arrive by the stream, so the poller only looks at orders nobody has
        heard of (UNKNOWN ones are resolved by their own tasks) every ``live_poll_factor``
        poll intervals. Down (the default, also with no feed at all): the poller is the only
        source of updates and runs every ``poll_interval_s`` (place and verify); a round that
        is already due then runs at once. Catching up on what an outage hid is the feed's
        resync, not the poller's."""
        return self._stream_live

    @stream_live.setter
    def stream_live(self, live: bool) -> None:
        if live != self._stream_live:
            every = self.poll_interval_s * (self.live_poll_factor if live else 1.0)
            log.info("user data stream %s: polling orders every %.1fs", "live" if live else "down", every)
            self._stream_live = live
            self._poll_wake.set()

    @property
    def journal_problem(self) -> str | None:
        """Why the journal cannot be written, while it cannot (None when it is fine). Until
        then no new order is sent, and orders in flight are followed in memory and journaled
        once writes succeed again (the poller and ``submit`` retry)."""
        return self._guard.problem

    async def mark_price(self, symbol: str) -> Decimal | None:
        """Read, not fetched: only a symbol no source has priced yet is asked once."""
        return self.marks(symbol) or await self.marks.fetch(symbol)

    async def submit(self, request: OrderIntent) -> ManagedOrder:
        """Round, validate, risk-check, journal and send. Raises OrderRejectedLocally
        (including RiskLimitExceeded) when refused before sending and the exchange's error
        when it refused; returns the order when it was accepted or its outcome is unknown
        (then it is being resolved in the background)."""
        order, request_id = await self._admit(request)
        if not await self._send_place(order, request_id):
            raise RiskLimitExceeded("kill_switch", f"trading stopped, order not sent: {order.reason}")
        return order

    async def _admit(self, request: OrderIntent) -> tuple[ManagedOrder, int]:
        """Everything before the wire: round, validate, risk-check, then journal the intent
        and its placement request in one commit and track the order. Returns the order and
        its request's journal id; raises when refused (nothing journaled then)."""
        request = checked(request, self.venue)
        # Once the kill switch has tripped, an order that cannot grow a position still passes.
        closing = only_reduces(request.side, request.position_leg, request.reduce_only)
        self.risk.ensure_can_trade(closing=closing)
        self.policy.check_can_send()
        if not self._guard.catch_up():
            raise JournalUnavailable(
                f"order refused, nothing sent: {self._guard.problem}; no new orders until it can be "
                f"written again ({self._guard.orders_due()} orders wait to be journaled)"
            )
        rules = self._symbol_rules(request.symbol)
        self.positions.register_symbol(rules.symbol, rules.base_asset, rules.quote_asset)
        mark = await self.mark_price(request.symbol)
        intent = rounded(request, rules, self.strategy, self._clock_ms())
        open_now = len(self.open_orders(request.symbol))
        ready, average = self.average_prices.peek(rules)
        if not ready:
            # The venue's average price must be fetched first (see avg_prices.py): an order
            # refused by the rules that need no live price costs no request.
            rules.validate_order(intent, MarketFigures(open_orders=open_now))
            average = await self.average_prices.get(rules)
        rules.validate_order(intent, MarketFigures(mark, average, open_now))
        self.risk.check_order(order_risk(intent, mark), self._exposure(intent))
        # The intent and its first placement request are one commit, made before the send.
        order: ManagedOrder | None = None
        try:
            with self.journal.transaction():
                order = ManagedOrder(self.journal.record_intent(intent))
                request_id = self._journal_place(order)
        except JOURNAL_ERRORS as exc:
            self._refuse_unjournaled(order, exc)
            raise JournalUnavailable(
                f"order refused, nothing sent: journal {self.journal.path} could not be written: {exc}"
            ) from exc
        self._track(order)
        return order, request_id

    def _refuse_unjournaled(self, order: ManagedOrder | None, exc: BaseException) -> None:
        """A journal write before the send failed: the order is not sent and must not use up
        the order rate. Its intent row may have reached the file all the same, so the order is
        kept and journaled as abandoned (now or by the catch-up): a restart must not send it."""
        self.risk.refund_token()
        if order is not None:
            self._guard.fail(order, exc)
            self._track(order)
            self._abandon(order, f"never sent: the journal could not record it ({exc})")

    def _exposure(self, intent: Intent) -> Exposure:
        symbol = intent.symbol
        leg = intent.position_leg
        legs = None
        if leg is None:
            pos = self.positions.position(symbol)
            position = pos.quantity if pos is not None else ZERO
        else:  # a derivatives order: its leg, and the open orders on that leg
            collateral = self.positions.balance(self._symbol_rules(symbol).quote_asset).total
            legs = self.positions.legs.exposure(symbol, leg, collateral)
            if legs.leverage is None and holds_positions(self.venue):  # a flat leg: no read carried it
                legs = replace(legs, leverage=self.venue.known_leverage(symbol))
            position = legs.quantity
        pending = ZERO
        for o in self.open_orders(symbol):
            if o.intent.position_leg is leg:
                pending += o.remaining_qty if o.side is Side.BUY else -o.remaining_qty
        return Exposure(
            position=position,
            pending=pending,
            gross_exposure=self.positions.gross_exposure(),
            open_orders=len(self.open_orders()),
            leg=legs,
        )

    async def _place(self, order: ManagedOrder) -> bool:
        """Send (or resend, same client order ID) the placement. Journal first: while the
        journal cannot be written nothing is sent (False, the order is left as it was)."""
        if self._guard.degraded:
            return False
        try:
            request_id = self._journal_place(order)
        except JOURNAL_ERRORS as exc:
            self._guard.fail(order, exc)
            return False
        return await self._send_place(order, request_id)

    def _journal_place(self, order: ManagedOrder) -> int:
        order.place_attempts += 1
        order.last_place_ms = self._clock_ms()
        return self.journal.record_request(
            order.intent.id, RequestKind.PLACE, attempt=order.place_attempts, sent_ms=order.last_place_ms
        )

    async def _send_place(self, order: ManagedOrder, request_id: int) -> bool:
        """Put the placement on the wire, unless the kill switch is tripped, here or when the
        venue comes to sign it: False then, and the order is abandoned (``sending.py``).
        Raises the venue's refusal."""
        if not self._may_send(order):
            return False
        before = self._mark_sent(order)
        try:
            try:
                response = await self.venue.place(order.intent, gate=self._gate_for(order))
            finally:
                self._sent_done(order)
        except asyncio.CancelledError:
            self._outcome_unknown(order, request_id, "the caller was cancelled while the order was in flight")
            raise
        except StoppedBeforeSigning as exc:  # the venue's gate at signing: never sent
            self._not_signed(order, before, exc)
            return False
        except Exception as exc:
            if self._place_failed(order, request_id, exc):
                raise
            return True
        await self._place_answered(order, request_id, response)
        return True

    def _place_failed(self, order: ManagedOrder, request_id: int, exc: Exception) -> bool:
        """A placement that raised: the outcome is unknown (resolved by lookup) or the venue
        refused it (journaled REJECTED). Returns whether it was refused."""
        intent = order.intent
        if not isinstance(exc, BinanceAPIError | InvalidParameter | DuplicateOrderId):
            # timeouts, dropped connections, OrderStatusUnknown
            self.policy.decide(exc, write=True, what=f"place {intent.client_order_id}")
            self._outcome_unknown(order, request_id, str(exc))
            return False
        decision = self.policy.decide(exc, write=True, what=f"place {intent.client_order_id}")
        # An open order already carries this ID: it exists, so it is looked up, never
        # marked rejected.
        if decision.action is Action.RESOLVE or isinstance(exc, DuplicateOrderId):
            self._outcome_unknown(order, request_id, str(exc))
            return False
        code = exc.code if isinstance(exc, BinanceAPIError) else None
        self._guard.outcome(order, request_id, OutcomeKind.REJECT, code=code, msg=str(exc))
        order.reason = str(exc)
        self._set_state(order, OrderState.REJECTED)
        if decision.action is Action.HALT:
            self.risk.trip(f"exchange refused the key: {exc}", emergency=False)
        return True

    async def _place_answered(self, order: ManagedOrder, request_id: int, response: PlaceAnswer) -> None:
        self.policy.record_success()
        # The answer (its outcome and every event it carries) is one commit.
        with self._guard.transaction(order):
            self._guard.outcome(order, request_id, OutcomeKind.ACK)
            self._apply_response(order, response)
        await self._sync_fills(order)

    async def cancel(self, client_order_id: str, *, max_attempts: int = 5) -> ManagedOrder:
        """Cancel and return the order in its resulting state (CANCELED, or FILLED if it
        filled first). An UNKNOWN order is canceled once resolved, or never sent again."""
        order = self._orders[client_order_id]
        order.cancel_requested = True
        if order.state.is_final:
            return order
        if order.state in (OrderState.UNKNOWN, OrderState.PENDING_NEW):
            self._start_resolver(order)
            return order
        for attempt in range(1, max_attempts + 1):
            request_id = self._guard.request(order, RequestKind.CANCEL, attempt=attempt)
            try:
                space = self._conditional_space(order)
                cancel = self.venue.cancel if space is None else space.cancel_conditional_order
                report = await cancel(order.symbol, client_order_id)
            except Exception as exc:
                decision = self.policy.decide(
                    exc, write=True, attempt=attempt, what=f"cancel {client_order_id}"
                )
                code = exc.code if isinstance(exc, BinanceAPIError) else None
                kind = OutcomeKind.UNKNOWN if decision.action is Action.RESOLVE else OutcomeKind.REJECT
                self._guard.outcome(order, request_id, kind, code=code, msg=str(exc))
                if decision.action is Action.HALT:
                    raise
                # Refused (e.g. -2011: already filled or canceled) or unknown: the exchange
                # knows which; look it up and stop if it is over.
                with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                    found = await self._query(order)
                    if found is not None:
                        await self._settle_found(order, found)
                if order.is_final:
                    return order
                if decision.action is Action.FAIL and not isinstance(
                    exc, BinanceAPIError | OrderStatusUnknown
                ):
                    raise
                await asyncio.sleep(decision.delay_s)
                continue
            self.policy.record_success()
            self._guard.outcome(order, request_id, OutcomeKind.ACK)
            self._apply_cancel_report(order, report)
            await self._sync_fills(order)
            return order
        return order

    async def cancel_all(self, symbol: str) -> list[ManagedOrder]:
        """Cancel every open order on ``symbol`` in one request (``DELETE openOrders``), then
        settle each managed order from the answer or, failing that, by lookup."""
        managed = self.open_orders(symbol)
        request_ids = {
            o.client_order_id: (o, self._guard.request(o, RequestKind.CANCEL, attempt=1))
            for o in managed
            if o.state not in (OrderState.UNKNOWN, OrderState.PENDING_NEW)
        }
        for o in managed:
            o.cancel_requested = True
        try:
            reports = await self.venue.cancel_all(symbol)
        except Exception as exc:
            decision = self.policy.decide(exc, write=True, what=f"cancel all {symbol}")
            for o, rid in request_ids.values():
                kind = OutcomeKind.UNKNOWN if decision.action is Action.RESOLVE else OutcomeKind.REJECT
                self._guard.outcome(o, rid, kind, msg=str(exc))
            reports = ()
        for report in reports:
            cid = report.client_order_id
            order = self._orders.get(cid)
            if order is not None:
                if cid in request_ids:
                    self._guard.outcome(order, request_ids.pop(cid)[1], OutcomeKind.ACK)
                self._apply_cancel_report(order, report)
        for order in managed:
            if not order.is_final:
                await self.cancel(order.client_order_id)
        return managed

    async def replace(
        self, client_order_id: str, *, price: Decimal | None = None, quantity: Decimal | None = None
    ) -> ManagedOrder | None:
        """Cancel, then place what is left at the new price/quantity. Two journaled steps
        rather than ``cancelReplace``: each leg then has its own request, outcome and
        unknown-outcome resolution. None when nothing is left (the old order filled)."""
        old = await self.cancel(client_order_id)
        if old.state is not OrderState.CANCELED:
            await old.wait_final(None if old.is_final else self.stale_after_s * 10)
        if old.state is OrderState.FILLED or old.state is not OrderState.CANCELED:
            return None
        intent = old.intent
        left = quantity if quantity is not None else (intent.quantity or ZERO) - old.executed_qty
        if left <= 0:
            return None
        return await self.submit(
            OrderIntent(
                symbol=intent.symbol,
                side=intent.side,
                type=intent.type,
                quantity=left,
                price=price if price is not None else intent.price,
                time_in_force=intent.time_in_force,
                stop_price=intent.stop_price,
                strategy=intent.strategy,
                recv_window_ms=intent.recv_window_ms,
                reduce_only=intent.reduce_only,
                position_leg=intent.position_leg,
                callback_rate=intent.callback_rate,
                activation_price=intent.activation_price,
            )
        )

    def _poll_interval(self) -> float:
        return self.poll_interval_s * (self.live_poll_factor if self._stream_live else 1.0)

    async def _poll_loop(self) -> None:
        last = time.monotonic()
        while True:
            interval = min(self._poll_interval(), self.maintenance.seconds_to_next())
            delay = last + interval - time.monotonic()
            if delay > 0:
                # Woken early when the stream's state changes: a stream going down must not
                # leave the poller asleep for a live stream's long interval.
                self._poll_wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._poll_wake.wait()
                continue
            last = time.monotonic()
            try:
                await self.maintenance.on_poll(self, last)
                await self.poll_once()
            except Exception:
                # The poller is the fallback when the stream is down: it must outlive any
                # one bad answer, loudly.
                log.exception("order poller: a polling round failed; next round in %.1fs", interval)

    async def poll_once(self) -> None:
        """Query every live order nobody has heard of for ``stale_after_s``, restart stalled
        resolutions, and fetch missing fills. Orders that are over and complete are not looked
        at, so a round costs what is in flight, not the whole history."""
        self._guard.catch_up()
        now = time.monotonic()
        for order in [*self._live.values(), *self._fills_due.values()]:
            if order.state is OrderState.UNKNOWN:
                self._start_resolver(order)
                continue
            if order.is_final:
                if order.executed_qty > order.filled_qty:
                    await self._sync_fills(order)
                continue
            if now - order.updated_at < self.stale_after_s or order.state is OrderState.PENDING_NEW:
                continue
            try:
                found = await self._query(order)
            except Exception as exc:
                self.policy.decide(exc, write=False, what=f"poll {order.client_order_id}")
                continue
            order.updated_at = time.monotonic()
            if found is not None:
                await self._settle_found(order, found)
