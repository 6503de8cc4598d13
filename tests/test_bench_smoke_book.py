"""Case 4 (local order book) with a tiny N, so it cannot rot; ccxt.pro runs when importable."""

from __future__ import annotations

import json

import pytest
from bench import case_book
from bench.clients import installed

from tradeexec.book import LocalOrderBook

pytestmark = pytest.mark.timeout(60)


def test_book_case_rows() -> None:
    results = case_book.run(200, rounds=1)
    impls = {"tradeexec", "ccxt.pro"} if installed("ccxt.pro") else {"tradeexec"}
    assert {(r.impl, r.metric) for r in results} == {
        (impl, metric) for impl in impls for metric in (case_book.METRIC_APPLY, case_book.METRIC_RAW)
    }
    assert all(r.case == case_book.CASE and r.values and min(r.values) > 0 for r in results)


def test_generated_stream_is_gapless_and_both_books_agree() -> None:
    """The generated diffs chain U = previous u + 1 from the snapshot, and applying them leaves
    tradeexec's book equal to ccxt's (when ccxt is there), so both did the same work."""
    stream = case_book.generate(300)
    events = [case_book.DIFF.decode(f) for f in stream.frames]
    prev = stream.snapshot.last_update_id
    for event in events:
        assert event.first_update_id == prev + 1
        prev = event.final_update_id
    if not installed("ccxt.pro"):
        return
    book = LocalOrderBook("BTCUSDT")
    book.apply_snapshot(stream.snapshot)
    for event in events:
        assert book.on_diff(event)
    ex, ccxt_book = case_book.ccxt_book(stream)
    client = case_book.SocketStandIn()
    for frame in stream.frames:
        ex.handle_order_book(client, json.loads(frame))
    assert [(float(p), float(q)) for p, q in book.top(50)[0]] == [tuple(x) for x in ccxt_book["bids"][:50]]
    assert [(float(p), float(q)) for p, q in book.top(50)[1]] == [tuple(x) for x in ccxt_book["asks"][:50]]
