"""BalanceBook: the exchange's time orders the figures, whatever order they arrive in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeexec.execution.balances import MAX_PENDING, BalanceBook
from tradeexec.execution.positions import PositionTracker

D = Decimal


@dataclass
class Bal:
    asset: str
    free: Decimal
    locked: Decimal


@dataclass
class Snapshot:
    balances: list[Bal]
    update_time: int


def test_an_older_statement_arriving_last_is_ignored() -> None:
    book = BalanceBook()
    assert book.state("BTC", D(2), D(0), 200)
    assert not book.state("BTC", D(1), D(0), 100)
    assert book.view["BTC"].total == 2 and book.stale == 1


def test_a_fill_already_inside_a_statement_is_not_added_again() -> None:
    book = BalanceBook()
    book.state("BTC", D("1.5"), D(0), 100)  # includes the trade at 100 ...
    book.move("BTC", D("0.5"), 100, ("trade", 7))  # ... whose report comes after it
    assert book.view["BTC"].total == D("1.5")


def test_a_fill_before_its_statement_counts_once_and_the_statement_replaces_it() -> None:
    book = BalanceBook()
    book.state("BTC", D(1), D(0), 50)
    book.move("BTC", D("0.5"), 100, ("trade", 7))
    book.move("BTC", D("0.5"), 100, ("trade", 7))  # the same trade again
    assert book.view["BTC"].total == D("1.5")
    assert book.total_as_of("BTC", 99) == 1 and book.total_as_of("BTC", 100) == D("1.5")
    book.state("BTC", D("1.5"), D(0), 100)
    assert book.view["BTC"].total == D("1.5")


def test_a_tie_between_different_stream_figures_raises_a_doubt_a_snapshot_settles() -> None:
    doubts: list[str] = []
    book = BalanceBook(on_doubt=doubts.append)
    book.state("USDT", D(10), D(0), 100)
    book.state("USDT", D(10), D(0), 100)  # a repeat: no doubt
    assert doubts == []
    book.state("USDT", D(9), D(1), 100)  # another figure in the same millisecond
    assert doubts == ["USDT"] and book.view["USDT"].free == 9
    book.state("USDT", D(8), D(0), 100, snapshot=True)  # fetched later: wins the tie quietly
    assert doubts == ["USDT"] and book.view["USDT"].total == 8


def test_moves_no_statement_covers_are_bounded() -> None:
    book = BalanceBook()
    for i in range(MAX_PENDING + 5):
        book.move("ETH", D(1), 1000 + i, ("trade", i))
    assert book.view["ETH"].total == MAX_PENDING + 5
    assert book.total_as_of("ETH", None) == MAX_PENDING + 5
    book.state("ETH", D(3), D(0), 10**9)
    assert book.view["ETH"].total == 3


def test_a_snapshot_read_after_a_figure_is_as_new_as_it_whatever_its_update_time() -> None:
    """An exchange whose account ``updateTime`` lags its balance events must not make the
    tracker keep an event's figure over a later read: ``seen`` dates the read."""
    tracker = PositionTracker()
    tracker.apply_balances([Bal("BTC", D(2), D(0))], at=500)
    lagging = Snapshot([Bal("BTC", D(3), D(0))], update_time=100)
    tracker.adopt_balances(lagging)  # dated 100 only: older than the event, ignored
    assert tracker.balance("BTC").total == 2
    tracker.adopt_balances(lagging, seen=tracker.book.newest)
    assert tracker.balance("BTC").total == 3
    assert tracker.reconcile(lagging, seen=tracker.book.newest) == []
