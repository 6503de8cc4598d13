"""Balances as the exchange last stated them, plus the moves it has not stated yet.

The user data stream can arrive reordered and duplicated: an execution report after the
``outboundAccountPosition`` that already includes its fill, an old balance event after a
newer one. Adding fills onto balances and overwriting them with balance events in *arrival*
order then counts a fill twice or brings back an old figure. So each asset keeps

* the exchange's last statement of it (a balance event or an account snapshot) together
  with the exchange's time of that statement (``u``, ``updateTime``): a stream statement
  older than the one held is stale and ignored, whatever order the two arrived in;
* the moves (fills, transfers) the exchange reported with a time *after* that statement,
  each under a key (the trade id), so a repeat adds nothing. A move timed at or before the
  statement is taken as already inside it; a newer statement drops the moves it covers.

The exchange's clock is not trusted alone: it can step (an exchange clock stepped back
stamps a fill made *after* a statement with an earlier time), and time cannot order a REST
answer against the stream. What arrival order proves is used instead where it can: an
account snapshot requested after a move or a statement arrived includes it, so the caller
reads ``mark()`` before requesting one and passes it as ``seen``; the snapshot then replaces
everything that arrived before, whatever the times say. What neither can settle raises a
doubt (``on_doubt``), and the owner reads a snapshot that settles it to the last unit:

* two different statements of one asset in the same millisecond;
* a stream statement older than the held one, with a different figure (reordering, or the
  exchange's clock stepped back);
* a move never seen before, timed at or before the held statement (a late report of a fill
  the statement includes, or a fill made after it under a stepped clock).

A move whose key a statement already covered is a repeat and raises nothing, so the usual
race -- the stream's report and balance event before the REST answer of the same fill --
costs no account read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["Balance", "BalanceBook"]

ZERO = Decimal(0)
_NEVER = -1  # the stamp of an asset the exchange has not stated yet
# Moves kept per asset while no statement covers them (a manager polling without a stream
# never receives one); past this the oldest are folded into the stated figure.
MAX_PENDING = 10_000
# Keys of moves a statement covered, remembered per asset so that a late repeat of one (the
# REST answer of a fill the stream already reported and stated) is known for a repeat.
MAX_COVERED = 10_000


@dataclass(slots=True)
class Balance:
    asset: str
    free: Decimal = ZERO
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(slots=True)
class _Move:
    at: int | None  # the exchange's time in ms, None when unknown
    delta: Decimal  # change of free
    seq: int  # arrival order in the book


@dataclass(slots=True)
class _Asset:
    free: Decimal = ZERO
    locked: Decimal = ZERO
    stamp: int = _NEVER
    stated_seq: int = 0  # arrival order of the held statement (0: none yet)
    pending: dict[Hashable, _Move] = field(default_factory=dict)
    covered: set[Hashable] = field(default_factory=set)
    covered_order: deque[Hashable] = field(default_factory=deque)

    def cover(self, key: Hashable) -> None:
        if key in self.covered:
            return
        self.covered.add(key)
        self.covered_order.append(key)
        if len(self.covered_order) > MAX_COVERED:
            self.covered.discard(self.covered_order.popleft())

    def keep_pending(self, keep: Callable[[_Move], bool]) -> None:
        kept: dict[Hashable, _Move] = {}
        for key, m in self.pending.items():
            if keep(m):
                kept[key] = m
            else:
                self.cover(key)
        self.pending = kept


class BalanceBook:
    """``view`` holds each asset's current figure (statement plus pending moves); read it,
    never write it. ``stale`` counts statements ignored as older than the one held,
    ``doubts`` the figures that raised a doubt."""

    def __init__(self, on_doubt: Callable[[str], object] | None = None) -> None:
        self.on_doubt = on_doubt
        self.view: dict[str, Balance] = {}
        self.stale = 0
        self.doubts = 0
        self.newest = _NEVER  # the latest exchange time of any figure held
        self._assets: dict[str, _Asset] = {}
        self._seq = 0

    def mark(self) -> int:
        """The arrival position now: read it just before requesting an account snapshot
        and pass it as ``seen``, so the snapshot replaces what arrived before it."""
        return self._seq

    def state(
        self,
        asset: str,
        free: Decimal,
        locked: Decimal,
        at: int | None,
        *,
        snapshot: bool = False,
        seen: int | None = None,
    ) -> bool:
        """The exchange's figure for ``asset`` as of ``at`` (ms; None: as of now, unknown
        time). False when it is older than the figure held and was ignored.

        A snapshot (``snapshot=True``) with ``seen`` (``mark()`` read before it was asked
        for) replaces the held statement and every move that arrived before that mark,
        whatever their times; what arrived while it was on its way is ordered by time. A
        snapshot wins a tie with the held figure; a stream statement tying with a different
        figure is taken but raises a doubt."""
        a = self._assets.get(asset)
        if a is None:
            a = self._assets[asset] = _Asset()
        self._seq += 1
        before_ask = snapshot and seen is not None and a.stated_seq <= seen
        if at is not None and not before_ask:
            if at < a.stamp:
                self.stale += 1
                if not snapshot and (free, locked) != (a.free, a.locked):
                    self._doubt(asset)
                return False
            if at == a.stamp and not snapshot and (free, locked) != (a.free, a.locked):
                self._doubt(asset)
        if snapshot and seen is not None:
            # Arrived before the ask: inside the snapshot. Arrived since: inside it when
            # timed at or before it (an unknown time is kept: it cannot be dated).
            a.keep_pending(lambda m: m.seq > seen and (at is None or m.at is None or m.at > at))
        elif at is not None:
            a.keep_pending(lambda m: m.at is not None and m.at > at)
        else:
            a.keep_pending(lambda m: False)
        if at is not None:
            a.stamp = at if before_ask else max(a.stamp, at)
            self.newest = max(self.newest, at)
        a.stated_seq = self._seq
        a.free, a.locked = free, locked
        self._show(asset, a)
        return True

    def move(self, asset: str, delta: Decimal, at: int | None, key: Hashable) -> None:
        """A change of ``asset``'s free balance the exchange reported at ``at`` (ms) under
        ``key``: added unless the key was already added or covered, or a held statement is
        as new (it is then taken as included, with a doubt: see the module's docstring)."""
        a = self._assets.get(asset)
        if a is None:
            a = self._assets[asset] = _Asset()
        if key in a.pending or key in a.covered:
            return
        if at is not None and at <= a.stamp:
            a.cover(key)
            self._doubt(asset)
            return
        self._seq += 1
        a.pending[key] = _Move(at, delta, self._seq)
        if len(a.pending) > MAX_PENDING:
            # The older half is folded into the figure at once (the view does not change):
            # popping one at a time from the front of a dict costs more the longer it runs.
            moves = list(a.pending.items())
            half = len(moves) // 2
            a.free += sum((m.delta for _, m in moves[:half]), ZERO)
            for folded, _ in moves[:half]:
                a.cover(folded)
            a.pending = dict(moves[half:])
        view = self.view.get(asset)
        if view is None:
            self._show(asset, a)
        else:
            view.free += delta

    @property
    def stated(self) -> bool:
        """Whether the exchange has stated any figure yet (a snapshot or a balance event):
        fills alone say what moved, not what is held."""
        return any(a.stated_seq for a in self._assets.values())

    def total_as_of(self, asset: str, at: int | None, seen: int | None = None) -> Decimal:
        """The total the exchange should state for ``asset`` at ``at``: the held statement
        plus the moves that arrived before ``seen`` or are timed up to ``at`` (all of them
        when ``at`` is None)."""
        a = self._assets.get(asset)
        if a is None:
            return ZERO
        moved = sum(
            (
                m.delta
                for m in a.pending.values()
                if at is None or m.at is None or m.at <= at or (seen is not None and m.seq <= seen)
            ),
            ZERO,
        )
        return a.free + a.locked + moved

    def stated_before(self, asset: str, seen: int) -> bool:
        """Whether the held statement of ``asset`` arrived before the mark ``seen``."""
        a = self._assets.get(asset)
        return a is None or a.stated_seq <= seen

    def stamp(self, asset: str) -> int:
        a = self._assets.get(asset)
        return _NEVER if a is None else a.stamp

    def assets(self) -> set[str]:
        return set(self._assets)

    def _doubt(self, asset: str) -> None:
        self.doubts += 1
        if self.on_doubt is not None:
            self.on_doubt(asset)

    def _show(self, asset: str, a: _Asset) -> None:
        moved = sum((m.delta for m in a.pending.values()), ZERO)
        self.view[asset] = Balance(asset, a.free + moved, a.locked)
