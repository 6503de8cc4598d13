"""A leg's fills since a figure the venue stated, kept in the venue's own order.

A leg's entry price and realized PnL depend on the order of its fills: a fill that shrinks
the leg realizes against the entry the earlier ones made. The venue books them in trade-id
order, which no clock moves; we see them in arrival order, and a fill whose stream report was
lost arrives later, through the order poller, after fills the venue made after it. So each
leg keeps the fills since the last figure it adopted from the venue (``FillLog.start``), in
trade-id order, with the PnL each realized: an in-order fill is one step on top (the hot
path), an out-of-order one is put in its place and the figures are replayed from ``start``,
each fill's realized PnL corrected by what the replay says it is.

The log is bounded (``MAX_FILLS``): its oldest fill is folded into ``start`` beyond that, and
a fill older than every fill kept is applied where it arrives (a position read settles it).
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["FillLog", "move"]

ZERO = Decimal(0)
MAX_FILLS = 256


def move(
    quantity: Decimal, entry: Decimal, delta: Decimal, price: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """``(quantity, entry)`` moved by a fill of signed ``delta`` at ``price``: the new quantity,
    the new entry and the PnL the fill realized (unrounded). Binance's rule (``legs`` doc)."""
    if quantity == 0 or (quantity > 0) == (delta > 0):
        new = quantity + delta
        return new, (abs(quantity) * entry + abs(delta) * price) / abs(new), ZERO
    closed = min(abs(quantity), abs(delta))
    realized = closed * (price - entry) * (1 if quantity > 0 else -1)
    new = quantity + delta
    if new == 0:
        return new, ZERO, realized
    return new, (price if (new > 0) != (quantity > 0) else entry), realized


@dataclass(slots=True)
class _Fill:
    trade_id: int
    delta: Decimal
    price: Decimal
    realized: Decimal  # as booked


@dataclass(slots=True)
class FillLog:
    """Fills on a leg since ``start`` (quantity, entry), in trade-id order; ``end`` is the
    leg they make."""

    start: tuple[Decimal, Decimal]
    unit: Decimal
    end: tuple[Decimal, Decimal] = (ZERO, ZERO)
    fills: list[_Fill] = field(default_factory=list)
    folded: int | None = None  # the last trade id folded into ``start``

    def __post_init__(self) -> None:
        self.end = self.start

    def add(self, trade_id: int | None, delta: Decimal, price: Decimal) -> Decimal:
        """Book one fill; returns the change in realized PnL it makes (its own, plus the
        corrections to later fills' when it arrived out of the venue's order)."""
        fills = self.fills
        if (
            trade_id is not None
            and fills
            and trade_id < fills[-1].trade_id
            and (self.folded is None or trade_id > self.folded)
        ):
            return self._replay(_Fill(trade_id, delta, price, ZERO))
        q, e, realized = move(*self.end, delta, price)
        booked = realized.quantize(self.unit)
        self.end = (q, e)
        if trade_id is not None and (not fills or trade_id > fills[-1].trade_id):
            fills.append(_Fill(trade_id, delta, price, booked))
            if len(fills) > MAX_FILLS:
                oldest = fills.pop(0)
                q0, e0, _ = move(*self.start, oldest.delta, oldest.price)
                self.start, self.folded = (q0, e0), oldest.trade_id
        return booked

    def _replay(self, late: _Fill) -> Decimal:
        insort(self.fills, late, key=lambda f: f.trade_id)
        q, e = self.start
        change = ZERO
        for f in self.fills:
            q, e, realized = move(q, e, f.delta, f.price)
            booked = realized.quantize(self.unit)
            change += booked - f.realized
            f.realized = booked
        self.end = (q, e)
        return change
