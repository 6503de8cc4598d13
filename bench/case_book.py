"""Case 4: the local order book. A seeded stream of Binance ``depthUpdate`` diffs is applied,
each one sequence-checked, to a book loaded from a 1000-level snapshot.

Both libraries get the same messages in the form their own stream client hands over:
tradeexec a ``DepthUpdateEvent`` as ``MarketStream`` decodes it (``decode_depth_update``:
msgspec, Decimal prices built through the shared memo of wire text),
ccxt the dict ``json.loads`` makes (price strings, parsed to float by ccxt on apply). ccxt
runs ccxt.pro's own ``binance.handle_order_book`` -- its sequence check (straddle, then
``U == nonce + 1``) and its ``OrderBookSide`` -- behind a stand-in for its socket client.
Two metrics: the apply alone (messages already decoded, as above), and decode + apply from
the raw frame bytes, which charges each library its own JSON parsing too.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

import msgspec

from bench.clients import installed
from bench.common import CCXT_SYMBOL, SYMBOL, Result, Sample, Stopwatch
from tradeexec.binance.models import DEPTH_UPDATE_DECODER, DepthUpdateEvent, OrderBook
from tradeexec.book import LocalOrderBook

CASE = "4 local order book"
METRIC_APPLY = "updates/s, pre-decoded"
METRIC_RAW = "updates/s, from JSON bytes"
SNAPSHOT_LEVELS = 1000
TICK = Decimal("0.01")

DIFF = DEPTH_UPDATE_DECODER


class Stream(msgspec.Struct, frozen=True):
    """One generated session: the REST snapshot and the diff frames that follow it."""

    snapshot: OrderBook
    frames: list[bytes]


def _level(price: Decimal, qty: Decimal) -> list[str]:
    return [f"{price:.8f}", f"{qty:.8f}"]


def generate(n: int, seed: int = 4) -> Stream:
    """A 1000-level book around 60000 and ``n`` diffs of 1-20 levels a side near a drifting
    mid; a quarter of the levels are removals (some of levels the book never had)."""
    rng = random.Random(seed)
    mid = 6_000_000  # in ticks
    bids = [
        (Decimal(mid - i) * TICK, Decimal(rng.randint(1, 5000)) / 1000) for i in range(1, SNAPSHOT_LEVELS + 1)
    ]
    asks = [
        (Decimal(mid + i) * TICK, Decimal(rng.randint(1, 5000)) / 1000) for i in range(1, SNAPSHOT_LEVELS + 1)
    ]
    last = 1_000_000
    frames = []
    for i in range(n):
        mid += rng.randint(-3, 3)
        sides: list[list[list[str]]] = []
        for sign in (-1, 1):
            levels = []
            for _ in range(rng.randint(1, 20)):
                price = Decimal(mid + sign * rng.randint(1, 300)) * TICK
                qty = Decimal(0) if rng.random() < 0.25 else Decimal(rng.randint(1, 5000)) / 1000
                levels.append(_level(price, qty))
            sides.append(levels)
        first, last = last + 1, last + rng.randint(1, 20)
        frame = {
            "e": "depthUpdate",
            "E": 1_700_000_000_000 + i * 100,
            "s": SYMBOL,
            "U": first,
            "u": last,
            "b": sides[0],
            "a": sides[1],
        }
        frames.append(json.dumps(frame, separators=(",", ":")).encode())
    return Stream(OrderBook(last_update_id=1_000_000, bids=bids, asks=asks), frames)


# ---- tradeexec -----------------------------------------------------------------------------


def tradeexec_apply(stream: Stream, events: list[DepthUpdateEvent]) -> Sample:
    book = LocalOrderBook(SYMBOL)
    book.apply_snapshot(stream.snapshot)
    on_diff = book.on_diff
    with Stopwatch() as sw:
        for event in events:
            on_diff(event)
    _check(book.in_sync and book.last_update_id == events[-1].final_update_id)
    return sw.sample


def tradeexec_raw(stream: Stream) -> Sample:
    book = LocalOrderBook(SYMBOL)
    book.apply_snapshot(stream.snapshot)
    on_diff = book.on_diff
    decode = DIFF.decode
    with Stopwatch() as sw:
        for frame in stream.frames:
            on_diff(decode(frame))
    _check(book.in_sync)
    return sw.sample


# ---- ccxt ----------------------------------------------------------------------------------


class SocketStandIn:
    """What ``handle_order_book`` asks of ccxt's socket client: its URL (spot or futures)
    and somewhere to resolve the watchers' futures."""

    url = "wss://stream.binance.com:9443/stream?streams=btcusdt@depth@100ms"
    futures: ClassVar[dict[str, Any]] = {}
    subscriptions: ClassVar[dict[str, Any]] = {}

    def resolve(self, result: Any, message_hash: str) -> Any:
        return result

    def reject(self, error: BaseException, message_hash: str | None = None) -> None:
        raise error


def ccxt_book(stream: Stream) -> tuple[Any, Any]:
    """ccxt.pro's binance exchange holding the snapshot as its ``fetch_order_book_snapshot``
    leaves it (float levels, ``nonce`` = lastUpdateId)."""
    import ccxt.pro as ccxtpro

    ex = ccxtpro.binance({"enableRateLimit": False})
    ex.set_markets(
        [
            {
                "id": SYMBOL,
                "symbol": CCXT_SYMBOL,
                "base": "BTC",
                "quote": "USDT",
                "baseId": "BTC",
                "quoteId": "USDT",
                "type": "spot",
                "spot": True,
                "active": True,
                "precision": {},
                "limits": {},
            }
        ]
    )
    book = ex.order_book({}, SNAPSHOT_LEVELS)
    book.reset(
        {
            "symbol": CCXT_SYMBOL,
            "nonce": stream.snapshot.last_update_id,
            "bids": [[float(p), float(q)] for p, q in stream.snapshot.bids],
            "asks": [[float(p), float(q)] for p, q in stream.snapshot.asks],
        }
    )
    ex.orderbooks[CCXT_SYMBOL] = book
    return ex, book


def ccxt_apply(stream: Stream, messages: list[dict[str, Any]]) -> Sample:
    ex, book = ccxt_book(stream)
    handle = ex.handle_order_book
    client = SocketStandIn()
    with Stopwatch() as sw:
        for message in messages:
            handle(client, message)
    _check(book["nonce"] == messages[-1]["u"])
    return sw.sample


def ccxt_raw(stream: Stream) -> Sample:
    ex, book = ccxt_book(stream)
    handle = ex.handle_order_book
    client = SocketStandIn()
    loads = json.loads
    with Stopwatch() as sw:
        for frame in stream.frames:
            handle(client, loads(frame))
    _check(book["nonce"] > stream.snapshot.last_update_id)
    return sw.sample


def _check(ok: bool) -> None:
    if not ok:
        raise RuntimeError("the book did not end in sync with the generated stream")


# ---- the case ------------------------------------------------------------------------------


def _rate(impl: str, kind: Any, metric: str, samples: list[Sample], n: int, note: str) -> Result:
    # Wall time: a single thread with no I/O, so CPU and wall agree; wall is what a trader waits.
    return Result(CASE, impl, kind, metric, "1/s", True, [n / s.wall_s for s in samples], note)


def run(n: int, rounds: int, *, with_peers: bool = True) -> list[Result]:
    stream = generate(n)
    events = [DIFF.decode(f) for f in stream.frames]
    note = f"{n} diffs, {SNAPSHOT_LEVELS}-level snapshot"
    runs: list[tuple[str, Any, Callable[[], Sample], Callable[[], Sample]]] = [
        ("tradeexec", "tradeexec", lambda: tradeexec_apply(stream, events), lambda: tradeexec_raw(stream)),
    ]
    if with_peers and installed("ccxt.pro"):
        messages = [json.loads(f) for f in stream.frames]
        runs.append(("ccxt.pro", "peer", lambda: ccxt_apply(stream, messages), lambda: ccxt_raw(stream)))
    results = []
    for impl, kind, apply, raw in runs:
        apply()  # warm-up
        results.append(_rate(impl, kind, METRIC_APPLY, [apply() for _ in range(rounds)], n, note))
        results.append(_rate(impl, kind, METRIC_RAW, [raw() for _ in range(rounds)], n, note))
    return results
