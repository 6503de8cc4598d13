"""The venue's user stream driving the order manager and the position tracker.

The stream is the venue's (``TradingVenue.user_stream``: how it connects and what it re-reads
after a reconnect are the adapter's business); the feed reads only its neutral items
(``tradeexec.venue.stream``) and the account's balances (``TradingVenue.balances``).

The stream is the fast path: an execution report reaches the manager within milliseconds and
a balance event replaces the tracker's balances with the exchange's. It is also the path that
fails quietly, so the feed tells the manager the moment it is down (``stream_live = False``:
the manager's REST poller speeds up and follows every live order itself) and, after every
reconnect, settles what was missed before trusting the stream again: the manager applies the
order snapshots the stream's recovery reports (``RecoveredOrder``) and reconciles its
in-flight orders with the exchange (fetching fills it never heard of), and only then are
the tracked balances compared with the account. Comparing earlier would flag fills still on
their way as differences, and applying the recovered balances first would make the comparison
check nothing; so ``RecoveredBalances`` is folded into that reconciliation, which adopts the
exchange's figures and raises the tracker's alarm on any difference.

A derivatives venue (one with ``positions``, ``DerivativesVenue``) adds its position items:
``PositionsChanged`` statements set the tracker's legs (``legs.py``; one the legs cannot
order against what they hold asks for a position read, made on the balance check's
schedule), ``FundingSettled`` books funding once, and a ``VenueAlarm`` (a margin call, a
liquidation, an auto-deleveraging) is logged at ERROR the moment it arrives and handed to
``on_alarm``: a margin call stops every order that is not reduce-only (the kill switch,
without the emergency stop: what to do then is the trader's call, made in ``on_alarm``), and
the legs a liquidation shrinks are recorded as liquidated (``LegBook.liquidations``). At
the start and after every reconnect the legs are reconciled with the venue's position read
(``RecoveredPositions`` from the stream's recovery triggers it too).

Balance events are applied in the exchange's order, not the stream's (see ``BalanceBook``):
a stale one changes nothing. When two figures of one asset carry the same millisecond the
tracker cannot order them and says so (``on_doubt``); the feed then reads the account and
adopts it, positions included, at most once per ``balance_check_s``, so a doubt never
outlives that interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from tradeexec.errors import TradeexecError
from tradeexec.execution.legs import LegDiff
from tradeexec.execution.orders.reconcile import ReconcileReport
from tradeexec.execution.positions import BalanceDiff, PositionTracker
from tradeexec.execution.risk import RiskManager
from tradeexec.lifecycle import AsyncService
from tradeexec.venue.positions import (
    AlarmKind,
    FundingSettled,
    PositionLeg,
    PositionsChanged,
    PositionSnapshot,
    RecoveredPositions,
    VenueAlarm,
)
from tradeexec.venue.records import AccountBalances, ExecutionUpdate, OrderSnapshot
from tradeexec.venue.stream import (
    BalanceDelta,
    BalancesChanged,
    ConditionalUpdate,
    LinkState,
    RecoveredBalances,
    RecoveredOrder,
    StreamEnded,
    StreamLink,
    UserStream,
    UserStreamItem,
)
from tradeexec.venue.vocab import Side

__all__ = ["AccountSource", "FeedStats", "FeedTarget", "OrderFeed", "PositionSource"]

log = logging.getLogger(__name__)


class FeedTarget(Protocol):
    """What the feed drives; ``OrderManager`` is one."""

    stream_live: bool
    positions: PositionTracker
    risk: RiskManager

    def on_execution_report(self, event: ExecutionUpdate) -> bool: ...

    def on_order_update(self, snapshot: OrderSnapshot) -> bool: ...

    def on_conditional_update(self, update: ConditionalUpdate) -> bool: ...

    async def reconcile(self) -> ReconcileReport: ...

    async def poll_once(self) -> None: ...


class AccountSource(Protocol):
    """Where the account's balances are read (the venue)."""

    async def balances(self) -> AccountBalances: ...


class PositionSource(Protocol):
    """Where a derivatives account's positions are read (``DerivativesVenue.positions``)."""

    def positions(self, symbol: str | None = None) -> Awaitable[Sequence[PositionSnapshot]]: ...


@dataclass(slots=True)
class FeedStats:
    """What the feed has seen; ``duplicate_reports`` are reports the manager already knew."""

    reports: int = 0
    duplicate_reports: int = 0
    balance_events: int = 0
    missed_orders: int = 0
    missed_orders_applied: int = 0  # snapshots that moved a managed order
    missed_balances: int = 0
    disconnects: int = 0
    reconnects: int = 0
    resyncs: int = 0
    resync_failures: int = 0
    alarms: int = 0
    stale_balance_events: int = 0  # older than the figure held: ignored
    balance_checks: int = 0  # account reads to settle a doubt about a balance
    position_events: int = 0
    stale_position_events: int = 0  # a leg stated later already: ignored
    funding_events: int = 0
    venue_alarms: int = 0
    position_alarms: int = 0  # reconciliations of the legs that found a difference
    conditional_updates: int = 0  # a conditional order's own events (``ConditionalUpdate``)
    position_checks: int = 0  # position reads made to settle a statement in doubt


class OrderFeed(AsyncService):
    """``async with OrderFeed(venue.user_stream(), manager, account=venue):`` consumes the
    stream until closed. Start the manager first (its reconciliation at start is the baseline
    the feed builds on). ``account`` reads the balances for the baseline and for each
    reconciliation; None (said explicitly, never by default) leaves balances to the stream
    alone. ``positions`` reads a derivatives account's legs (the default: ``account`` when it
    has ``positions``, as a ``DerivativesVenue`` does); ``on_alarm`` is called with every
    ``VenueAlarm`` as it arrives."""

    def __init__(
        self,
        stream: UserStream,
        manager: FeedTarget,
        *,
        account: AccountSource | None,
        resync_attempts: int = 3,
        resync_backoff_s: float = 0.5,
        balance_check_s: float = 1.0,
        positions: PositionSource | None = None,
        on_alarm: Callable[[VenueAlarm], object] | None = None,
    ) -> None:
        self.stream = stream
        if positions is None and callable(getattr(account, "positions", None)):
            positions = cast(PositionSource, account)
        self.position_source = positions
        self.on_alarm = on_alarm
        self.last_leg_diffs: list[LegDiff] = []
        self.manager = manager
        self.account: AccountSource | None = account
        self.resync_attempts = resync_attempts
        self.resync_backoff_s = resync_backoff_s
        self.stats = FeedStats()
        self.last_diffs: list[BalanceDiff] = []
        self.last_reconcile: ReconcileReport | None = None
        self._live = False
        self._synced = asyncio.Event()
        self._resync_due = False
        self._consumer: asyncio.Task[None] | None = None
        self._resync: asyncio.Task[None] | None = None
        self.balance_check_s = balance_check_s
        self._check: asyncio.Task[None] | None = None
        self._check_due = False
        self._recovered_positions: Sequence[PositionSnapshot] | None = None
        self._recovered_mark = 0
        self._legs_due = False
        # Every item but an execution update, by its type: the hot path (an execution
        # update) costs one failed dict lookup.
        self._handlers: dict[type, Callable[[Any], None]] = {
            BalancesChanged: self._on_balances,
            BalanceDelta: self._on_delta,
            RecoveredOrder: self._on_recovered_order,
            RecoveredBalances: self._on_recovered_balances,
            StreamLink: self._on_link,
            StreamEnded: self._on_ended,
            PositionsChanged: self._on_positions,
            RecoveredPositions: self._on_recovered_positions,
            FundingSettled: self._on_funding,
            VenueAlarm: self._on_alarm,
            ConditionalUpdate: self._on_conditional,
        }

    # ---- lifecycle ---------------------------------------------------------------------

    @property
    def stream_live(self) -> bool:
        """The stream is connected and subscribed (missed events may still be settling)."""
        return self._live

    async def start(self) -> None:
        """Adopt the account as the tracker's baseline, then open the stream: in this order a
        fill in between reaches the tracker once (by the manager's poller), never twice."""
        if self.account is not None:
            positions = self.manager.positions
            seen = positions.book.mark()
            positions.load_account(await self.account.balances(), seen=seen)
            positions.book.on_doubt = self._doubt
        if self.position_source is not None:
            self.manager.positions.legs.on_doubt = self._leg_doubt
        await self._reconcile_legs()
        try:
            await self.stream.start()
        except BaseException:
            self._release_doubt()
            raise
        self._set_live(True)  # subscribed; its CONNECTED item, still queued, changes nothing
        self._consumer = asyncio.get_running_loop().create_task(self._consume(), name="order-feed")

    async def close(self) -> None:
        self._set_live(False)
        self._release_doubt()
        for task in (self._consumer, self._resync, self._check):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.stream.close()

    def _release_doubt(self) -> None:
        if self.manager.positions.book.on_doubt == self._doubt:
            self.manager.positions.book.on_doubt = None
        if self.manager.positions.legs.on_doubt == self._leg_doubt:
            self.manager.positions.legs.on_doubt = None

    async def wait_synced(self, timeout: float) -> None:  # noqa: ASYNC109
        """Until the stream is live and no reconciliation is pending; TimeoutError after
        ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            await self._synced.wait()

    # ---- events ------------------------------------------------------------------------

    async def _consume(self) -> None:
        async for item in self.stream:
            try:
                self.handle(item)
            except Exception:
                # One event the manager or tracker cannot take must not end the feed: the
                # poller and the next reconciliation cover what it carried.
                log.exception("order feed: could not apply %s", type(item).__name__)

    def handle(self, item: UserStreamItem) -> None:
        """Apply one stream item (the consumer does this for every item of the stream)."""
        handler = self._handlers.get(type(item))
        if handler is not None:
            handler(item)
            return
        self.stats.reports += 1
        update = cast(ExecutionUpdate, item)
        if not self.manager.on_execution_report(update):
            self.stats.duplicate_reports += 1
            if update.trade_id is not None and self.manager.positions.legs.closing(
                update.symbol, update.transaction_time
            ):
                self._venue_fill(update)

    def _on_balances(self, item: BalancesChanged) -> None:
        self.stats.balance_events += 1
        if not self.manager.positions.apply_balances(item.balances, item.update_time):
            self.stats.stale_balance_events += 1

    def _on_delta(self, item: BalanceDelta) -> None:
        self.stats.balance_events += 1
        key = ("balance delta", item.asset, item.delta, item.clear_time, item.event_time)
        self.manager.positions.apply_balance_delta(item.asset, item.delta, item.clear_time, key)

    def _on_recovered_order(self, item: RecoveredOrder) -> None:
        # The snapshot settles the order at once (its fills follow by the manager's own
        # task); the resync the reconnect scheduled still checks the balances after.
        self.stats.missed_orders += 1
        if self.manager.on_order_update(item.order):
            self.stats.missed_orders_applied += 1

    def _on_conditional(self, item: ConditionalUpdate) -> None:
        self.stats.conditional_updates += 1
        self.manager.on_conditional_update(item)

    def _on_recovered_balances(self, _item: RecoveredBalances) -> None:
        self.stats.missed_balances += 1
        self._request_resync()

    # ---- a derivatives account's positions ------------------------------------------------

    def _on_positions(self, item: PositionsChanged) -> None:
        self.stats.position_events += 1
        if not self.manager.positions.legs.apply_statement(item):
            self.stats.stale_position_events += 1

    def _on_recovered_positions(self, item: RecoveredPositions) -> None:
        # Compared like a read, after the reconnect's order reconciliation (fills first);
        # the venue read it as the stream reached the reconnect, i.e. just before this item.
        self._recovered_positions = item.positions
        self._recovered_mark = self.manager.positions.legs.mark()
        self._request_resync()

    def _on_funding(self, item: FundingSettled) -> None:
        self.stats.funding_events += 1
        self.manager.positions.legs.apply_funding(item.symbol, item.amount, item.event_time, item.asset)

    def _on_alarm(self, item: VenueAlarm) -> None:
        self.stats.venue_alarms += 1
        where = item.symbol or "the whole account"
        log.error("VENUE ALARM %s on %s: %s", item.kind.value.upper(), where, item.detail)
        if item.kind is AlarmKind.MARGIN_CALL:
            self.manager.risk.trip(f"margin call on {where}: {item.detail}", emergency=False)
        else:
            self.manager.positions.legs.venue_closing(item.symbol, item.kind.value, item.event_time)
        if self.on_alarm is not None:
            try:
                self.on_alarm(item)
            except Exception:
                log.exception("order feed: the alarm callback failed on %s", item.kind.value)

    def _venue_fill(self, update: ExecutionUpdate) -> None:
        """A trade of an order not ours while the venue closes the symbol (its liquidation or
        ADL order): it moves the leg and completes the liquidation's record. The venue's
        update must say the order's side and leg (``side``, ``leg``: FuturesVenue's does);
        one that does not is left to the statements and the next reconciliation."""
        side, leg = getattr(update, "side", None), getattr(update, "leg", None)
        if not isinstance(side, Side) or not isinstance(leg, PositionLeg) or update.trade_id is None:
            return
        self.manager.positions.legs.apply_venue_fill(
            update.symbol, leg, side, update.last_executed_qty, update.last_executed_price,
            trade_id=update.trade_id, time_ms=update.transaction_time, commission=update.commission,
            commission_asset=update.commission_asset,
        )  # fmt: skip

    async def reconcile_positions(self) -> list[LegDiff]:
        """On demand: the legs against a position read made now (a derivatives venue only;
        [] on another); the differences, which the tracker adopted and alarmed about."""
        if self.position_source is None:
            return []
        mark = self.manager.positions.legs.mark()
        return self._judge_legs(await self._read_positions(), mark)

    async def _reconcile_legs(self) -> None:
        """The legs against the venue's position read (a derivatives venue only); a stream
        recovery's own read is used when it brought one."""
        recovered, self._recovered_positions = self._recovered_positions, None
        if recovered is not None:
            self._judge_legs(recovered, self._recovered_mark)
        elif self.position_source is not None:
            mark = self.manager.positions.legs.mark()
            self._judge_legs(await self._read_positions(), mark)

    def _judge_legs(self, snapshots: Sequence[PositionSnapshot], mark: int) -> list[LegDiff]:
        diffs = self.manager.positions.legs.reconcile(snapshots, mark=mark)
        self.last_leg_diffs = diffs
        if diffs:
            self.stats.position_alarms += 1
        return diffs

    async def _read_positions(self) -> Sequence[PositionSnapshot]:
        assert self.position_source is not None
        return await self.position_source.positions()

    def _on_ended(self, _item: StreamEnded) -> None:
        log.warning("order feed: the venue ended the user data subscription; polling")
        self._set_live(False)

    def _on_link(self, item: StreamLink) -> None:
        if item.state is LinkState.DISCONNECTED:
            self.stats.disconnects += 1
            self._set_live(False)
        elif item.state is LinkState.CONNECTED:
            self._set_live(True)
        elif item.state is LinkState.RECONNECTED:
            self.stats.reconnects += 1
            self._set_live(True)
            self._request_resync()

    def _set_live(self, live: bool) -> None:
        if live != self._live:
            log.info("order feed: user data stream %s", "live" if live else "down; REST polling")
        self._live = live
        self.manager.stream_live = live
        settling = self._resync is not None and not self._resync.done()
        if live and not settling:
            self._synced.set()
        else:
            self._synced.clear()

    # ---- a doubt about a balance ----------------------------------------------------------

    def _doubt(self, asset: str) -> None:
        log.info("order feed: %s stated twice in one millisecond; reading the account", asset)
        self._check_due = True
        self._start_check()

    def _leg_doubt(self, symbol: str) -> None:
        """A statement the legs could not order (``LegBook.on_doubt``): a position read
        settles it, on the same schedule as a balance doubt."""
        self._legs_due = True
        self._start_check()

    def _start_check(self) -> None:
        if self._check is None or self._check.done():
            self._check = asyncio.get_running_loop().create_task(
                self._check_loop(), name="order-feed-balance-check"
            )

    async def _check_loop(self) -> None:
        """Adopt the account (and the positions, for a leg in doubt), again after
        ``balance_check_s`` while doubts keep coming. The wait comes first, so that the events
        of the burst that raised the doubt are in before the account is read (and at most one
        read per interval)."""
        while self._check_due or self._legs_due:
            await asyncio.sleep(self.balance_check_s)
            if self._legs_due:
                await self._check_legs()
            if not self._check_due:
                continue
            self._check_due = False
            if self.account is None:
                return
            positions = self.manager.positions
            seen = positions.book.mark()
            try:
                account = await self.account.balances()
            except (TradeexecError, OSError, TimeoutError) as exc:
                # A doubt is never left standing: read again after the interval (a ban or an
                # outage that outlasts it costs one failed read per interval, no more).
                log.error("order feed: balance check failed, again in %.1fs: %s", self.balance_check_s, exc)
                self._check_due = True
                continue
            self.stats.balance_checks += 1
            # Positions follow the read as well: a fill whose time a clock step put inside the
            # figure a position was set from moved neither it nor the balance (a fill truly
            # inside the read stays out: ``Position.synced_at``).
            positions.load_account(account, seen=seen)

    async def _check_legs(self) -> None:
        self._legs_due = False
        legs = self.manager.positions.legs
        mark = legs.mark()
        try:
            snapshots = await self._read_positions()
        except (TradeexecError, OSError, TimeoutError) as exc:
            log.error("order feed: position check failed, again in %.1fs: %s", self.balance_check_s, exc)
            self._legs_due = True
            return
        self.stats.position_checks += 1
        legs.reconcile(snapshots, mark=mark, alarm=False)

    @property
    def balances_settled(self) -> bool:
        """No doubt about a balance is waiting for its account read."""
        return not (self._check_due or self._legs_due) and (self._check is None or self._check.done())

    # ---- reconciliation after a reconnect ------------------------------------------------

    def _request_resync(self) -> None:
        self._resync_due = True
        self._synced.clear()
        if self._resync is None or self._resync.done():
            self._resync = asyncio.get_running_loop().create_task(
                self._resync_loop(), name="order-feed-resync"
            )

    async def _resync_loop(self) -> None:
        while self._resync_due:
            self._resync_due = False
            for attempt in range(1, self.resync_attempts + 1):
                try:
                    await self._resync_once()
                    break
                except (TradeexecError, OSError, TimeoutError) as exc:
                    self.stats.resync_failures += 1
                    log.error("order feed: reconciliation %d failed: %s", attempt, exc)
                    await asyncio.sleep(self.resync_backoff_s * attempt)
        if self._live:
            self._synced.set()

    async def _resync_once(self) -> None:
        self.last_reconcile = await self.manager.reconcile()
        # Orders that ended while nobody listened may still lack fills; the poller's pass
        # fetches them, so the tracker holds every fill before it is compared.
        await self.manager.poll_once()
        self.stats.resyncs += 1
        await self._reconcile_legs()
        if self.account is None:
            log.warning("order feed: no account source; balances not reconciled after the reconnect")
            return
        positions = self.manager.positions
        seen = positions.book.mark()
        diffs = positions.reconcile(await self.account.balances(), seen=seen)
        self.last_diffs = diffs
        if diffs:
            self.stats.alarms += 1
            log.error(
                "order feed: after the reconnect the tracked balances differed from the exchange "
                "(adopted the exchange's): %s",
                "; ".join(f"{d.asset} {d.tracked} -> {d.exchange}" for d in diffs),
            )
