"""Found by the full chaos soak (3,000 intents, issue 13's outside faults): six orders placed
twice. The poller (and a reconnect's reconciliation) starts a resolver for every UNKNOWN
order, and an order is UNKNOWN from the moment its placement goes on the wire -- while this
process is still awaiting the answer. The resolver took the missing send mark for "restored
from the journal, sent before this process began", so the monotonic wait counted from the
manager's start; with the exchange's time past the estimated signature (a stepped clock), a
lookup that found nothing yet -- the original still on its way -- led to a resend, and then
the original arrived too.

Must hold: while this process's own placement of an order is awaiting its answer, nothing
resends it; the send mark exists from the moment it is sent."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from tests.execution.fake_venue import FakeVenue
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.venue.protocol import StopGate
from tradeexec.venue.records import PlaceAnswer, PlacementRequest
from tradeexec.venue.vocab import OrderType, Side

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(30)]


class SlowVenue(FakeVenue):
    """The placement reaches the venue only when ``arrive`` is set; the venue's clock runs a
    minute ahead of the signatures (a clock step, or an offset measured at another time)."""

    def __init__(self) -> None:
        super().__init__(Decimal("60000"))
        self.arrive = asyncio.Event()
        self.on_the_wire = asyncio.Event()

    async def place(self, request: PlacementRequest, *, gate: StopGate | None = None) -> PlaceAnswer:
        if not self.on_the_wire.is_set():
            self.on_the_wire.set()
            await self.arrive.wait()
        return await super().place(request, gate=gate)

    async def server_time_ms(self) -> int:
        return await super().server_time_ms() + 60_000


@pytest.mark.parametrize("trigger", ["poll", "reconcile"])
async def test_nothing_resends_an_order_whose_placement_is_awaited(tmp_path: Path, trigger: str) -> None:
    venue = SlowVenue()
    om = OrderManager(venue, Journal(tmp_path / "j.sqlite"), strategy="fly",
                      risk=RiskManager(RiskLimits(require_ip_restriction=False)), positions=PositionTracker(),
                      poll_interval_s=3600, stale_after_s=3600, resend_margin_ms=50)  # fmt: skip
    await om.start()
    try:
        om._born_mono -= 60.0  # a manager that has been running for a minute
        submit = asyncio.create_task(om.submit(OrderIntent("BTCUSDT", Side.BUY, OrderType.MARKET,
                                                           quantity=Decimal("0.01"))))  # fmt: skip
        async with asyncio.timeout(5):
            await venue.on_the_wire.wait()
        if trigger == "poll":
            await om.poll_once()
        else:
            await om.reconcile()
        for order in om.open_orders():
            if order._resolver is not None:
                async with asyncio.timeout(5):
                    await asyncio.gather(order._resolver, return_exceptions=True)
        venue.arrive.set()
        order = await submit
        async with asyncio.timeout(5):
            while order.state is not OrderState.FILLED:
                await asyncio.sleep(0.01)
        assert venue.placed == [order.client_order_id]  # one placement reached the venue
        assert order.place_attempts == 1
    finally:
        await om.close()
        om.journal.close()
