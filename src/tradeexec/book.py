"""Local order books kept from Binance's diff depth stream and REST snapshots.

Binance's procedure, exactly: diffs are buffered until a snapshot arrives; buffered diffs with
``u <= lastUpdateId`` are stale; the first diff applied must straddle ``lastUpdateId + 1``;
every later diff must start at the previous ``u + 1``. Quantities are absolute, zero removes a
level, and removing a level we never had is normal (it may lie beyond the snapshot's depth).
A gap does not stop the stream: the book drops out of sync, keeps buffering, and asks for a
new snapshot, so the consumer only ever sees a book that is either exact or flagged.

Each side is a dict (price -> quantity) plus a price list kept sorted with ``bisect``: diffs
touch few levels, so sorted insertion beats re-sorting on every query (consumers usually read
the top of the book after every diff, which would make lazy sorting pay a sort per diff), and
the list doubles as the bound on memory (levels past ``max_levels`` are trimmed from the far
end). Prices stay the exact ``Decimal`` the stream decoded; nothing is converted on apply.
"""

from __future__ import annotations

import asyncio
import logging
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from decimal import Decimal
from enum import StrEnum

from tradeexec.binance.models import DepthUpdateEvent, OrderBook, PriceLevel

__all__ = ["BookManager", "BookSide", "FillEstimate", "LocalOrderBook", "SyncState"]

log = logging.getLogger(__name__)

_ZERO = Decimal(0)


class SyncState(StrEnum):
    WAITING_SNAPSHOT = "waiting_snapshot"  # buffering diffs until a snapshot is applied
    IN_SYNC = "in_sync"


class BookSide:
    """One side of a book: a dict (price -> quantity) and its prices in one ascending list.

    The list is ascending on both sides, so the best bid is the *last* key and the best ask
    the first: no negated copy of every price is ever made. ``apply`` takes a whole diff side
    in one call because per-level method calls were the largest cost of a diff (cProfile).
    """

    __slots__ = ("_descending", "_keys", "_levels")

    def __init__(self, *, descending: bool) -> None:
        self._levels: dict[Decimal, Decimal] = {}
        self._keys: list[Decimal] = []
        self._descending = descending

    def __len__(self) -> int:
        return len(self._levels)

    def clear(self) -> None:
        self._levels.clear()
        self._keys.clear()

    def load(self, levels: Iterable[PriceLevel]) -> None:
        """Replace the side with a snapshot's levels (sorted once, not level by level)."""
        self._levels = {price: qty for price, qty in levels if qty}
        self._keys = sorted(self._levels)

    def apply(self, updates: Iterable[PriceLevel]) -> None:
        """Absolute quantities; zero removes the level, known or not."""
        levels = self._levels
        keys = self._keys
        for price, qty in updates:
            if qty:
                if price not in levels:
                    insort(keys, price)
                levels[price] = qty
            elif price in levels:
                del levels[price]
                del keys[bisect_left(keys, price)]

    def set(self, price: Decimal, qty: Decimal) -> None:
        self.apply(((price, qty),))

    def trim(self, max_levels: int) -> None:
        """Drop the levels furthest from the best until ``max_levels`` remain."""
        keys = self._keys
        excess = len(keys) - max_levels
        if excess <= 0:
            return
        if self._descending:
            far, self._keys = keys[:excess], keys[excess:]
        else:
            far, self._keys = keys[max_levels:], keys[:max_levels]
        levels = self._levels
        for price in far:
            del levels[price]

    def best(self) -> PriceLevel | None:
        keys = self._keys
        if not keys:
            return None
        price = keys[-1] if self._descending else keys[0]
        return price, self._levels[price]

    def _best_first(self, n: int | None = None) -> list[Decimal]:
        keys = self._keys
        if not self._descending:
            return keys[:n] if n is not None else keys
        return keys[len(keys) - n if n is not None and n < len(keys) else 0 :][::-1]

    def top(self, n: int) -> list[PriceLevel]:
        levels = self._levels
        return [(k, levels[k]) for k in self._best_first(max(n, 0))]

    def as_dict(self) -> dict[Decimal, Decimal]:
        return dict(self._levels)

    def iter_levels(self) -> Iterator[PriceLevel]:
        levels = self._levels
        for k in self._best_first():
            yield k, levels[k]


class FillEstimate:
    """What taking ``quantity`` from the book would cost: ``filled`` may be less than asked
    when the book is too thin; ``slippage`` is relative to the best price."""

    __slots__ = ("average_price", "filled", "notional", "slippage")

    def __init__(self, filled: Decimal, notional: Decimal, best: Decimal) -> None:
        self.filled = filled
        self.notional = notional
        self.average_price = notional / filled if filled else None
        self.slippage = abs(self.average_price - best) / best if self.average_price is not None else None

    def __repr__(self) -> str:
        return (
            f"FillEstimate(filled={self.filled}, average_price={self.average_price}, "
            f"slippage={self.slippage})"
        )


class LocalOrderBook:
    """One symbol's book. Feed every diff to ``on_diff``; when ``needs_snapshot`` is True,
    fetch ``/api/v3/depth`` and give it to ``apply_snapshot`` (``BookManager`` does both)."""

    def __init__(self, symbol: str, *, max_levels: int = 5000, max_buffer: int = 10_000) -> None:
        self.symbol = symbol
        self.max_levels = max_levels
        self.bids = BookSide(descending=True)
        self.asks = BookSide(descending=False)
        self.last_update_id = -1
        self.state = SyncState.WAITING_SNAPSHOT
        self.resyncs = 0
        self._buffer: deque[DepthUpdateEvent] = deque(maxlen=max_buffer)
        # Right after a snapshot newer than every buffered diff, the next diff may straddle it.
        self._fresh = False

    @property
    def in_sync(self) -> bool:
        return self.state is SyncState.IN_SYNC

    @property
    def needs_snapshot(self) -> bool:
        return self.state is SyncState.WAITING_SNAPSHOT

    def on_diff(self, event: DepthUpdateEvent) -> bool:
        """Apply or buffer one diff; False when it revealed a gap (the book is now out of sync)."""
        if self.state is not SyncState.IN_SYNC:
            self._buffer.append(event)
            return True
        if event.final_update_id <= self.last_update_id:
            return True  # a duplicate, e.g. from two connections overlapping at a handover
        expected = self.last_update_id + 1
        if event.first_update_id != expected and not (self._fresh and event.first_update_id < expected):
            log.warning(
                "depth gap on %s: expected U=%d, got U=%d; resyncing",
                self.symbol,
                self.last_update_id + 1,
                event.first_update_id,
            )
            self._lose_sync(event)
            return False
        self._fresh = False
        self._apply(event)
        return True

    def apply_snapshot(self, snapshot: OrderBook) -> bool:
        """Load a snapshot and replay the buffer; False when the snapshot is older than the
        buffered diffs can bridge (fetch another one)."""
        self.bids.load(snapshot.bids)
        self.asks.load(snapshot.asks)
        self.last_update_id = last = snapshot.last_update_id
        pending = [e for e in self._buffer if e.final_update_id > last]
        self._buffer.clear()
        if pending and pending[0].first_update_id > last + 1:
            # The snapshot predates the oldest diff we hold: the gap cannot be bridged.
            self._buffer.extend(pending)
            return False
        self.state = SyncState.IN_SYNC
        self._fresh = not pending
        if pending:
            self._apply(pending[0])  # straddles lastUpdateId + 1, checked above
        else:
            self._trim()
        return all(self.on_diff(event) for event in pending[1:])

    def _lose_sync(self, event: DepthUpdateEvent) -> None:
        self.state = SyncState.WAITING_SNAPSHOT
        self.resyncs += 1
        self._buffer.clear()
        self._buffer.append(event)

    def _apply(self, event: DepthUpdateEvent) -> None:
        bids, asks = self.bids, self.asks
        bids.apply(event.bids)
        asks.apply(event.asks)
        self.last_update_id = event.final_update_id
        if len(bids) > self.max_levels or len(asks) > self.max_levels:
            self._trim()

    def _trim(self) -> None:
        if len(self.bids) > self.max_levels:
            self.bids.trim(self.max_levels)
        if len(self.asks) > self.max_levels:
            self.asks.trim(self.max_levels)

    # ---- queries ---------------------------------------------------------------------------

    def best_bid(self) -> PriceLevel | None:
        return self.bids.best()

    def best_ask(self) -> PriceLevel | None:
        return self.asks.best()

    def spread(self) -> Decimal | None:
        bid, ask = self.bids.best(), self.asks.best()
        if bid is None or ask is None:
            return None
        return ask[0] - bid[0]

    def top(self, n: int) -> tuple[list[PriceLevel], list[PriceLevel]]:
        """The best ``n`` bids (highest first) and asks (lowest first)."""
        return self.bids.top(n), self.asks.top(n)

    def estimate_fill(self, side: str, quantity: Decimal) -> FillEstimate | None:
        """Walk the opposite side for a taker order: ``side`` is BUY (takes asks) or SELL."""
        book = self.asks if side.upper() == "BUY" else self.bids
        best = book.best()
        if best is None or quantity <= _ZERO:
            return None
        remaining = quantity
        notional = _ZERO
        for price, qty in book.iter_levels():
            take = qty if qty < remaining else remaining
            notional += take * price
            remaining -= take
            if remaining == _ZERO:
                break
        return FillEstimate(quantity - remaining, notional, best[0])


SnapshotFetcher = Callable[[str], Awaitable[OrderBook]]


class BookManager:
    """Books for many symbols fed from one diff stream; snapshots are fetched (one task per
    symbol at a time) whenever a book is waiting for one."""

    def __init__(
        self,
        fetch_snapshot: SnapshotFetcher,
        *,
        max_levels: int = 5000,
        retry_delay_s: float = 0.2,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self._fetch = fetch_snapshot
        self._max_levels = max_levels
        self._retry_delay_s = retry_delay_s
        self._on_error = on_error
        self.books: dict[str, LocalOrderBook] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._synced: dict[str, asyncio.Event] = {}

    def book(self, symbol: str) -> LocalOrderBook:
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = LocalOrderBook(symbol, max_levels=self._max_levels)
            self._synced[symbol] = asyncio.Event()
        return book

    def on_diff(self, event: DepthUpdateEvent) -> None:
        book = self.book(event.symbol)
        book.on_diff(event)
        if book.needs_snapshot:
            self._synced[event.symbol].clear()
            if event.symbol not in self._tasks:
                self._tasks[event.symbol] = asyncio.get_running_loop().create_task(self._resync(book))

    async def wait_in_sync(self, symbol: str) -> LocalOrderBook:
        """Wait until ``symbol``'s book is in sync (bound it with ``asyncio.timeout``)."""
        book = self.book(symbol)
        await self._synced[symbol].wait()
        return book

    async def _resync(self, book: LocalOrderBook) -> None:
        try:
            while book.needs_snapshot:
                try:
                    snapshot = await self._fetch(book.symbol)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # reported, then retried: the stream keeps buffering
                    log.warning("snapshot for %s failed: %s", book.symbol, exc)
                    if self._on_error is not None:
                        self._on_error(book.symbol, exc)
                    await asyncio.sleep(self._retry_delay_s)
                    continue
                if not book.apply_snapshot(snapshot) and book.needs_snapshot:
                    await asyncio.sleep(self._retry_delay_s)
            self._synced[book.symbol].set()
        finally:
            self._tasks.pop(book.symbol, None)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
