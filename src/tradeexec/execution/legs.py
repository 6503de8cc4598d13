"""The positions of a derivatives account, one ``TrackedLeg`` per (symbol, ``PositionLeg``).

A futures position is not a balance: it has its own entry price, its PnL moves with the mark,
and funding and liquidation move it with no order of ours. So the legs are kept here, apart
from the spot positions (``positions.py``), by the venue's own rules (Binance USDⓈ-M):

* entry price: a fill that grows a leg averages it, ``(|q|*entry + |fill|*price) / |q+fill|``;
  one that shrinks it keeps it; one through zero closes the old side and opens the rest at the
  fill's price; a flat leg has entry 0. (The local exchange books the same, ``sim/futures/
  accounts.py``; Binance's ACCOUNT_UPDATE ``ep``/``cr`` figures follow this rule:
  https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Balance-and-Position-Update)
* realized PnL per fill: ``closed * (price - entry)`` for a long, the opposite for a short,
  rounded to the unit the venue books amounts in (``pnl_unit``; Binance: USDT's 8th decimal).
  Both depend on the fills' order, which is the venue's trade-id order: a fill that arrives
  out of it (its report lost, brought later by the poller) is put in its place and the leg
  replayed from the last figure the venue stated (``leg_fills.FillLog``).
* unrealized PnL: ``quantity * (mark - entry)`` with the signed quantity (Binance FAQ "How to
  calculate unrealized PNL": size * direction * (mark - entry)).
* wallet change = realized PnL - commission + funding (funding received; negative: paid).
* liquidation price: the venue's figure from its last position read (it depends on the whole
  account's margin and the venue's brackets, which only the venue knows to the unit); risk
  estimates its own where it needs one (``risk_futures.py``).

Fills move a leg at once (risk sees them before the next order), each trade once (keyed by
trade id). What the venue states (a ``PositionsChanged`` statement, a ``PositionSnapshot``
read) sets the leg; a fill already inside it adds its realized PnL and commission but moves
the leg no further. ``reconcile`` compares tracked legs with a position read to the last unit
and raises the alarm on any difference, as the spot tracker does for balances.

The venue's clock orders nothing alone, because it steps (an NTP step on the exchange moves
it seconds forward and back): ordered by it, one statement stamped during a step outdated
every fill, statement and read after it until the clock caught up, and the leg stayed a fill
short. So local order decides wherever it can, as for spot positions (``Position.sync_no``):

* a read is the venue's word as of its request (``mark()`` taken before it): it sets every
  leg nothing changed since, whatever the times say, and re-bases the leg's clock; a leg
  that changed while it was on its way it leaves alone (asking for a fresh read when the
  two differ);
* a statement or read adopted gets a sync number (the tracker's ``syncs``, the counter an
  order's ``sent_sync`` was taken from): a fill of an order sent after it is never inside it;
  one of an order sent before it is inside when timed at or before it;
* a statement stating a figure the leg already held at that time and has left since is old
  news (the stream proxy held it back, or repeated it), whatever the clock says; else one
  timed after the leg's last figure sets it; one timed before it is old news or new news
  under a clock stepped back. When it states the leg as held, nothing is in doubt; else the
  book cannot tell, keeps the leg and says so (``on_doubt``): the feed reads the positions,
  and that read settles the leg.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tradeexec.execution.leg_fills import FillLog
from tradeexec.execution.risk_futures import LegExposure
from tradeexec.venue.positions import MarginMode, PositionLeg, PositionsChanged, PositionSnapshot
from tradeexec.venue.vocab import Side

__all__ = ["LegBook", "LegDiff", "LegKey", "Liquidation", "TrackedLeg"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)
PNL_UNIT = Decimal("0.00000001")  # Binance books USDⓈ-M amounts in the 8th decimal
# How long after a liquidation or ADL alarm a leg's shrinking is taken as the venue's close.
CLOSING_MS = 60_000
# Per leg, the (venue time, quantity) figures last held: a statement timed before the leg's
# last figure that matches one of them is old news (the stream proxy holds a frame back by
# at most a few frames; an older one costs a position read, never a wrong leg).
HISTORY = 16

LegKey = tuple[str, PositionLeg]


@dataclass(slots=True)
class TrackedLeg:
    """One position: ``quantity`` signed (a hedge-mode SHORT leg is negative too).

    ``funding`` is what the leg received (negative: paid), ``fees`` the commission per asset;
    ``mark_price``, ``liquidation_price``, ``isolated_margin``, ``leverage`` and
    ``margin_mode`` are the venue's figures from its last position read. ``as_of`` is the
    venue time the quantity is as new as (the last statement or fill that set it); a fill
    timed at or before ``stated_at`` is inside the venue's last statement. (Two trades in one
    millisecond: the second may be taken as inside the first's statement until its own
    statement, which Binance sends per trade, sets the leg.) ``sync_no`` is the sync number
    of that statement or read, ``changed`` the book's local count (``LegBook.mark``) at the
    leg's last change."""

    symbol: str
    leg: PositionLeg
    margin_asset: str = "USDT"
    quantity: Decimal = ZERO
    entry_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    funding: Decimal = ZERO
    fees: dict[str, Decimal] = field(default_factory=dict)
    leverage: Decimal | None = None
    margin_mode: MarginMode = MarginMode.CROSSED
    isolated_margin: Decimal = ZERO
    mark_price: Decimal | None = None
    liquidation_price: Decimal = ZERO
    as_of: int = -1
    stated_at: int = -1  # the venue time of the last statement or read adopted
    sync_no: int = 0
    changed: int = 0
    # The fills since the last figure adopted from the venue (``leg_fills``), and those that
    # led up to it: a fill the last statement already includes that arrives after it realizes
    # its PnL against the leg as it was before it (``_prev.end``), not against the stated leg.
    _log: FillLog | None = None
    _prev: FillLog | None = None
    # The last statement adopted, as stated (a repeat of it is no news), and recent figures.
    _stated: tuple[int, Decimal, Decimal] | None = None
    _history: deque[tuple[int, Decimal]] = field(default_factory=lambda: deque(maxlen=HISTORY))

    @property
    def commission(self) -> Decimal:
        """Commission paid in the margin asset (others are in ``fees``)."""
        return self.fees.get(self.margin_asset, ZERO)

    @property
    def funding_paid(self) -> Decimal:
        return -self.funding

    def unrealized_pnl(self, mark: Decimal | None = None) -> Decimal:
        """At ``mark`` (the venue's last mark when None; 0 without one)."""
        price = self.mark_price if mark is None else mark
        return self.quantity * (price - self.entry_price) if self.quantity and price else ZERO

    def notional(self, mark: Decimal | None = None) -> Decimal:
        price = self.mark_price if mark is None else mark
        return abs(self.quantity) * (price or self.entry_price)

    @property
    def wallet_change(self) -> Decimal:
        """What this leg moved the wallet by: realized PnL - commission + funding."""
        return self.realized_pnl - self.commission + self.funding


@dataclass(slots=True, frozen=True)
class LegDiff:
    """A tracked figure of a leg that the venue's read contradicts (``what``: quantity or
    entry_price)."""

    symbol: str
    leg: PositionLeg
    what: str
    tracked: Decimal
    venue: Decimal


@dataclass(slots=True)
class Liquidation:
    """A leg the venue closed (in part or whole) by itself: a liquidation or an
    auto-deleveraging (``reason``), one record per leg and alarm, completed as the venue's
    statements and its closing order's trades come: ``quantity_after`` and ``time`` (venue ms)
    of the last, ``price`` of the last trade (None while only statements told), and the PnL
    its trades realized."""

    symbol: str
    leg: PositionLeg
    quantity_before: Decimal
    quantity_after: Decimal
    entry_price: Decimal
    reason: str
    time: int
    price: Decimal | None = None
    realized_pnl: Decimal = ZERO


def _unit(figure: Decimal) -> Decimal:
    """One unit of the last digit the venue stated ``figure`` with."""
    exponent = figure.as_tuple().exponent
    return Decimal(1).scaleb(exponent) if isinstance(exponent, int) else ZERO


class LegBook:
    """Every leg of the account, by (symbol, leg). ``on_alarm`` is called with the
    differences whenever ``reconcile`` finds any; ``on_doubt`` with a symbol whose leg a
    statement left in doubt (only a position read can settle it). ``next_sync`` hands out
    sync numbers (the position tracker's, shared with its spot positions and with orders'
    ``sent_sync``)."""

    def __init__(
        self,
        *,
        on_alarm: Callable[[list[LegDiff]], object] | None = None,
        pnl_unit: Decimal = PNL_UNIT,
        next_sync: Callable[[], int] | None = None,
    ) -> None:
        self.legs: dict[LegKey, TrackedLeg] = {}
        self.on_alarm = on_alarm
        self.on_doubt: Callable[[str], object] | None = None
        self.next_sync = next_sync if next_sync is not None else itertools.count(1).__next__
        self._seq = 0
        self.pnl_unit = pnl_unit
        self.unattributed_funding: dict[str, Decimal] = {}  # symbol ("" = account) -> received
        self.liquidations: list[Liquidation] = []
        self.last_diffs: list[LegDiff] = []
        self._seen: set[Hashable] = set()
        # symbol -> (why, until: venue ms), while the venue closes the symbol itself
        self._venue_closing: dict[str, tuple[str, int]] = {}
        self._open_liquidations: dict[LegKey, Liquidation] = {}

    def __bool__(self) -> bool:
        return bool(self.legs)

    def leg(self, symbol: str, leg: PositionLeg, margin_asset: str = "USDT") -> TrackedLeg:
        key = (symbol, leg)
        found = self.legs.get(key)
        if found is None:
            found = self.legs[key] = TrackedLeg(symbol, leg, margin_asset)
        return found

    def get(self, symbol: str, leg: PositionLeg) -> TrackedLeg | None:
        return self.legs.get((symbol, leg))

    def exposure(self, symbol: str, leg: PositionLeg, collateral: Decimal) -> LegExposure:
        """The leg as risk sees it before an order (``collateral``: the margin asset's wallet
        balance, behind a leg the venue gave no liquidation price for)."""
        pos = self.legs.get((symbol, leg))
        if pos is None:
            return LegExposure(leg, collateral=collateral)
        return LegExposure(
            leg, pos.quantity, pos.entry_price, pos.leverage, pos.liquidation_price, collateral
        )

    def of(self, symbol: str) -> list[TrackedLeg]:
        return [lg for (s, _), lg in self.legs.items() if s == symbol]

    def mark(self) -> int:
        """The local count of leg changes: take it just before requesting a position read and
        pass it to ``reconcile``, so that what changed while the read was on its way is told
        apart from what the read already holds."""
        return self._seq

    def _changed(self, pos: TrackedLeg, time: int | None) -> None:
        self._seq += 1
        pos.changed = self._seq
        if time is not None:
            pos._history.append((time, pos.quantity))

    def _adopt(self, pos: TrackedLeg, quantity: Decimal, entry: Decimal, time: int) -> None:
        """Set ``pos`` from the venue's word stated at ``time``."""
        self._note_venue_close(pos, quantity, time)
        pos._prev = self._log_of(pos)
        pos.quantity, pos.entry_price = quantity, entry
        pos._log = FillLog((quantity, entry), self.pnl_unit)
        pos.as_of = pos.stated_at = time
        pos.sync_no = self.next_sync()
        self._changed(pos, time)

    # ---- fills ----------------------------------------------------------------------------

    def apply_fill(
        self,
        symbol: str,
        leg: PositionLeg,
        side: Side,
        qty: Decimal,
        price: Decimal,
        *,
        commission: Decimal = ZERO,
        commission_asset: str | None = None,
        trade_id: int | None = None,
        time_ms: int | None = None,
        sent_sync: int | None = None,
    ) -> TrackedLeg:
        """One trade of an order on ``leg``; a trade id seen before changes nothing.
        ``sent_sync``: the sync number the order was sent under (None: unknown, then its time
        alone says whether the leg's last statement holds it)."""
        if trade_id is not None:
            key = ("trade", symbol, trade_id)
            if key in self._seen:
                return self.leg(symbol, leg)
            self._seen.add(key)
        pos = self.leg(symbol, leg)
        delta = qty if side is Side.BUY else -qty
        stated = sent_sync is None or sent_sync < pos.sync_no  # sent before the last statement
        if stated and time_ms is not None and time_ms <= pos.stated_at:
            # Already inside the last statement: realize against the leg as it was before it.
            if pos._prev is None:
                pos._prev = FillLog((ZERO, ZERO), self.pnl_unit)
            realized = pos._prev.add(trade_id, delta, price)
        else:
            fills = self._log_of(pos)
            realized = fills.add(trade_id, delta, price)
            pos.quantity, pos.entry_price = fills.end
            if time_ms is not None:
                pos.as_of = max(pos.as_of, time_ms)
            self._changed(pos, time_ms)
        pos.realized_pnl += realized
        if commission and commission_asset:
            pos.fees[commission_asset] = pos.fees.get(commission_asset, ZERO) + commission
        return pos

    def _log_of(self, pos: TrackedLeg) -> FillLog:
        """The leg's fill log, started afresh from its figure when something else set it."""
        fills = pos._log
        if fills is None or fills.end != (pos.quantity, pos.entry_price):
            fills = pos._log = FillLog((pos.quantity, pos.entry_price), self.pnl_unit)
        return fills

    # ---- what the venue states ------------------------------------------------------------

    def apply_statement(self, item: PositionsChanged) -> bool:
        """A stream statement of the legs an event changed; False when any leg it lists is
        timed before that leg's last figure (that leg is left as it is, and ``on_doubt`` is
        told when the statement is not old news: module doc). A repeat of the last statement
        changes nothing. A leg it shrinks while the venue is closing the symbol by itself
        (``venue_closing``) is recorded as a liquidation."""
        fresh = True
        at = item.update_time
        for symbol, leg, quantity, entry in item.legs:
            pos = self.leg(symbol, leg)
            if pos._stated == (at, quantity, entry):
                continue
            known = (at, quantity) in pos._history
            if at < pos.as_of or (known and quantity != pos.quantity):
                fresh = False
                if quantity != pos.quantity and not known:
                    log.info("%s %s: a statement of %s timed %d, before the leg's %d: reading the "
                             "positions", symbol, leg, quantity, at, pos.as_of)  # fmt: skip
                    if self.on_doubt is not None:
                        self.on_doubt(symbol)
                continue
            self._adopt(pos, quantity, entry, at)
            pos._stated = (at, quantity, entry)
        return fresh

    def apply_snapshot(self, snap: PositionSnapshot, *, mark: int | None = None) -> bool:
        """A position read requested at ``mark`` (None: now): the descriptive figures (mark,
        liquidation price, margin) are always taken; quantity and entry unless the leg changed
        after ``mark`` (``raced``). False then."""
        pos = self.leg(snap.symbol, snap.leg, snap.margin_asset)
        pos.margin_asset = snap.margin_asset
        pos.mark_price = snap.mark_price or pos.mark_price
        pos.liquidation_price = snap.liquidation_price
        pos.margin_mode = snap.margin_mode
        pos.isolated_margin = snap.isolated_margin
        if snap.leverage is not None:
            pos.leverage = snap.leverage
        if self._raced(pos, snap.quantity, mark):
            return False
        self._adopt(pos, snap.quantity, snap.entry_price, snap.update_time)
        return True

    def _raced(self, pos: TrackedLeg, quantity: Decimal, mark: int | None) -> bool:
        """The leg changed while a read requested at ``mark`` was on its way: whether the read
        holds that change only the venue's clock could tell, and it steps, so the read neither
        sets nor judges the leg. When the two differ, ``on_doubt`` asks for a fresh read."""
        if mark is None or pos.changed <= mark:
            return False
        if quantity != pos.quantity and self.on_doubt is not None:
            self.on_doubt(pos.symbol)
        return True

    def apply_funding(self, symbol: str, amount: Decimal, event_time: int, asset: str = "") -> None:
        """A funding payment (received; negative: paid), once per (symbol, asset, amount,
        time). It goes to the symbol's leg when exactly one is open, else it is kept per symbol
        (Binance's stream names no symbol for a cross position's funding)."""
        key = ("funding", symbol, asset, amount, event_time)
        if key in self._seen:
            return
        self._seen.add(key)
        open_legs = [lg for lg in self.of(symbol) if lg.quantity] if symbol else []
        if len(open_legs) == 1:
            open_legs[0].funding += amount
        else:
            self.unattributed_funding[symbol] = self.unattributed_funding.get(symbol, ZERO) + amount

    def venue_closing(self, symbol: str, why: str, at: int) -> None:
        """The venue said at ``at`` (its ms) that it is closing ``symbol``'s position itself
        (a liquidation or ADL alarm; "" for the whole account): for ``CLOSING_MS`` after, what
        shrinks the symbol's legs without an order of ours is recorded as what it is. An alarm
        of the same kind inside the window of the last one continues its record (a smart
        liquidation is two orders, each alarmed: one liquidation); any other starts a new one."""
        until = at + CLOSING_MS
        symbols = {s for s, _ in self.legs} if not symbol else {symbol}
        fresh = set()
        for s in symbols:
            last = self._venue_closing.get(s)
            if last is None or last[0] != why or at > last[1]:
                fresh.add(s)
            self._venue_closing[s] = (why, until)
        for key in [k for k in self._open_liquidations if k[0] in fresh]:
            del self._open_liquidations[key]  # a new alarm: a new record

    def closing(self, symbol: str, at: int) -> bool:
        found = self._venue_closing.get(symbol)
        return found is not None and at <= found[1]

    def apply_venue_fill(
        self, symbol: str, leg: PositionLeg, side: Side, qty: Decimal, price: Decimal, *, trade_id: int,
        time_ms: int, commission: Decimal = ZERO, commission_asset: str | None = None,
    ) -> TrackedLeg:  # fmt: skip
        """A trade of the venue's own closing order (not one of ours) while it closes the
        symbol: it moves the leg like any fill and completes the liquidation record."""
        pos = self.leg(symbol, leg)
        if time_ms > pos.stated_at:  # else the venue's statement told the close already
            self._note_venue_close(pos, pos.quantity + (qty if side is Side.BUY else -qty), time_ms)
        realized = pos.realized_pnl
        self.apply_fill(symbol, leg, side, qty, price, commission=commission,
                        commission_asset=commission_asset, trade_id=trade_id, time_ms=time_ms)  # fmt: skip
        record = self._open_liquidations.get((symbol, leg))
        if record is not None:
            record.price = price
            record.realized_pnl += pos.realized_pnl - realized
        return pos

    def _note_venue_close(self, pos: TrackedLeg, after: Decimal, time: int) -> None:
        """Record (or complete) the liquidation of ``pos`` when the venue is closing its
        symbol and ``after`` is smaller."""
        key = (pos.symbol, pos.leg)
        if not self.closing(pos.symbol, time) or abs(after) >= abs(pos.quantity):
            return
        record = self._open_liquidations.get(key)
        if record is None:
            why = self._venue_closing[pos.symbol][0]
            record = Liquidation(pos.symbol, pos.leg, pos.quantity, after, pos.entry_price, why, time)
            self._open_liquidations[key] = record
            self.liquidations.append(record)
        record.quantity_after, record.time = after, time
        log.error(
            "%s %s %s: the venue closed the position from %s to %s (entry %s)",
            record.reason.upper(), pos.symbol, pos.leg, pos.quantity, after, pos.entry_price,
        )  # fmt: skip

    # ---- totals ---------------------------------------------------------------------------

    def realized_pnl(self) -> Decimal:
        return sum((lg.realized_pnl for lg in self.legs.values()), ZERO)

    def funding(self) -> Decimal:
        legs = sum((lg.funding for lg in self.legs.values()), ZERO)
        return legs + sum(self.unattributed_funding.values(), ZERO)

    def commission(self) -> Decimal:
        return sum((lg.commission for lg in self.legs.values()), ZERO)

    def wallet_change(self) -> Decimal:
        """Realized PnL - commission + funding over every leg (in the margin asset)."""
        return self.realized_pnl() - self.commission() + self.funding()

    def unrealized_pnl(self, marks: Callable[[str], Decimal | None] | None = None) -> Decimal:
        """At ``marks`` when it has one for the symbol, else at the venue's last mark."""
        total = ZERO
        for lg in self.legs.values():
            total += lg.unrealized_pnl(marks(lg.symbol) if marks is not None else None)
        return total

    # ---- reconciliation -------------------------------------------------------------------

    def reconcile(
        self,
        snapshots: Iterable[PositionSnapshot],
        *,
        symbols: Sequence[str] | None = None,
        mark: int | None = None,
        alarm: bool = True,
    ) -> list[LegDiff]:
        """Compare the tracked legs with a position read requested at ``mark`` (``mark()``
        before the request; None: now), adopt the venue's, and raise the alarm on any
        difference: quantity to the last unit, entry price to the last digit the venue states.
        A leg the read does not list is flat by the venue's word when the read covered its
        symbol (``symbols``; None: every symbol). A leg that changed after ``mark`` is not
        compared (``apply_snapshot``). ``alarm=False``:
        a read made to settle a doubt, whose differences are what it was made for (logged,
        adopted, no alarm)."""
        diffs: list[LegDiff] = []
        listed: set[LegKey] = set()
        for snap in snapshots:
            key = (snap.symbol, snap.leg)
            listed.add(key)
            pos = self.legs.get(key)
            if pos is not None and (mark is None or pos.changed <= mark):
                diffs.extend(self._compare(pos, snap.quantity, snap.entry_price))
            self.apply_snapshot(snap, mark=mark)
        for key, pos in self.legs.items():
            if key in listed or not pos.quantity or (symbols is not None and key[0] not in symbols):
                continue
            if self._raced(pos, ZERO, mark):
                continue
            diffs.append(LegDiff(pos.symbol, pos.leg, "quantity", pos.quantity, ZERO))
            pos.quantity = pos.entry_price = ZERO
            pos.sync_no = self.next_sync()
            self._changed(pos, None)
        self.last_diffs = diffs
        if diffs and not alarm:
            log.warning("leg check: adopted the venue's positions: %s", _describe(diffs))
        elif diffs:
            log.error(
                "leg reconciliation: tracked positions disagree with the venue (adopted the venue's): %s",
                _describe(diffs),
            )
            if self.on_alarm is not None:
                self.on_alarm(diffs)
        return diffs

    @staticmethod
    def _compare(pos: TrackedLeg, quantity: Decimal, entry: Decimal) -> list[LegDiff]:
        out = []
        if pos.quantity != quantity:
            out.append(LegDiff(pos.symbol, pos.leg, "quantity", pos.quantity, quantity))
        elif quantity and abs(pos.entry_price - entry) >= _unit(entry):
            out.append(LegDiff(pos.symbol, pos.leg, "entry_price", pos.entry_price, entry))
        return out


def _describe(diffs: Iterable[LegDiff]) -> str:
    return "; ".join(f"{d.symbol} {d.leg} {d.what} tracked {d.tracked} venue {d.venue}" for d in diffs)
