"""Local order book: Binance's sync procedure, properties against a reference dict model, and
the book kept from the local exchange's diff stream through injected gaps."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from decimal import Decimal

import aiohttp
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.streams import keep_trading, local_exchange, random_orders
from tradeexec.binance.models import DepthUpdateEvent, OrderBook, decode_depth_update
from tradeexec.binance.ws.streams import MarketStream
from tradeexec.book import BookManager, LocalOrderBook

D = Decimal


def diff(
    first: int, last: int, bids: Sequence[tuple[int, int]] = (), asks: Sequence[tuple[int, int]] = ()
) -> DepthUpdateEvent:
    return DepthUpdateEvent(
        event_time=0, symbol="BTCUSDT", first_update_id=first, final_update_id=last,
        bids=[(D(p), D(q)) for p, q in bids], asks=[(D(p), D(q)) for p, q in asks],
    )


def snapshot(last: int, bids: dict[int, int], asks: dict[int, int]) -> OrderBook:
    return OrderBook(
        last_update_id=last,
        bids=[(D(p), D(q)) for p, q in bids.items()],
        asks=[(D(p), D(q)) for p, q in asks.items()],
    )


def test_procedure_buffer_snapshot_straddle_and_gap() -> None:
    book = LocalOrderBook("BTCUSDT")
    book.on_diff(diff(1, 3, bids=[(99, 1)]))
    book.on_diff(diff(4, 6, bids=[(98, 2)], asks=[(101, 5)]))
    book.on_diff(diff(7, 7, asks=[(101, 0), (102, 1)]))
    assert not book.in_sync
    assert book.apply_snapshot(snapshot(5, {99: 1, 97: 4}, {101: 3}))
    assert book.in_sync and book.last_update_id == 7
    assert book.top(5) == ([(D(99), D(1)), (D(98), D(2)), (D(97), D(4))], [(D(102), D(1))])
    assert book.on_diff(diff(8, 8, bids=[(50, 0)]))  # removing an unknown level is normal
    assert not book.on_diff(diff(10, 11, bids=[(99, 0)]))  # gap: 9 is missing
    assert not book.in_sync and book.resyncs == 1
    # a snapshot older than the buffered diffs cannot bridge the gap
    assert not book.apply_snapshot(snapshot(8, {99: 1}, {102: 1}))
    assert book.apply_snapshot(snapshot(10, {99: 1}, {102: 1}))
    assert book.best_bid() is None and book.last_update_id == 11


def test_queries_fill_price_and_slippage() -> None:
    book = LocalOrderBook("BTCUSDT")
    book.apply_snapshot(snapshot(1, {100: 1, 99: 2}, {101: 1, 103: 3}))
    assert book.spread() == D(1)
    buy = book.estimate_fill("BUY", D(2))
    assert buy is not None and buy.average_price == D(102) and buy.filled == D(2)
    assert buy.slippage == D(1) / D(101)
    sell = book.estimate_fill("SELL", D(10))
    assert sell is not None and sell.filled == D(3) and sell.average_price == D(298) / D(3)


def test_memory_is_bounded_by_levels_kept() -> None:
    book = LocalOrderBook("BTCUSDT", max_levels=3)
    book.apply_snapshot(snapshot(1, {p: 1 for p in range(90, 100)}, {p: 1 for p in range(101, 111)}))
    assert [p for p, _ in book.top(10)[0]] == [D(99), D(98), D(97)]
    assert [p for p, _ in book.top(10)[1]] == [D(101), D(102), D(103)]
    assert len(book.bids) == len(book.asks) == 3


levels = st.lists(st.tuples(st.integers(90, 110), st.integers(0, 3)), max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    start=st.dictionaries(st.integers(90, 110), st.integers(1, 3), max_size=8),
    diffs=st.lists(st.tuples(levels, levels, st.integers(1, 3)), min_size=1, max_size=30),
    gap_at=st.integers(0, 40),
)
def test_apply_and_resync_equal_reference_model(
    start: dict[int, int], diffs: list[tuple[list[tuple[int, int]], list[tuple[int, int]], int]], gap_at: int
) -> None:
    """Applying diffs equals a plain dict model; a dropped diff is detected, and a snapshot of
    the model afterwards brings the book back to equality."""
    ref_bids = {D(p): D(q) for p, q in start.items()}
    ref_asks: dict[Decimal, Decimal] = {}
    book = LocalOrderBook("BTCUSDT")
    book.apply_snapshot(snapshot(10, start, {}))
    uid = 10
    lost = False
    for i, (bids, asks, span) in enumerate(diffs):
        ev = diff(uid + 1, uid + span, bids, asks)
        uid += span
        for side, upd in ((ref_bids, bids), (ref_asks, asks)):
            for p, q in upd:
                if q:
                    side[D(p)] = D(q)
                else:
                    side.pop(D(p), None)
        if i == gap_at:
            lost = True
            continue
        book.on_diff(ev)
    if lost and gap_at < len(diffs) - 1:
        assert not book.in_sync
        book.apply_snapshot(
            OrderBook(last_update_id=uid, bids=sorted(ref_bids.items()), asks=sorted(ref_asks.items()))
        )
    assert (book.in_sync and book.last_update_id == uid) or (lost and gap_at == len(diffs) - 1)
    if book.last_update_id == uid:
        assert book.bids.as_dict() == ref_bids and book.asks.as_dict() == ref_asks
        assert [p for p, _ in book.top(100)[0]] == sorted(ref_bids, reverse=True)
        assert [p for p, _ in book.top(100)[1]] == sorted(ref_asks)


_BOOK = msgspec.json.Decoder(OrderBook)


def test_books_fed_memoised_decimals_equal_books_fed_fresh_ones() -> None:
    """The fast decoder hands the same Decimal objects to every diff and every book; two books
    fed through it still equal one fed by the typed decoder, to the wire exponent."""
    rng = random.Random(7)
    typed = msgspec.json.Decoder(DepthUpdateEvent)
    texts = ["100", "100.0", "100.00000000", "99.5", "101.25", "0", "0.00000000", "2.50", "3"]
    frames = [
        msgspec.json.encode({
            "e": "depthUpdate", "E": i, "s": "BTCUSDT", "U": i + 1, "u": i + 1,
            "b": [[rng.choice(texts[:4]), rng.choice(texts[5:])] for _ in range(3)],
            "a": [[rng.choice(texts[3:5]), rng.choice(texts[5:])] for _ in range(3)],
        })
        for i in range(200)
    ]
    books = [LocalOrderBook("BTCUSDT") for _ in range(3)]
    for book, decode in zip(books, (decode_depth_update, decode_depth_update, typed.decode), strict=True):
        book.apply_snapshot(snapshot(0, {}, {}))
        assert all(book.on_diff(decode(frame)) for frame in frames)
    views = [[(str(p), str(q)) for side in book.top(10) for p, q in side] for book in books]
    assert views[0] == views[1] == views[2] and views[0]


@pytest.mark.timeout(30)
async def test_book_matches_exchange_snapshot_through_gaps() -> None:
    async with local_exchange() as ex, aiohttp.ClientSession() as http:

        async def fetch(symbol: str) -> OrderBook:
            query = {"symbol": symbol, "limit": "5000"}
            async with http.get(f"{ex.rest_url}/api/v3/depth", params=query) as r:
                return _BOOK.decode(await r.read())

        random_orders(ex, random.Random(11), 100)  # a book exists before we connect
        books = BookManager(fetch)
        async with MarketStream(ex.ws_url, ["btcusdt@depth@100ms"], on_event=books.on_diff):
            stop = asyncio.Event()
            trader = asyncio.create_task(keep_trading(ex, stop, seed=12, per_tick=10))
            async with asyncio.timeout(5):
                await books.wait_in_sync("BTCUSDT")
            book = books.book("BTCUSDT")
            for gaps in range(1, 4):
                ex.inject("depth_gap", "btcusdt@depth@100ms", count=1)
                async with asyncio.timeout(5):
                    while book.resyncs < gaps or not book.in_sync:
                        await asyncio.sleep(0.02)
            stop.set()
            await trader
            expected = await fetch("BTCUSDT")
            async with asyncio.timeout(5):
                while book.last_update_id < expected.last_update_id:
                    await asyncio.sleep(0.02)
        await books.close()
    assert book.in_sync and book.last_update_id == expected.last_update_id
    assert book.bids.as_dict() == dict(expected.bids)
    assert book.asks.as_dict() == dict(expected.asks)
    assert len(book.bids) >= 5 and len(book.asks) >= 5 and book.last_update_id > 500


@settings(max_examples=60, deadline=None)
@given(
    updates=st.lists(st.tuples(st.booleans(), st.integers(1, 40), st.integers(0, 3)), max_size=80),
    max_levels=st.integers(1, 12),
    n=st.integers(0, 15),
)
def test_queries_and_trim_equal_reference_model(
    updates: list[tuple[bool, int, int]], max_levels: int, n: int
) -> None:
    """Best, top N, the fill walk and trimming (which keeps the levels nearest the best) read
    the same as a sorted dict model, whatever order levels arrived and left in."""
    book = LocalOrderBook("BTCUSDT", max_levels=max_levels)
    book.apply_snapshot(snapshot(1, {}, {}))
    ref: dict[bool, dict[Decimal, Decimal]] = {True: {}, False: {}}
    for uid, (is_bid, price, qty) in enumerate(updates, start=2):
        level = [(price, qty)]
        assert book.on_diff(diff(uid, uid, bids=level if is_bid else (), asks=() if is_bid else level))
        side = ref[is_bid]
        if qty:
            side[D(price)] = D(qty)
        else:
            side.pop(D(price), None)
        # The model trims the same way: the levels furthest from the best go first.
        for price_ in sorted(side, reverse=not is_bid)[: max(0, len(side) - max_levels)]:
            del side[price_]
    want_bids = sorted(ref[True].items(), reverse=True)
    want_asks = sorted(ref[False].items())
    assert book.top(n) == (want_bids[:n], want_asks[:n])
    assert book.best_bid() == (want_bids[0] if want_bids else None)
    assert book.best_ask() == (want_asks[0] if want_asks else None)
    assert list(book.bids.iter_levels()) == want_bids and list(book.asks.iter_levels()) == want_asks
    estimate = book.estimate_fill("SELL", D(5))
    if want_bids:
        assert estimate is not None
        assert estimate.filled == min(D(5), sum((q for _, q in want_bids), D(0)))
    else:
        assert estimate is None
