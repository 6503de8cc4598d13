"""One side of a symbol's order book, kept in price-time priority.

Prices live in one sorted list (updated with bisect) so that finding the best level never
sorts the book; each level is a ``deque`` of resting orders, oldest first: the matching loop
reads and pops its head in C (``level[0]``, ``popleft``), and an iceberg's move to the back is
one ``rotate``. A cancel in the middle of a queue is a scan in C (``deque.remove``, by
identity), cheap at the queue lengths a level has. The side also remembers, per engine call,
the quantity each touched level had before the call, so that one depth diff with absolute
quantities can be produced at the end of the call.

The matching loop (``matching.py``) works on ``levels``, ``prices`` and ``qty`` directly, the
rest of the engine through the methods: the loop is the hot path of the exchange.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from decimal import Decimal
from typing import Generic, TypeVar

T = TypeVar("T")

_ZERO = Decimal(0)


class PriceLevels(Generic[T]):
    __slots__ = ("before", "is_bid", "levels", "prices", "qty")

    def __init__(self, *, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.prices: list[Decimal] = []  # ascending, whatever the side
        self.levels: dict[Decimal, deque[T]] = {}
        self.qty: dict[Decimal, Decimal] = {}  # visible quantity per level
        self.before: dict[Decimal, Decimal] = {}  # quantity at the start of the call, per touched level

    def best(self) -> Decimal | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def ordered_prices(self) -> Iterator[Decimal]:
        """Best first. The caller must not change the side while iterating."""
        return reversed(self.prices) if self.is_bid else iter(self.prices)

    def queue(self, price: Decimal) -> deque[T]:
        """The orders resting at ``price``, first in time first."""
        return self.levels[price]

    def level_qty(self, price: Decimal) -> Decimal:
        return self.qty.get(price, _ZERO)

    def touch(self, price: Decimal) -> None:
        if price not in self.before:
            self.before[price] = self.qty.get(price, _ZERO)

    def add(self, price: Decimal, item: T, visible: Decimal) -> None:
        self.touch(price)
        level = self.levels.get(price)
        if level is None:
            self.levels[price] = deque((item,))
            insort(self.prices, price)
            self.qty[price] = visible
        else:
            level.append(item)
            self.qty[price] += visible

    def remove(self, price: Decimal, item: T, visible: Decimal) -> None:
        self.touch(price)
        level = self.levels[price]
        level.remove(item)
        if level:
            self.qty[price] -= visible
        else:
            self.drop_level(price)

    def drop_level(self, price: Decimal) -> None:
        """Forgets an empty level (already touched)."""
        del self.levels[price]
        del self.qty[price]
        del self.prices[bisect_left(self.prices, price)]

    def top(self, limit: int) -> list[tuple[Decimal, Decimal]]:
        out: list[tuple[Decimal, Decimal]] = []
        for price in self.ordered_prices():
            if len(out) >= limit:
                break
            out.append((price, self.qty[price]))
        return out

    def flush_changes(self) -> list[tuple[Decimal, Decimal]]:
        """Levels whose visible quantity differs from the start of the call, best first."""
        if not self.before:
            return []
        qty = self.qty
        changed = [
            (price, now) for price, before in self.before.items() if (now := qty.get(price, _ZERO)) != before
        ]
        self.before.clear()
        if len(changed) > 1:
            changed.sort(reverse=self.is_bid)
        return changed
