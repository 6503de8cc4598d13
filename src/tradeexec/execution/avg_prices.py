"""The exchange's average price per symbol, cached, for validating orders as the exchange does.

Which symbols need it is the venue's rules' to say (``SymbolRuleSet.needs_average_price``);
the figure is the venue's (``TradingVenue.average_price``). Binance judges a MARKET order's
NOTIONAL / MIN_NOTIONAL, and every order's PERCENT_PRICE / PERCENT_PRICE_BY_SIDE band,
against its average price over ``avgPriceMins`` (GET /api/v3/avgPrice), not against the book.
Checked at the book mid, orders passed locally and were refused by the exchange, and orders
the exchange would take were refused locally.

The figure moves slowly (a 5-minute average), so one request serves many orders:

- no figure yet (the first order of a symbol): fetched before the order, so that the first
  order is judged like the rest rather than waved through;
- older than ``refresh_s``: the cached figure is used and a refresh runs in the background,
  so a steady flow of orders never waits on it;
- older than ``max_age_s``: fetched before the order, as for the first one.

A failed request is logged and retried no sooner than ``refresh_s`` later; meanwhile the
check uses the last figure, or, with none, the caller's mark (the exchange stays the judge:
the worst outcome is an order it refuses). Symbols whose rules need no average (on Binance:
no such filter, or only ``avgPriceMins`` 0, which means the last price) never cause a
request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from tradeexec.errors import TradeexecError
from tradeexec.venue.rules import SymbolRuleSet

__all__ = ["AveragePrices", "AvgPriceClient"]

log = logging.getLogger(__name__)


class AvgPriceClient(Protocol):
    """Where the figure comes from: the venue (``TradingVenue.average_price``)."""

    async def average_price(self, symbol: str) -> Decimal | None: ...


@dataclass(slots=True)
class _Entry:
    price: Decimal | None  # None: the exchange has no average (nothing traded)
    at: float  # monotonic time of the answer (or of the failed attempt)
    failed: bool = False


class AveragePrices:
    """Per-symbol cache of GET /api/v3/avgPrice: ``peek`` on the per-order path, ``get``
    when the figure may be awaited."""

    def __init__(
        self,
        client: AvgPriceClient,
        *,
        refresh_s: float = 2.0,
        max_age_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < refresh_s <= max_age_s:
            raise ValueError(f"need 0 < refresh_s <= max_age_s, got {refresh_s} and {max_age_s}")
        self.client = client
        self.refresh_s = refresh_s
        self.max_age_s = max_age_s
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._inflight: dict[str, asyncio.Task[None]] = {}

    def peek(self, rules: SymbolRuleSet) -> tuple[bool, Decimal | None]:
        """``(ready, price)`` without waiting: ``ready`` False when the figure must be
        fetched before use (none yet, or older than ``max_age_s``); past ``refresh_s`` a
        background refresh starts. ``(True, None)`` when no filter needs the figure or the
        exchange has none. Costs no request and no wait: the per-order path."""
        if not rules.needs_average_price:
            return True, None
        entry = self._entries.get(rules.symbol)
        if entry is None:
            return False, None
        age = self._clock() - entry.at
        if age >= self.max_age_s and not entry.failed:
            return False, entry.price
        if age >= self.refresh_s:
            self._fetching(rules.symbol)
        return True, entry.price

    async def get(self, rules: SymbolRuleSet) -> Decimal | None:
        """The exchange's average price of the symbol, or None when no filter needs it or
        none is known; waits on a request when ``peek`` is not ready."""
        ready, price = self.peek(rules)
        if ready:
            return price
        # Shielded: a caller given up on must not cancel the request others wait on.
        await asyncio.shield(self._fetching(rules.symbol))
        return self._entries[rules.symbol].price

    def _fetching(self, symbol: str) -> asyncio.Task[None]:
        """The request for ``symbol`` under way, started if none is: one at a time."""
        task = self._inflight.get(symbol)
        if task is None:
            task = asyncio.create_task(self._fetch(symbol), name=f"avg-price-{symbol}")
            self._inflight[symbol] = task
            task.add_done_callback(lambda _t: self._inflight.pop(symbol, None))
        return task

    async def _fetch(self, symbol: str) -> None:
        try:
            known = await self.client.average_price(symbol)
        except (TradeexecError, OSError, TimeoutError) as exc:
            old = self._entries.get(symbol)
            kept = None if old is None else old.price
            log.warning(
                "average price of %s not fetched (%s): orders are checked against %s until a retry in %.0f s",
                symbol,
                exc,
                "the last one known" if kept is not None else "the mark",
                self.refresh_s,
            )
            # Stamped now: the retry waits refresh_s, rather than one request per order.
            self._entries[symbol] = _Entry(kept, self._clock(), failed=True)
            return
        self._entries[symbol] = _Entry(known, self._clock())

    async def close(self) -> None:
        """Cancel background refreshes (the manager's ``close``)."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
