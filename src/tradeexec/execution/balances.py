"""Balances as the exchange last stated them, plus the moves it has not stated yet.

The user data stream can arrive reordered and duplicated: an execution report after the
``outboundAccountPosition`` that already includes its fill, an old balance event after a
newer one. Adding fills onto balances and overwriting them with balance events in *arrival*
order then counts a fill twice or brings back an old figure. So each asset keeps

* the exchange's last statement of it (a balance event or an account snapshot) together
  with the exchange's time of that statement (``u``, ``updateTime``): a statement older than
  the one held is stale and ignored, whatever order the two arrived in;
* the moves (fills, transfers) the exchange reported with a time *after* that statement,
  each under a key (the trade id), so a repeat adds nothing. A move timed at or before the
  statement is already inside it and is not added; a newer statement drops the moves it
  covers.

What this cannot settle alone: two different statements of one asset with the same
millisecond (two account changes in one ms, arriving swapped). The later arrival is taken,
the most likely right, and ``on_doubt`` is told, so the owner can fetch a snapshot that
settles it to the last unit.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["Balance", "BalanceBook"]

ZERO = Decimal(0)
_NEVER = -1  # the stamp of an asset the exchange has not stated yet
# Moves kept per asset while no statement covers them (a manager polling without a stream
# never receives one); past this the oldest are folded into the stated figure.
MAX_PENDING = 10_000


@dataclass(slots=True)
class Balance:
    asset: str
    free: Decimal = ZERO
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(slots=True)
class _Asset:
    free: Decimal = ZERO
    locked: Decimal = ZERO
    stamp: int = _NEVER
    # key -> (exchange time in ms, or None when unknown; change of free)
    pending: dict[Hashable, tuple[int | None, Decimal]] = field(default_factory=dict)


class BalanceBook:
    """``view`` holds each asset's current figure (statement plus pending moves); read it,
    never write it. ``stale`` counts statements ignored as older than the one held."""

    def __init__(self, on_doubt: Callable[[str], object] | None = None) -> None:
        self.on_doubt = on_doubt
        self.view: dict[str, Balance] = {}
        self.stale = 0
        self.doubts = 0
        self.newest = _NEVER  # the latest exchange time of any figure held
        self._assets: dict[str, _Asset] = {}

    def state(
        self, asset: str, free: Decimal, locked: Decimal, at: int | None, *, snapshot: bool = False
    ) -> bool:
        """The exchange's figure for ``asset`` as of ``at`` (ms; None: as of now, unknown
        time). False when it is older than the figure held and was ignored. A snapshot wins
        a tie with the held figure (it was fetched after that figure was stated); a stream
        event tying with a different figure is taken but raises a doubt."""
        a = self._assets.get(asset)
        if a is None:
            a = self._assets[asset] = _Asset()
        if at is not None:
            if at < a.stamp:
                self.stale += 1
                return False
            if at == a.stamp and not snapshot and (free, locked) != (a.free, a.locked):
                self.doubts += 1
                if self.on_doubt is not None:
                    self.on_doubt(asset)
            a.stamp = at
            self.newest = max(self.newest, at)
            a.pending = {k: m for k, m in a.pending.items() if m[0] is not None and m[0] > at}
        else:
            a.pending = {}
        a.free, a.locked = free, locked
        self._show(asset, a)
        return True

    def move(self, asset: str, delta: Decimal, at: int | None, key: Hashable) -> None:
        """A change of ``asset``'s free balance the exchange reported at ``at`` (ms) under
        ``key``: added unless a held statement is as new (it includes the move) or the key
        was already added."""
        a = self._assets.get(asset)
        if a is None:
            a = self._assets[asset] = _Asset()
        if (at is not None and at <= a.stamp) or key in a.pending:
            return
        a.pending[key] = (at, delta)
        if len(a.pending) > MAX_PENDING:
            # The older half is folded into the figure at once (the view does not change):
            # popping one at a time from the front of a dict costs more the longer it runs.
            moves = list(a.pending.items())
            half = len(moves) // 2
            a.free += sum((d for _, (_, d) in moves[:half]), ZERO)
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
        return self.newest != _NEVER

    def total_as_of(self, asset: str, at: int | None) -> Decimal:
        """The total the exchange should state for ``asset`` at ``at``: the held statement
        plus the moves timed up to ``at`` (all of them when ``at`` is None)."""
        a = self._assets.get(asset)
        if a is None:
            return ZERO
        moved = sum(
            (d for t, d in a.pending.values() if at is None or t is None or t <= at), ZERO
        )
        return a.free + a.locked + moved

    def stamp(self, asset: str) -> int:
        a = self._assets.get(asset)
        return _NEVER if a is None else a.stamp

    def assets(self) -> set[str]:
        return set(self._assets)

    def _show(self, asset: str, a: _Asset) -> None:
        moved = sum((d for _, d in a.pending.values()), ZERO)
        self.view[asset] = Balance(asset, a.free + moved, a.locked)
