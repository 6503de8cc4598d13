"""One side of a symbol's order book, kept in price-time priority.

Prices live in one sorted list (updated with bisect) so that finding the best level never
sorts the book; each level is an ``OrderedDict`` so that a cancel anywhere in the queue and
an iceberg's move to the back are both O(1). The side also remembers, per engine call, the
quantity each touched level had before the call, so that one depth diff with absolute
quantities can be produced at the end of the call.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import OrderedDict
from collections.abc import Iterator
from decimal import Decimal
from typing import Generic, TypeVar

T = TypeVar("T")

_ZERO = Decimal(0)


class PriceLevels(Generic[T]):
    __slots__ = ("_before", "_levels", "_prices", "_qty", "is_bid")

    def __init__(self, *, is_bid: bool) -> None:
        self.is_bid = is_bid
        self._prices: list[Decimal] = []  # ascending, whatever the side
        self._levels: dict[Decimal, OrderedDict[int, T]] = {}
        self._qty: dict[Decimal, Decimal] = {}  # visible quantity per level
        self._before: dict[Decimal, Decimal] = {}

    def best(self) -> Decimal | None:
        if not self._prices:
            return None
        return self._prices[-1] if self.is_bid else self._prices[0]

    def prices(self) -> Iterator[Decimal]:
        """Best first. The caller must not change the side while iterating."""
        return reversed(self._prices) if self.is_bid else iter(self._prices)

    def queue(self, price: Decimal) -> OrderedDict[int, T]:
        return self._levels[price]

    def level_qty(self, price: Decimal) -> Decimal:
        return self._qty.get(price, _ZERO)

    def _touch(self, price: Decimal) -> None:
        if price not in self._before:
            self._before[price] = self._qty.get(price, _ZERO)

    def add(self, price: Decimal, key: int, item: T, visible: Decimal) -> None:
        self._touch(price)
        level = self._levels.get(price)
        if level is None:
            level = self._levels[price] = OrderedDict()
            insort(self._prices, price)
            self._qty[price] = visible
        else:
            self._qty[price] += visible
        level[key] = item

    def remove(self, price: Decimal, key: int, visible: Decimal) -> None:
        self._touch(price)
        level = self._levels[price]
        del level[key]
        if level:
            self._qty[price] -= visible
        else:
            del self._levels[price]
            del self._qty[price]
            del self._prices[bisect_left(self._prices, price)]

    def reduce(self, price: Decimal, amount: Decimal) -> None:
        self._touch(price)
        self._qty[price] -= amount

    def requeue(self, price: Decimal, key: int, added_visible: Decimal) -> None:
        """An iceberg shows a new slice: it loses its place and goes to the back."""
        self._touch(price)
        self._levels[price].move_to_end(key)
        self._qty[price] += added_visible

    def top(self, limit: int) -> list[tuple[Decimal, Decimal]]:
        out: list[tuple[Decimal, Decimal]] = []
        for price in self.prices():
            if len(out) >= limit:
                break
            out.append((price, self._qty[price]))
        return out

    def flush_changes(self) -> list[tuple[Decimal, Decimal]]:
        """Levels whose visible quantity differs from the start of the call, best first."""
        if not self._before:
            return []
        changed = [
            (price, now)
            for price, before in self._before.items()
            if (now := self._qty.get(price, _ZERO)) != before
        ]
        self._before.clear()
        changed.sort(reverse=self.is_bid)
        return changed
