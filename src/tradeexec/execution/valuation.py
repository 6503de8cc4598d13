"""Marks, and the account's value in one quote asset: what PnL and the risk limits count.

Why this exists: coins the account held before tradeexec started have no cost tradeexec can
know. Booking them at entry price 0 made their whole value look like profit (a strategy that
lost a few USDT in fees reported thousands) and left them out of gross exposure, so neither
the exposure limit nor the daily-loss kill switch saw them. So the account is valued at the
market instead:

* equity = the valuation asset's balance (``quote``, USDT by default) + every tracked base
  asset's balance at its mark. Balances are the exchange's, so fees (in base, quote or BNB)
  are already inside; nothing is added or subtracted besides.
* start equity = equity at the marks when the manager starts; PnL = equity now - start equity.
* every coin held at start that trades against ``quote`` becomes a tracked position (valued
  at its start mark), so gross exposure counts it like a position tradeexec bought.
* a derivatives account (a venue with ``positions``): its legs are read at the start
  (``LegBook.reconcile``), equity adds their unrealized PnL at the mark (the wallet is the
  balance: equity is the margin balance), gross exposure their notional at the mark, and the
  margin ratio estimated at the marks goes to the risk manager with the PnL (``max_margin_ratio``
  trips the kill switch). Marks of such a venue are its mark prices (``mark_prices``), the
  prices it values positions and liquidates at, not the last trade.

Where marks come from (``Marks``): the caller's ``prices`` first, a ``MarkSource`` such as the
mid of a local order book kept from the depth stream (``tradeexec.book``; the trading session
passes its book's mid, last trade as fallback); then the last trade price polled from the
venue (``TradingVenue.last_prices``), refreshed in the background every ``refresh_s``. The
order path only *reads* marks (a dict lookup); a fetch happens only for a symbol never seen
before. A manager that can value
nothing (no ``prices`` and the ticker poll switched off), or that holds a coin no source can
price while a limit depends on values, refuses to start (``NoPriceSource``) rather than count
the holding as worth 0.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol, cast

from tradeexec.errors import ConfigError, TradeexecError
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskManager
from tradeexec.execution.risk_futures import margin_ratio
from tradeexec.venue.positions import PositionSnapshot
from tradeexec.venue.records import AccountBalances
from tradeexec.venue.rules import VenueRules

__all__ = ["VALUATION_ASSET", "MarkSource", "Marks", "NoPriceSource", "Valuation"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)
VALUATION_ASSET = "USDT"

MarkSource = Callable[[str], Decimal | None]
"""A symbol's current mark (quote per base), or None when the source has none for it."""


class TickerClient(Protocol):
    """Last prices (``TradingVenue`` has them): a symbol that never traded is left out."""

    async def last_prices(self, symbols: Sequence[str]) -> Mapping[str, Decimal]: ...


class AccountClient(TickerClient, Protocol):
    """Balances and last prices: what valuation reads of the venue."""

    async def balances(self) -> AccountBalances: ...


class DerivativesReads(Protocol):
    """What valuation reads of a derivatives venue besides: positions and mark prices."""

    async def positions(self, symbol: str | None = None) -> Sequence[PositionSnapshot]: ...

    async def mark_prices(self, symbols: Sequence[str]) -> Mapping[str, Decimal]: ...


def derivatives(client: object) -> DerivativesReads | None:
    """The venue as a derivatives venue when it is one (it has ``positions``)."""
    if callable(getattr(client, "positions", None)) and callable(getattr(client, "mark_prices", None)):
        return cast(DerivativesReads, client)
    return None


class NoPriceSource(ConfigError):
    """The manager cannot value what the account holds; nothing was sent."""


class Marks:
    """``prices`` first, then the ticker cache. ``refresh_s`` None switches the ticker poll
    off: then ``prices`` is the only source."""

    def __init__(self, prices: MarkSource | None, client: TickerClient, refresh_s: float | None) -> None:
        self.prices = prices
        self.refresh_s = refresh_s
        self._client = client
        self._ticker: dict[str, Decimal] = {}
        self._watched: set[str] = set()

    @property
    def has_source(self) -> bool:
        return self.prices is not None or self.refresh_s is not None

    def __call__(self, symbol: str) -> Decimal | None:
        if self.prices is not None:
            mark = self.prices(symbol)
            if mark:
                return mark
        return self._ticker.get(symbol)

    async def _read(self, symbols: Sequence[str]) -> Mapping[str, Decimal]:
        """A derivatives venue values positions at its mark price: that is the one to follow."""
        futures = derivatives(self._client)
        if futures is not None:
            return await futures.mark_prices(symbols)
        return await self._client.last_prices(symbols)

    def watch(self, symbols: Iterable[str]) -> None:
        self._watched.update(symbols)

    async def fetch(self, symbol: str) -> Decimal | None:
        """The ticker now (a symbol not seen before), kept and refreshed from then on."""
        if self.refresh_s is None:
            return None
        self._watched.add(symbol)
        price = (await self._read([symbol])).get(symbol)
        if price is None or price <= 0:  # a symbol that never traded has no last price: no mark
            return None
        self._ticker[symbol] = price
        return price

    async def refresh(self) -> None:
        """Every watched symbol's last price in one request (Binance: weight 4 however many,
        so an account holding dozens of coins costs no more); a failed read keeps the last
        prices (logged)."""
        if self.refresh_s is None or not self._watched:
            return
        try:
            prices = await self._read(sorted(self._watched))
        except (TradeexecError, OSError, TimeoutError) as exc:
            log.warning("mark refresh: ticker failed (%s); keeping the last prices", exc)
            return
        self._ticker.update((symbol, price) for symbol, price in prices.items() if price > 0)


class Valuation:
    """Equity and PnL of the tracker's balances in ``quote`` at ``marks``."""

    def __init__(self, tracker: PositionTracker, marks: Marks, quote: str = VALUATION_ASSET) -> None:
        self.tracker = tracker
        self.marks = marks
        tracker.prices = marks  # positions' marks (gross exposure) are the same marks
        self.quote = quote
        self.start_equity: Decimal | None = None
        self.unvalued: list[str] = []  # held assets with no market against ``quote``

    def cover(self, rules: VenueRules) -> None:
        """Track every asset held that trades against ``quote`` (its position starts as the
        balance); the others are listed in ``unvalued`` and logged."""
        self.unvalued = []
        for asset, balance in sorted(self.tracker.balances.items()):
            symbol = asset + self.quote
            if asset == self.quote or not balance.total:
                continue
            if symbol not in rules:
                self.unvalued.append(asset)
                continue
            r = rules[symbol]
            self.tracker.register_symbol(symbol, r.base_asset, r.quote_asset)
        if self.unvalued:
            log.warning("held assets without a %s market are not valued: %s", self.quote, self.unvalued)
        self.marks.watch(self._valued())

    def _valued(self) -> list[str]:
        quote = self.quote
        return [s for s, p in self.tracker.positions.items() if p.quote_asset == quote and p.kind == "spot"]

    def _leg_symbols(self) -> list[str]:
        return sorted({lg.symbol for lg in self.tracker.legs.legs.values() if lg.quantity})

    def missing(self) -> list[str]:
        """Symbols of held assets and open legs that have no mark now."""
        held = [
            s
            for s in self._valued()
            if self.tracker.balance(self.tracker.positions[s].base_asset).total and self.marks(s) is None
        ]
        return held + [s for s in self._leg_symbols() if s not in held and self.marks(s) is None]

    def equity(self) -> Decimal | None:
        """None while a held asset has no mark (never a value that counts it as 0)."""
        tracker = self.tracker
        total = tracker.balance(self.quote).total
        seen: set[str] = set()
        for symbol, pos in tracker.positions.items():
            base = pos.base_asset
            if pos.quote_asset != self.quote or pos.kind != "spot" or base in seen:
                continue
            seen.add(base)
            held = tracker.balance(base).total
            if held:
                mark = self.marks(symbol)
                if mark is None:
                    return None
                total += held * mark
        for leg in tracker.legs.legs.values():
            if leg.quantity and leg.margin_asset == self.quote:
                mark = self.marks(leg.symbol)
                if mark is None:
                    return None
                total += leg.unrealized_pnl(mark)
        return total

    def margin_ratio(self, maintenance_rate: Decimal) -> Decimal | None:
        """The account's margin ratio at the marks (``risk_futures.margin_ratio``); None with
        no open leg or while one has no mark."""
        legs = self.tracker.legs.legs
        if not legs:
            return None
        figures = {}
        for key, leg in legs.items():
            if leg.quantity:
                mark = self.marks(leg.symbol)
                if mark is None:
                    return None
                figures[f"{key}"] = (leg.quantity, leg.entry_price, mark)
        wallet = self.tracker.balance(self.quote).total
        return margin_ratio(wallet, figures, maintenance_rate)

    def pnl(self) -> Decimal | None:
        """Equity now minus the start equity; None until both are known."""
        if self.start_equity is None:
            self.start_equity = self.equity()
            if self.start_equity is not None:
                log.info("start equity %s %s", self.start_equity, self.quote)
            return None if self.start_equity is None else ZERO
        now = self.equity()
        return None if now is None else now - self.start_equity

    def observe(self, risk: RiskManager) -> None:
        """Feed the PnL to the daily-loss check (skipped while it cannot be valued)."""
        pnl = self.pnl()
        if pnl is not None:
            risk.observe_pnl(pnl)
        if self.tracker.legs:
            risk.observe_margin_ratio(self.margin_ratio(risk.limits.maintenance_rate))

    async def start(self, client: AccountClient, rules: VenueRules, risk: RiskManager) -> None:
        """Balances (the account, unless already loaded), positions for what is held, marks,
        start equity. Raises ``NoPriceSource`` naming what is missing."""
        if not self.marks.has_source:
            raise NoPriceSource(
                "OrderManager has no price source: pass prices= (a MarkSource, e.g. a local order "
                "book's mid) or leave mark_refresh_s set so the ticker is polled; without marks, "
                "held coins would count as worth 0 in PnL and exposure"
            )
        if not self.tracker.book.stated:  # fills the reconciliation applied are not holdings
            self.tracker.load_account(await client.balances())
        futures = derivatives(client)
        if futures is not None:
            mark = self.tracker.legs.mark()
            self.tracker.legs.reconcile(await futures.positions(), mark=mark)
        self.cover(rules)
        self.marks.watch(self._leg_symbols())
        await self.marks.refresh()
        missing = self.missing()
        open_legs = set(missing) & set(self._leg_symbols())
        lim = risk.limits
        if missing:
            what = f"no mark for {', '.join(missing)} (held at start) from the price source or the ticker"
            if lim.max_gross_exposure is not None or lim.max_daily_loss is not None or open_legs:
                raise NoPriceSource(
                    f"{what}: max_gross_exposure, max_daily_loss and a position's margin cannot count them"
                )
            log.warning("%s: PnL is unknown until they have one", what)
        for symbol in self._valued():
            pos = self.tracker.positions[symbol]
            if pos.quantity and not pos.avg_entry_price:
                pos.avg_entry_price = self.marks(symbol) or ZERO  # held at start: costs its start mark
        self.start_equity = None
        self.observe(risk)

    async def run(self, risk: RiskManager) -> None:
        """Refresh the ticker and feed the PnL to the risk manager every ``refresh_s``
        (a loss in held coins trips the daily-loss switch without any fill)."""
        every = self.marks.refresh_s
        while True:
            await asyncio.sleep(every if every is not None else 1.0)
            await self.marks.refresh()
            self.observe(risk)
