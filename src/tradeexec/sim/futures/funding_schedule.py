"""Each contract's funding times, on its own interval.

Binance settles most USDⓈ-M perpetuals every 8 hours, some every 4 or every 1 (``fundingInfo``
lists the symbols whose interval or rate cap was adjusted, with ``fundingIntervalHours``);
funding times fall on multiples of the interval from 00:00 UTC. The schedule is fixed at the
first look at the clock (``due``) and then steps each symbol by its own interval, so a jump of
the settable clock over 8 hours settles a 4-hour symbol twice and an 8-hour one once, all in
time order. An adjustment (``adjust``) takes effect from the next funding time on the new
interval's grid, as Binance's interval changes do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal

from tradeexec.sim.futures.symbols import Contract

HOUR_MS = 3_600_000
DEFAULT_HOURS = 8


def next_funding_time(now_ms: int, interval_ms: int) -> int:
    """The first multiple of ``interval_ms`` after ``now_ms``."""
    return (now_ms // interval_ms + 1) * interval_ms


class FundingSchedule:
    """The next funding time of every contract of ``contracts`` (the futures engine's dict,
    shared: an adjustment replaces the contract there, so pricing and fundingInfo see it)."""

    def __init__(self, contracts: dict[str, Contract]) -> None:
        self.contracts = contracts
        self._next: dict[str, int] = {}

    def interval_ms(self, symbol: str) -> int:
        return self.contracts[symbol].funding_interval_hours * HOUR_MS

    def next_time(self, symbol: str, now_ms: int) -> int:
        """The symbol's next funding time (before the schedule is fixed: the one after now)."""
        scheduled = self._next.get(symbol)
        return scheduled if scheduled is not None else next_funding_time(now_ms, self.interval_ms(symbol))

    def due(self, now_ms: int) -> Iterator[tuple[int, list[str]]]:
        """Each funding time up to ``now_ms`` with the symbols it settles, earliest first; a
        symbol's next time moves on once the caller has settled the time yielded."""
        if not self._next:
            self._next = {s: self.next_time(s, now_ms) for s in self.contracts}
        while self._next:
            time = min(self._next.values())
            if time > now_ms:
                return
            symbols = sorted(s for s, t in self._next.items() if t == time)
            yield time, symbols
            for s in symbols:
                self._next[s] = time + self.interval_ms(s)

    def bring_forward(self, now_ms: int) -> None:
        """Make every contract's next funding time ``now_ms`` (an operator's "settle now"); the
        one after is an interval later."""
        self._next = dict.fromkeys(self.contracts, now_ms)

    def adjust(self, symbol: str, hours: int, cap: Decimal | None, now_ms: int) -> None:
        """Give ``symbol`` a funding interval of ``hours`` (and an adjusted rate cap, None: the
        rule's); its next funding time is the new grid's next one."""
        if hours not in (1, 4, 8):
            raise ValueError(f"funding interval {hours} h: Binance uses 1, 4 or 8 hours")
        contract = self.contracts[symbol]
        self.contracts[symbol] = dataclasses.replace(
            contract, funding_interval_hours=hours, funding_rate_cap=cap
        )
        if self._next:
            self._next[symbol] = next_funding_time(now_ms, hours * HOUR_MS)


def adjusted(contract: Contract) -> bool:
    """Whether ``fundingInfo`` lists the contract: its interval or its cap was adjusted."""
    return contract.funding_interval_hours != DEFAULT_HOURS or contract.funding_rate_cap is not None
