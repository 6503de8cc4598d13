"""The futures book's continuity rule, on events shaped as Binance's USDⓈ-M stream sends them:
update ids jump between events (they are not contiguous per symbol), so only ``pu`` says
whether an event follows the last one applied. A spot book (``U == last u + 1``) would take
every such jump for a gap; a futures book must not, and must resync on a real gap."""

from __future__ import annotations

from decimal import Decimal as D

from tradeexec.binance.models import DepthUpdateEvent, OrderBook
from tradeexec.book import FuturesOrderBook


def diff(first: int, last: int, prev: int, bids: tuple[tuple[str, str], ...] = ()) -> DepthUpdateEvent:
    return DepthUpdateEvent(
        event_time=0,
        symbol="BTCUSDT",
        first_update_id=first,
        final_update_id=last,
        prev_final_update_id=prev,
        bids=[(D(p), D(q)) for p, q in bids],
        asks=[],
    )


SNAPSHOT = OrderBook(last_update_id=1027, bids=[(D("100"), D("1"))], asks=[(D("101"), D("1"))])


def synced() -> FuturesOrderBook:
    book = FuturesOrderBook("BTCUSDT")
    book.on_diff(diff(1000, 1010, 990))  # stale: u < lastUpdateId
    book.on_diff(diff(1020, 1030, 1010, (("99", "2"),)))  # straddles 1027
    assert book.apply_snapshot(SNAPSHOT)
    assert book.in_sync and book.last_update_id == 1030
    return book


def test_events_that_jump_ids_but_chain_by_pu_are_applied() -> None:
    book = synced()
    assert book.on_diff(diff(1045, 1052, 1030, (("98", "3"),)))  # U jumps from 1031 to 1045
    assert book.on_diff(diff(1060, 1061, 1052, (("100", "0"),)))
    assert book.in_sync and book.resyncs == 0
    assert book.bids.as_dict() == {D("99"): D("2"), D("98"): D("3")}


def test_a_missing_event_is_caught_by_pu_and_resyncs() -> None:
    book = synced()
    assert not book.on_diff(diff(1060, 1061, 1052))  # the event ending at 1052 never came
    assert book.needs_snapshot and book.resyncs == 1
    later = OrderBook(last_update_id=1061, bids=[(D("97"), D("1"))], asks=[])
    assert book.apply_snapshot(later)
    assert book.on_diff(diff(1070, 1071, 1061, (("96", "1"),)))
    assert book.bids.as_dict() == {D("97"): D("1"), D("96"): D("1")}


def test_a_snapshot_the_buffer_cannot_reach_is_refused() -> None:
    book = FuturesOrderBook("BTCUSDT")
    book.on_diff(diff(1040, 1050, 1035))
    assert not book.apply_snapshot(SNAPSHOT)  # 1027 < U and pu != 1027: events 1028..1039 lost
    assert book.needs_snapshot


def test_a_snapshot_between_two_events_is_bridged_by_pu() -> None:
    book = FuturesOrderBook("BTCUSDT")
    book.on_diff(diff(1028, 1033, 1027, (("95", "1"),)))
    assert book.apply_snapshot(SNAPSHOT)
    assert book.in_sync and book.last_update_id == 1033
