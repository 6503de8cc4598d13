"""What the futures demo (``tradeexec demo --product usdm``) adds to the spot demo's run.

The strategy, the session, the faults, the view and the emergency stop are the spot demo's;
a futures account differs in what it holds (legs with leverage, margin and a liquidation
price, paying or receiving funding) and in what "ends flat" means (no order, no algo order,
no position), so this module does just that: it sets the leverage before trading, reads the
venue's legs about once a second for the view, brings one funding settlement into the run
(Binance settles every 8 hours; a demo lasts a minute) and checks the account flat after
the stop, on the exchange's word.
"""

from __future__ import annotations

import time
from decimal import Decimal

from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.demo.record import QUOTE, ZERO, DemoRecord
from tradeexec.sim.exchange import LocalExchange
from tradeexec.strategy.products import SessionVenue

__all__ = ["FUNDING_AT", "LEVERAGE", "FuturesLegs"]

LEVERAGE = 5
FUNDING_AT = 0.6  # from this share of the run, the exchange settles funding once a leg is open
_READ_EVERY_S = 1.0


def _futures(venue: SessionVenue) -> FuturesVenue:
    if not isinstance(venue, FuturesVenue):
        raise TypeError(f"the futures demo trades on a FuturesVenue, not {type(venue).__name__}")
    return venue


class FuturesLegs:
    """Leverage at the start, the legs as the venue states them, funding, the flat check."""

    def __init__(self, record: DemoRecord, ex: LocalExchange | None, duration_s: float) -> None:
        self.record = record
        self.ex = ex
        self.funding_at_s = FUNDING_AT * duration_s
        self.funded = False
        self.income_due = False
        self.last_read = 0.0
        record.leg_reads = {}

    async def prepare(self, venue: SessionVenue) -> None:
        futures = _futures(venue)
        for symbol in self.record.symbols:
            await futures.set_leverage(symbol, LEVERAGE)
        self.record.log(f"leverage {LEVERAGE}x on {', '.join(self.record.symbols)}")

    async def tick(self, venue: SessionVenue) -> None:
        if (
            self.ex is not None
            and not self.funded
            and self.record.elapsed() >= self.funding_at_s
            and self.open
        ):
            self.funded = True
            self.ex.futures_settle_funding()
            self.income_due = True
            self.record.log("FUNDING: the local exchange settles funding now (Binance: every 8 hours)")
        if time.monotonic() - self.last_read >= _READ_EVERY_S:
            await self.read(venue)

    @property
    def open(self) -> bool:
        """A leg is open by the last read: funding then has something to charge."""
        return any(s.quantity for s in (self.record.leg_reads or {}).values())

    async def read(self, venue: SessionVenue) -> None:
        """The legs as the venue states them: mark, leverage, margin mode, liquidation price."""
        self.last_read = time.monotonic()
        futures = _futures(venue)
        snaps = await futures.positions()
        self.record.leg_reads = {(s.symbol, str(s.leg)): s for s in snaps if s.symbol in self.record.symbols}
        if self.income_due:
            await self.read_funding(futures)

    async def read_funding(self, venue: FuturesVenue) -> None:
        """Funding per symbol from the income history: the user stream's funding update
        names no symbol for a cross position (``FundingSettled``), the history does."""
        since = int(self.record.started * 1000) - 60_000
        rows = await venue.client.futures_income(income_type="FUNDING_FEE", start_time=since, limit=1000)
        funding: dict[str, Decimal] = {}
        for row in rows:
            if row.symbol in self.record.symbols:
                funding[row.symbol] = funding.get(row.symbol, ZERO) + row.income
                self.income_due = False
        self.record.funding = funding
        for symbol, amount in funding.items():
            self.record.log(f"funding {symbol}: {'received' if amount > 0 else 'paid'} {abs(amount)} {QUOTE}")

    async def check_flat(self, venue: SessionVenue) -> bool:
        """After the emergency stop: no open order, no open algo order, no position."""
        futures = _futures(venue)
        orders = await futures.open_orders()
        algos = await futures.open_conditional()
        legs = [p for p in await futures.positions() if p.quantity]
        await self.read(venue)
        flat = not orders and not algos and not legs
        what = f"{len(orders)} open orders, {len(algos)} open algo orders, {len(legs)} positions"
        self.record.log(("FLAT: " if flat else "NOT FLAT: ") + what)
        return flat
