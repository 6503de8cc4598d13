"""What the order manager does when the venue announces maintenance (``on_maintenance``).

Two announcements start it:

* the venue's system status (``TradingVenue.status``: Binance's ``GET /sapi/v1/system/status``),
  read at start, and every ``status_every_s`` by the poller when that is set: maintenance *now*;
* a window the trader copied from the exchange's notice (``maintenance_windows``,
  ``execution/maintenance_windows.py``): the manager acts ``lead_s`` seconds before its start
  (at once when started inside that span), and holds the pause until the window has ended
  *and* the status reads normal (or the venue has no status to read).

Either way the manager pauses new orders first (``ErrorPolicy``: an order submitted now is
refused before anything is sent, naming the window), waits (bounded) for placements already
past the gate, then applies its setting once, its own requests passing the pause:

* ``pause``: nothing more (what is open stays open);
* ``cancel``: cancel every order the manager has open (conditional ones included);
* ``flatten``: cancel every order and close every position leg, as the emergency stop does
  for a venue that holds positions (``futures_emergency_stop``), without tripping the kill
  switch: trading resumes after the window;
* ``protect``: cancel open orders, then place a reduce-only stop-market (``STOP_LOSS``) on
  each position leg, ``protect_distance`` away from its mark, so a move while the venue is
  away is bounded.

``flatten`` and ``protect`` need a venue that holds positions (a ``DerivativesVenue``):
refused at construction otherwise, naming the setting. Binance's WebSocket ``serverShutdown``
is not a window: its documentation asks for a new connection and gives no time, which the
WebSocket API client does at once, make before break (``binance/ws/wsapi.py``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from tradeexec.errors import BinanceAPIError, InvalidParameter, TradeexecError
from tradeexec.execution.emergency_futures import futures_emergency_stop
from tradeexec.execution.emergency_passes import SellSettings
from tradeexec.execution.maintenance_windows import (
    MaintenanceAction,
    MaintenanceWindow,
    check_action,
    check_windows,
)
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.policy import ErrorPolicy
from tradeexec.venue.positions import PositionLeg, PositionSnapshot
from tradeexec.venue.protocol import holds_positions
from tradeexec.venue.records import VenueStatus
from tradeexec.venue.vocab import OrderType, Side

if TYPE_CHECKING:
    from tradeexec.execution.orders.manager import OrderManager

__all__ = ["MaintenanceAction", "MaintenancePlan", "MaintenanceWindow", "if_served"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_NEEDS_POSITIONS = ("flatten", "protect")
# How long the pause waits for placements already past the gate before acting.
_SETTLE_S = 5.0


async def if_served(call: Awaitable[T], what: str) -> T | None:
    """``await call``, or None when the venue has no such endpoint (404: the testnet has no
    ``/sapi``): logged and skipped rather than fatal, since there nothing can be checked."""
    try:
        return await call
    except BinanceAPIError as exc:
        if exc.http_status != 404:
            raise
        log.warning("preflight: the venue has no %s endpoint (%s); not checked", what, exc)
        return None


class MaintenancePlan:
    """The ``on_maintenance`` setting, checked once, and its application."""

    def __init__(
        self,
        action: str,
        venue: object,
        *,
        every_s: float | None = None,
        protect_distance: Decimal = Decimal("0.05"),
        windows: Iterable[MaintenanceWindow] = (),
        lead_s: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        check_action(action)
        if action in _NEEDS_POSITIONS and not holds_positions(venue):
            raise InvalidParameter(
                "on_maintenance", f"{action!r} needs a venue that holds positions (futures)", action
            )
        if not Decimal(0) < protect_distance < Decimal(1):
            raise InvalidParameter(
                "protect_distance", "a fraction of the mark between 0 and 1", str(protect_distance)
            )
        self.windows = check_windows(windows, lead_s)
        self.lead_s = float(lead_s)
        self.clock = clock  # wall-clock seconds (UTC epoch); tests give their own
        self.action = action
        self.every_s = every_s
        self.protect_distance = protect_distance
        self._read_at = time.monotonic()
        self._acted: set[MaintenanceWindow] = set()
        self.holding: MaintenanceWindow | None = None  # the window whose pause holds now

    def status_due(self, now: float) -> bool:
        """Whether the poller should read the venue's status to catch a new window."""
        return self.every_s is not None and now - self._read_at >= self.every_s

    def seconds_to_next(self) -> float:
        """Seconds until the next moment a window changes something (its act time, or the
        end of the one holding): the poller wakes by then. ``inf`` when none is ahead."""
        now = self.clock()
        ahead = [w.start_s - self.lead_s - now for w in self.windows if w not in self._acted]
        if self.holding is not None:
            ahead.append(self.holding.end_s - now)
        return min((t for t in ahead if t > 0), default=math.inf)

    async def on_poll(self, om: OrderManager, now: float) -> None:
        """One poller round: act on a window now due; read the status while paused (to see
        the end) or when ``status_every_s`` is due. A ban or an outage while asking is
        expected here (the transport logged it); the next round asks again."""
        await self.check_windows(om)
        if om.policy.in_maintenance or self.status_due(now):
            with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                await self.read_status(om)

    async def check_windows(self, om: OrderManager) -> None:
        """Act on the first window whose act time (``start - lead_s``) has come and that has
        not ended, once; the pause it starts holds until ``read_status`` lifts it."""
        if self.holding is not None:
            return
        now = self.clock()
        for window in self.windows:
            if window not in self._acted and window.start_s - self.lead_s <= now < window.end_s:
                self._acted.add(window)
                self.holding = window
                await self._act(om, f"scheduled window {window}", self._pause_reason(window))
                return

    async def read_status(self, om: OrderManager) -> None:
        """Read the venue's status and observe it. A venue with no status endpoint (404: the
        testnet has no ``/sapi``) is logged and skipped; a window then ends on time alone."""
        status = await if_served(om.venue.status(), "system status")
        if status is not None:
            await self.observe(om, status)
        elif self.holding is not None and self.clock() >= self.holding.end_s:
            self._release(om, VenueStatus(False, "no status endpoint"))

    async def observe(self, om: OrderManager, status: VenueStatus) -> None:
        """A status just read: on the change to maintenance the setting is applied once;
        the pause lasts while the status says maintenance or a window holds."""
        self._read_at = time.monotonic()
        if status.maintenance and not om.policy.in_maintenance:
            reason = f"system status 1 {status.msg}".strip()
            await self._act(om, reason, reason)
        if self.holding is not None and not status.maintenance and self.clock() >= self.holding.end_s:
            self._release(om, status)
        elif self.holding is not None:
            om.policy.enter_maintenance(self._pause_reason(self.holding))
        else:
            om.policy.note_system_status(1 if status.maintenance else 0, status.msg)

    def _release(self, om: OrderManager, status: VenueStatus) -> None:
        log.warning("maintenance window %s over and the status reads normal; trading resumes", self.holding)
        self.holding = None
        om.policy.note_system_status(0, status.msg)

    def _pause_reason(self, window: MaintenanceWindow) -> str:
        return (
            f"scheduled window {window} (paused {self.lead_s:g}s before its start, until it has "
            "ended and the status reads normal)"
        )

    async def _act(self, om: OrderManager, reason: str, pause: str) -> None:
        """Pause first (no new order slips in while the setting runs), let placements already
        past the gate land, then apply the setting with its own requests let through."""
        om.policy.enter_maintenance(pause)
        await om.risk.placements_settled(_SETTLE_S)
        with om.policy.maintenance_work():
            try:
                await self.apply(om, reason)
            except (TradeexecError, OSError, TimeoutError):
                log.exception("on_maintenance=%s could not be completed; pausing all the same", self.action)

    async def apply(self, om: OrderManager, reason: str) -> None:
        """Run the setting against the venue (under ``maintenance_work``: the pause is
        already on, and these cancels and stops are let through it)."""
        log.warning("exchange maintenance announced (%s): on_maintenance=%s", reason, self.action)
        if self.action == "pause":
            return
        for symbol in sorted({o.symbol for o in om.open_orders()}):
            await om.cancel_all(symbol)
        venue = om.venue
        if not holds_positions(venue):
            return
        if self.action == "flatten":
            report = await futures_emergency_stop(
                venue, attempts=3, selling=SellSettings(), policy=ErrorPolicy()
            )
            log.warning("maintenance flatten: %s", report)
        elif self.action == "protect":
            for leg in await venue.positions():
                if leg.quantity != 0:
                    await om.submit(self._stop_for(leg))

    def _stop_for(self, leg: PositionSnapshot) -> OrderIntent:
        """A reduce-only stop-market closing ``leg`` if the mark moves ``protect_distance``
        against it (the manager rounds the trigger to the tick)."""
        long = leg.quantity > 0
        trigger = leg.mark_price * (1 - self.protect_distance if long else 1 + self.protect_distance)
        return OrderIntent(
            leg.symbol,
            Side.SELL if long else Side.BUY,
            OrderType.STOP_LOSS,
            quantity=abs(leg.quantity),
            stop_price=trigger,
            reduce_only=True,
            position_leg=None if leg.leg is PositionLeg.BOTH else leg.leg,
        )
