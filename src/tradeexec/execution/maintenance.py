"""What the order manager does when the venue announces maintenance (``on_maintenance``).

The venue says so through its system status (``TradingVenue.status``: Binance's
``GET /sapi/v1/system/status``), read at start, and every ``status_every_s`` by the poller
when that is set. On the change from normal to maintenance the manager applies its setting
once, then pauses new orders (``ErrorPolicy``) until the status is normal again:

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
is not a window: its documentation asks for a new connection, which the stream's reconnect
already does, so it triggers nothing here.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, get_args

from tradeexec.errors import InvalidParameter, TradeexecError
from tradeexec.execution.emergency_futures import futures_emergency_stop
from tradeexec.execution.emergency_passes import SellSettings
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.policy import ErrorPolicy
from tradeexec.venue.positions import PositionLeg, PositionSnapshot
from tradeexec.venue.protocol import holds_positions
from tradeexec.venue.records import VenueStatus
from tradeexec.venue.vocab import OrderType, Side

if TYPE_CHECKING:
    from tradeexec.execution.orders.manager import OrderManager

__all__ = ["MaintenanceAction", "MaintenancePlan"]

log = logging.getLogger(__name__)
MaintenanceAction = Literal["pause", "cancel", "flatten", "protect"]
_ACTIONS: tuple[str, ...] = get_args(MaintenanceAction)
_NEEDS_POSITIONS = ("flatten", "protect")


class MaintenancePlan:
    """The ``on_maintenance`` setting, checked once, and its application."""

    def __init__(
        self,
        action: str,
        venue: object,
        *,
        every_s: float | None = None,
        protect_distance: Decimal = Decimal("0.05"),
    ) -> None:
        if action not in _ACTIONS:
            raise InvalidParameter("on_maintenance", f"must be one of {', '.join(_ACTIONS)}", repr(action))
        if action in _NEEDS_POSITIONS and not holds_positions(venue):
            raise InvalidParameter(
                "on_maintenance", f"{action!r} needs a venue that holds positions (futures)", action
            )
        if not Decimal(0) < protect_distance < Decimal(1):
            raise InvalidParameter(
                "protect_distance", "a fraction of the mark between 0 and 1", str(protect_distance)
            )
        self.action = action
        self.every_s = every_s
        self.protect_distance = protect_distance
        self._read_at = time.monotonic()

    def status_due(self, now: float) -> bool:
        """Whether the poller should read the venue's status to catch a new window."""
        return self.every_s is not None and now - self._read_at >= self.every_s

    async def observe(self, om: OrderManager, status: VenueStatus) -> None:
        """A status just read: on the change to maintenance, the setting is applied first (its
        own cancels and stops still go out), then the policy pauses new orders until the
        status is normal again."""
        self._read_at = time.monotonic()
        if status.maintenance and not om.policy.in_maintenance:
            try:
                await self.apply(om, status.msg)
            except (TradeexecError, OSError, TimeoutError):
                log.exception("on_maintenance=%s could not be completed; pausing all the same", self.action)
        om.policy.note_system_status(1 if status.maintenance else 0, status.msg)

    async def apply(self, om: OrderManager, reason: str) -> None:
        """Run the setting against the venue (before the manager pauses: its own cancels
        and stops still go out)."""
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
