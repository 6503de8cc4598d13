"""The index price, the mark price and the funding rate as Binance computes them for USDⓈ-M
perpetuals (rules taken from Binance's current USDⓈ-M documentation and announcements):

* **Index** (FAQ "What Are Mark Price and Price Index in USDⓈ-Margined Futures"): a weighted
  average of the symbol's spot price on several spot exchanges. The local exchange has one spot
  venue, its own, so the index is that venue's spot price (the book's mid, else its last trade)
  with a weight of 100 %; it is read through ``index_of``.
* **Mark** = median(Price 1, Price 2, Contract Price), where Price 1 = index * (1 + last
  funding rate * time until funding / funding interval), Price 2 = index + the 30-second
  moving average of the basis, one data point a second of (bid1 + ask1) / 2 - index (the
  30-second basis since 2025-09-18, announcement "Binance Futures Will Update the Funding Rate
  Formula and Mark Price"), and Contract Price the last trade. The median of three lies between
  Price 1 and Price 2, so the mark stays within the funding basis and the smoothed book basis
  around the index: those are its bounds.
* **Premium index** P = [max(0, impact bid - index) - max(0, index - impact ask)] / index,
  where the impact prices are the average fill prices of the Impact Margin Notional (200 USDT
  of margin at the contract's highest leverage: 200 / its initial margin rate) on each side of
  the book, sampled every 5 seconds (12 a minute, 5,760 in 8 hours).
* **Funding rate** F = [P_avg + clamp(interest - P_avg, -0.05 %, 0.05 %)] / (8 / N), P_avg the
  time-weighted average of the interval's samples (weights 1, 2, ..., n: the latest weighs
  most), interest 0.01 % per 8 hours (0.03 % a day), N the interval in hours; then capped to
  +-0.75 * (initial margin rate - maintenance margin rate) at the highest leverage (the FAQ's
  cap and floor rule, whose ADAUSDT example reads both ratios at 75x). The 1..n weights and
  this cap are our reading of the FAQ: the copies at hand confirm "time-weighted over 5,760
  points" and the example's ratios, not the formulas' full text. A symbol's adjusted cap
  (``fundingInfo``, ``Contract.funding_rate_cap``) replaces the rule's. N and the time until
  funding are each contract's own (``funding_schedule.py``: 8, 4 or 1 hours).

"Last funding rate" in Price 1 (and ``lastFundingRate`` of premiumIndex) is the rate that the
interval's samples so far give: Binance's own figure moves with every sample in the same way.
Time is the exchange's clock: a jump of the settable clock takes every sample passed over, of
the book as it stands (nobody could trade while no time passed for them).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tradeexec.sim.engine import Engine
from tradeexec.sim.futures.funding_schedule import FundingSchedule
from tradeexec.sim.futures.symbols import Contract

ZERO = Decimal(0)
INTEREST_RATE = Decimal("0.0001")  # per 8 hours
PREMIUM_CLAMP = Decimal("0.0005")
IMPACT_MARGIN = Decimal(200)  # USDT of margin
CAP_SHARE = Decimal("0.75")
PREMIUM_EVERY_MS = 5_000
BASIS_EVERY_MS = 1_000
BASIS_POINTS = 30
_PLACES = Decimal("0.00000001")
_IMPACT_DEPTH = 1000

Level = tuple[Decimal, Decimal]


def impact_notional(contract: Contract) -> Decimal:
    """200 USDT over the initial margin rate of the highest leverage (125x: 25,000 USDT)."""
    return IMPACT_MARGIN * contract.brackets[0].initial_leverage


def rate_cap(contract: Contract) -> Decimal:
    """The adjusted cap when the contract has one, else the rule's."""
    if contract.funding_rate_cap is not None:
        return contract.funding_rate_cap
    top = contract.brackets[0]
    return CAP_SHARE * (Decimal(1) / top.initial_leverage - top.maint_margin_ratio)


def impact_price(levels: Sequence[Level], notional: Decimal) -> Decimal | None:
    """The average price of filling ``notional`` (quote) against ``levels`` best first; None
    when the side holds less."""
    left, qty = notional, ZERO
    for price, size in levels:
        take = min(left, price * size)
        qty += take / price
        left -= take
        if not left:
            return notional / qty
    return None


def premium_index(impact_bid: Decimal, impact_ask: Decimal, index: Decimal) -> Decimal:
    return (max(ZERO, impact_bid - index) - max(ZERO, index - impact_ask)) / index


def average_premium(samples: Sequence[Decimal]) -> Decimal:
    """Weights 1, 2, ..., n in time order; 0 without samples."""
    if not samples:
        return ZERO
    weighted = sum((i * p for i, p in enumerate(samples, start=1)), ZERO)
    return weighted / (len(samples) * (len(samples) + 1) // 2)


def funding_rate(avg_premium: Decimal, interval_hours: int, cap: Decimal) -> Decimal:
    clamp = min(max(INTEREST_RATE - avg_premium, -PREMIUM_CLAMP), PREMIUM_CLAMP)
    rate = (avg_premium + clamp) * interval_hours / 8
    return min(max(rate, -cap), cap).quantize(_PLACES)


def mark_price(
    index: Decimal, last_rate: Decimal, funding_share: Decimal, ma_basis: Decimal, last: Decimal | None
) -> Decimal:
    """``funding_share``: time until the next funding over the funding interval."""
    price1 = index * (1 + last_rate * funding_share)
    price2 = index + ma_basis
    third = price2 if last is None else last  # the contract price: its last trade
    return sorted((price1, price2, third))[1].quantize(_PLACES)


@dataclass(slots=True)
class _Symbol:
    basis: deque[Decimal] = field(default_factory=lambda: deque(maxlen=BASIS_POINTS))
    samples: list[tuple[int, Decimal]] = field(default_factory=list)
    index: Decimal | None = None
    mark: Decimal | None = None


class Pricing:
    """Per contract: the index, the basis points, the interval's premium samples and the mark,
    brought up to a time by ``advance`` (the futures engine's ``catch_up``)."""

    def __init__(
        self,
        engine: Engine,
        index_of: Callable[[str], Decimal | None],
        schedule: FundingSchedule,
    ) -> None:
        self.engine = engine
        self.index_of = index_of
        self.schedule = schedule  # each contract (read afresh: adjustments) and its funding times
        self._symbols = {symbol: _Symbol() for symbol in schedule.contracts}
        self._last_ms: int | None = None

    def index(self, symbol: str) -> Decimal | None:
        return self._symbols[symbol].index

    def mark(self, symbol: str) -> Decimal | None:
        return self._symbols[symbol].mark

    def premium_samples(self, symbol: str) -> list[tuple[int, Decimal]]:
        """The running interval's samples (time, premium index), oldest first."""
        return list(self._symbols[symbol].samples)

    def estimate(self, symbol: str) -> Decimal:
        """The funding rate the running interval's samples give."""
        s = self._symbols[symbol]
        contract = self.schedule.contracts[symbol]
        hours = contract.funding_interval_hours
        return funding_rate(average_premium([p for _, p in s.samples]), hours, rate_cap(contract))

    def settle(self, symbol: str) -> Decimal:
        """The rate of the interval that ends now; the next interval starts without samples."""
        rate = self.estimate(symbol)
        self._symbols[symbol].samples.clear()
        return rate

    def advance(self, now_ms: int) -> None:
        """Take every basis point and premium sample whose time passed since the last call (a
        premium sample at a funding time belongs to the interval it ends) and recompute the mark
        when a basis point was taken."""
        last = self._last_ms if self._last_ms is not None else now_ms - 1  # from this moment on
        if now_ms <= last:
            return
        self._last_ms = now_ms
        seconds = now_ms // BASIS_EVERY_MS - last // BASIS_EVERY_MS
        first_sample = (last // PREMIUM_EVERY_MS + 1) * PREMIUM_EVERY_MS
        sample_times = range(first_sample, now_ms + 1, PREMIUM_EVERY_MS)
        for symbol, s in self._symbols.items():
            s.index = self.index_of(symbol)
            if s.index is None or not s.index:
                continue
            if sample_times:
                premium = self._premium(self.schedule.contracts[symbol], s.index)
                if premium is not None:
                    s.samples.extend((t, premium) for t in sample_times)
            if seconds:
                bid, _, ask, _ = self.engine.book_ticker(symbol)
                if bid and ask:
                    s.basis.extend([(bid + ask) / 2 - s.index] * min(seconds, BASIS_POINTS))
                s.mark = self._mark(symbol, s, now_ms)

    def _premium(self, contract: Contract, index: Decimal) -> Decimal | None:
        depth = self.engine.depth(contract.symbol, _IMPACT_DEPTH)
        notional = impact_notional(contract)
        bid = impact_price(depth.bids, notional)
        ask = impact_price(depth.asks, notional)
        if bid is None or ask is None:
            return None  # a side too thin to fill the impact notional: no data point
        return premium_index(bid, ask, index)

    def _mark(self, symbol: str, s: _Symbol, now_ms: int) -> Decimal:
        assert s.index is not None
        ma = sum(s.basis, ZERO) / len(s.basis) if s.basis else ZERO
        until = self.schedule.next_time(symbol, now_ms) - now_ms
        return mark_price(
            s.index,
            self.estimate(symbol),
            Decimal(max(until, 0)) / self.schedule.interval_ms(symbol),
            ma,
            self.engine.last_price(symbol),
        )
