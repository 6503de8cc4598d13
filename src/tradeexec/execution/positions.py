"""Balances, positions and PnL, kept true to the exchange.

Positions and PnL come from fills (each trade once: the manager dedupes by trade id) and move
at once, so risk sees them before the next order. Balances are the exchange's own figures,
from balance events and account snapshots ordered by the exchange's time (``BalanceBook``:
a stale or repeated event changes nothing, whatever order the stream delivers), plus the
fills the exchange has not stated yet. ``reconcile`` compares what was tracked with what the
exchange says: a difference means a fill was missed or double-counted, which is an alarm,
not something to smooth over silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from tradeexec.execution.balances import Balance, BalanceBook
from tradeexec.execution.legs import LegBook
from tradeexec.venue.records import BalanceLine
from tradeexec.venue.vocab import Side

__all__ = [
    "AccountSnapshot",
    "Balance",
    "BalanceDiff",
    "BalanceLike",
    "Position",
    "PositionSide",
    "PositionTracker",
    "PriceProvider",
]

log = logging.getLogger(__name__)
ZERO = Decimal(0)

PriceProvider = Callable[[str], Decimal | None]


BalanceLike = BalanceLine
"""One asset's free and locked balance, in the venue's words (``tradeexec.venue.records``)."""


class AccountSnapshot(Protocol):
    """An account's balances; an ``update_time`` attribute (ms, the exchange's time of the
    figures, as ``Account`` has) orders the snapshot against the stream's balance events."""

    @property
    def balances(self) -> Sequence[BalanceLike]: ...


def _stamp(account: AccountSnapshot) -> int | None:
    """The exchange time a snapshot is as new as: its ``update_time`` when it has one."""
    stamp = getattr(account, "update_time", None)
    return stamp if isinstance(stamp, int) else None


class PositionSide(StrEnum):
    LONG = "LONG"
    SHORT = "SHORT"
    FLAT = "FLAT"


@dataclass(slots=True)
class Position:
    """A signed base quantity with its average entry price (fees paid in the traded assets
    folded in) and realized PnL in the quote asset. ``kind``/``leverage`` admit futures."""

    symbol: str
    base_asset: str
    quote_asset: str
    quantity: Decimal = ZERO
    avg_entry_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: dict[str, Decimal] = field(default_factory=dict)
    kind: str = "spot"
    leverage: Decimal | None = None
    # When the quantity was last set from a balance statement: the tracker's sync count and
    # the statement's exchange time (ms). A fill of an order sent before that sync and timed
    # at or before it is already inside the quantity (its report came after the read).
    sync_no: int = 0
    synced_at: int | None = None

    @property
    def side(self) -> PositionSide:
        if self.quantity > 0:
            return PositionSide.LONG
        if self.quantity < 0:
            return PositionSide.SHORT
        return PositionSide.FLAT

    @property
    def entry_price(self) -> Decimal:
        return self.avg_entry_price

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        return self.quantity * (mark - self.avg_entry_price) if self.quantity else ZERO

    def _trade(self, delta: Decimal, unit_price: Decimal) -> None:
        """Move the position by ``delta`` base at ``unit_price``: grow at a weighted average,
        shrink realizing PnL against the average, flip with the rest at the new price."""
        q = self.quantity
        if q == 0 or (q > 0) == (delta > 0):
            total = abs(q) + abs(delta)
            self.avg_entry_price = (self.avg_entry_price * abs(q) + unit_price * abs(delta)) / total
            self.quantity = q + delta
            return
        closing = min(abs(delta), abs(q))
        self.realized_pnl += closing * (unit_price - self.avg_entry_price) * (1 if q > 0 else -1)
        self.quantity = q + delta
        if self.quantity == 0:
            self.avg_entry_price = ZERO
        elif (self.quantity > 0) != (q > 0):
            self.avg_entry_price = unit_price


@dataclass(slots=True, frozen=True)
class BalanceDiff:
    asset: str
    tracked: Decimal
    exchange: Decimal
    exchange_free: Decimal
    exchange_locked: Decimal

    @property
    def difference(self) -> Decimal:
        return self.exchange - self.tracked


class PositionTracker:
    """``on_alarm`` is called with the differences whenever a reconciliation finds any;
    ``on_doubt`` (see ``BalanceBook``) with an asset whose figure only a snapshot can settle."""

    def __init__(
        self,
        *,
        prices: PriceProvider | None = None,
        on_alarm: Callable[[list[BalanceDiff]], object] | None = None,
        tolerance: Decimal = ZERO,
    ) -> None:
        self.prices = prices
        self._on_alarm = on_alarm
        self.tolerance = tolerance
        self.book = BalanceBook()
        self.positions: dict[str, Position] = {}
        # How many times a position was set from a balance or a leg from the venue's word
        # (``apply_fill``, ``LegBook``): an order's ``sent_sync`` is this at its placement.
        self.syncs = 0
        # A derivatives account's positions per symbol and leg (``legs.py``): fills of orders
        # with a position leg move these, never a spot position.
        self.legs = LegBook(next_sync=self._next_sync)

    @property
    def balances(self) -> dict[str, Balance]:
        """Asset -> current balance (read only: the book keeps them)."""
        return self.book.view

    # ---- symbols and positions ----------------------------------------------------------

    def register_symbol(self, symbol: str, base_asset: str, quote_asset: str) -> Position:
        """Track ``symbol``; a spot position starts as the base asset already held, priced at
        the current mark when one is known (its true cost is not knowable from the account)."""
        pos = self.positions.get(symbol)
        if pos is None:
            pos = Position(symbol, base_asset, quote_asset)
            held = self.balances.get(base_asset)
            if held is not None and held.total:
                pos.quantity = held.total
                self._synced(pos)
                pos.avg_entry_price = self._mark(symbol) or ZERO
            self.positions[symbol] = pos
        return pos

    def position(self, symbol: str) -> Position | None:
        return self.positions.get(symbol)

    def apply_fill(
        self,
        symbol: str,
        side: Side,
        qty: Decimal,
        price: Decimal,
        *,
        commission: Decimal = ZERO,
        commission_asset: str | None = None,
        quote_qty: Decimal | None = None,
        trade_id: int | None = None,
        time_ms: int | None = None,
        sent_sync: int | None = None,
    ) -> Position:
        """Apply one execution. Binance charges the fee in the asset received (or BNB), so a
        fee in the base asset shrinks the base received and a fee in the quote asset shrinks
        the proceeds; both are folded into the position's prices.

        ``quote_qty`` is the quote the trade moved as the exchange booked it (the trade's
        ``quoteQty``, the stream's ``Y``): price times quantity rounded to the quote asset's
        precision. Without it the unrounded product is used, and the tracked balance may
        drift from the exchange's by up to one unit per fill.

        ``time_ms`` is the trade's time on the exchange: a balance figure stated at or after
        it already includes the trade, which then moves the position but not the balances.
        ``trade_id`` keys the balance move, so a trade given twice moves balances once.

        ``sent_sync`` is ``syncs`` when the order was sent (None: unknown). When the position
        was set from the account after that and the trade is timed inside that read, the
        quantity already holds it: only the price and PnL move. An order sent after the read
        moves the quantity whatever its time says (the exchange's clock may have stepped
        back)."""
        pos = self.positions[symbol]
        sign = 1 if side is Side.BUY else -1
        base_fee = commission if commission_asset == pos.base_asset else ZERO
        quote_fee = commission if commission_asset == pos.quote_asset else ZERO
        delta = sign * qty - base_fee
        quote_flow = -sign * (qty * price if quote_qty is None else quote_qty) - quote_fee
        if commission and commission_asset:
            pos.fees[commission_asset] = pos.fees.get(commission_asset, ZERO) + commission
        if delta:
            if (
                sent_sync is not None
                and sent_sync < pos.sync_no
                and time_ms is not None
                and pos.synced_at is not None
                and time_ms <= pos.synced_at
            ):
                # Set from a balance that already held this trade: its quantity is in, and it
                # moves the price and PnL only (a sale counted twice left a BNB position short).
                pos.quantity -= delta
            pos._trade(delta, -quote_flow / delta)
        key: Hashable = ("trade", symbol, trade_id) if trade_id is not None else object()
        book = self.book
        book.move(pos.base_asset, delta, time_ms, key)
        book.move(pos.quote_asset, quote_flow, time_ms, key)
        if commission_asset and commission_asset not in (pos.base_asset, pos.quote_asset):
            book.move(commission_asset, -commission, time_ms, key)
        return pos

    # ---- balances from the exchange -----------------------------------------------------

    def load_account(self, account: AccountSnapshot, *, seen: int | None = None) -> None:
        """Adopt the snapshot's balances as the truth and set spot positions from them (the
        start, or after a reconnect once every fill is in). ``seen``: ``book.mark()`` read
        just before the snapshot was requested (what arrived before it is inside it)."""
        self.adopt_balances(account, seen=seen)
        self._sync_spot_positions()

    def adopt_balances(self, account: AccountSnapshot, *, seen: int | None = None) -> None:
        """Adopt the snapshot's balances, positions untouched: while fills may still be on
        their way, a position set from a balance that already includes one would count it
        again when it arrives. An asset the snapshot does not list holds nothing; per asset,
        a figure stated later than the snapshot's ``update_time`` is kept."""
        stamp = _stamp(account)
        listed = {b.asset: b for b in account.balances}
        for asset in sorted(self.book.assets() | set(listed)):
            b = listed.get(asset)
            free, locked = (b.free, b.locked) if b is not None else (ZERO, ZERO)
            self.book.state(asset, free, locked, stamp, snapshot=True, seen=seen)

    def _sync_spot_positions(self) -> None:
        """A spot position *is* its base asset's balance, when only one tracked symbol trades
        that asset (two symbols sharing a base cannot be told apart from balances)."""
        by_base: dict[str, list[Position]] = {}
        for pos in self.positions.values():
            if pos.kind == "spot":
                by_base.setdefault(pos.base_asset, []).append(pos)
        for base, positions in by_base.items():
            if len(positions) == 1:
                pos = positions[0]
                pos.quantity = self.balance(base).total
                self._synced(pos)
                if pos.quantity and not pos.avg_entry_price:
                    pos.avg_entry_price = self._mark(pos.symbol) or ZERO

    def _synced(self, pos: Position) -> None:
        """``pos`` was just set from its base asset's balance."""
        pos.sync_no = self._next_sync()
        pos.synced_at = self.book.stamp(pos.base_asset)

    def _next_sync(self) -> int:
        """A new sync number: a spot position or a leg is being set from the venue's word."""
        self.syncs += 1
        return self.syncs

    def apply_balances(self, balances: Iterable[BalanceLike], at: int | None = None) -> bool:
        """An outboundAccountPosition event: the free/locked of the assets it lists as of
        ``at`` (its ``u``, ms). False if any asset's figure was older than the one held."""
        fresh = True
        for b in balances:
            fresh = self.book.state(b.asset, b.free, b.locked, at) and fresh
        return fresh

    def apply_balance_delta(
        self, asset: str, delta: Decimal, at: int | None = None, key: Hashable | None = None
    ) -> None:
        """A balanceUpdate event (deposit, withdrawal, transfer) at ``at`` (its ``T``): free
        moves by ``delta`` unless a figure as new is held or ``key`` was seen. It is not a
        trade, so no position or PnL changes."""
        self.book.move(asset, delta, at, key if key is not None else object())

    def balance(self, asset: str) -> Balance:
        return self.balances.get(asset) or Balance(asset)

    # ---- valuation ----------------------------------------------------------------------

    def _mark(self, symbol: str) -> Decimal | None:
        return self.prices(symbol) if self.prices is not None else None

    def unrealized_pnl(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        mark = self._mark(symbol)
        return pos.unrealized_pnl(mark) if pos is not None and mark is not None else ZERO

    def realized_pnl(self) -> Decimal:
        return sum((p.realized_pnl for p in self.positions.values()), ZERO)

    def total_pnl(self) -> Decimal:
        """Realized plus unrealized over all symbols, in their quote assets (summed as-is:
        meaningful when the symbols share one quote asset, as a daily-loss limit assumes)."""
        return self.realized_pnl() + sum((self.unrealized_pnl(s) for s in self.positions), ZERO)

    def gross_exposure(self) -> Decimal:
        """Every position's absolute value at its mark: spot positions and derivatives legs
        (a leg with no mark from the price source at the venue's last mark, else its entry)."""
        total = ZERO
        for symbol, pos in self.positions.items():
            mark = self._mark(symbol) or pos.avg_entry_price
            total += abs(pos.quantity) * mark
        for leg in self.legs.legs.values():
            if leg.quantity:
                total += leg.notional(self._mark(leg.symbol))
        return total

    # ---- reconciliation -----------------------------------------------------------------

    def reconcile(self, account: AccountSnapshot, *, seen: int | None = None) -> list[BalanceDiff]:
        """Compare tracked balance totals with the exchange's, adopt the exchange's, and raise
        the alarm on any difference beyond ``tolerance``; then spot positions follow their
        base asset's balance when only one tracked symbol trades that asset.

        Tracked means as of the snapshot: what arrived before ``seen`` (``book.mark()`` read
        before the request) is in the exchange's figure, and so are fills timed up to its
        ``update_time``; an asset stated later than it, by a statement that arrived while it
        was on its way, is not compared.
        Positions are set from the balances only when they differed."""
        diffs: list[BalanceDiff] = []
        stamp = _stamp(account)
        exchange = {b.asset: b for b in account.balances}
        for asset in sorted(set(exchange) | self.book.assets()):
            asked_after = seen is not None and self.book.stated_before(asset, seen)
            if not asked_after and stamp is not None and stamp < self.book.stamp(asset):
                continue  # a later figure is held: the snapshot is the older news
            ex = exchange.get(asset)
            ex_free = ex.free if ex is not None else ZERO
            ex_locked = ex.locked if ex is not None else ZERO
            tracked = self.book.total_as_of(asset, stamp, seen)
            if abs(tracked - (ex_free + ex_locked)) > self.tolerance:
                diffs.append(BalanceDiff(asset, tracked, ex_free + ex_locked, ex_free, ex_locked))
        self.adopt_balances(account, seen=seen)
        if diffs:
            # Only a difference moves positions to the balances: without one they agree
            # already, and resetting them could count again a fill still on its way.
            self._sync_spot_positions()
            log.warning(
                "position reconciliation: tracked balances disagree with the exchange: %s",
                "; ".join(f"{d.asset} tracked {d.tracked} exchange {d.exchange}" for d in diffs),
            )
            if self._on_alarm is not None:
                self._on_alarm(diffs)
        return diffs
