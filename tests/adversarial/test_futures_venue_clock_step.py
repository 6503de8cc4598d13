"""Found by the futures chaos soak (issue 16, its "exchange_clock_step" outside attack and the
chaos monkey's clock skew): the legs ordered the venue's word by the venue's clock, so when
that clock stepped forward and back (an NTP step on the server), a statement stamped during
the step outdated every fill, statement and position read that followed until the clock
caught up, and a leg stayed a fill short, to the last unit.

The legs now order by what happened here (``legs.py``): an order sent after a statement
cannot be inside it, a read is the venue's word as of its request, and a statement the leg
cannot place is settled by a read instead of being dropped or believed. Each case below is
one an outsider tries next: the step both ways, forward only, a read during the step, the
stream proxy repeating and reordering statements, a fill whose statement is lost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradeexec.binance.enums import Side
from tradeexec.execution.legs import LegBook
from tradeexec.execution.positions import PositionTracker
from tradeexec.venue.positions import MarginMode, PositionLeg, PositionsChanged, PositionSnapshot

pytestmark = pytest.mark.adversarial

D = Decimal
BOTH = PositionLeg.BOTH
ETH = "ETHUSDT"


def _book() -> tuple[PositionTracker, LegBook, list[str]]:
    """The legs as the manager holds them (sync numbers shared with ``PositionTracker.syncs``,
    which an order's ``sent_sync`` is taken from), recording every doubt they raise."""
    tracker = PositionTracker()
    doubts: list[str] = []
    tracker.legs.on_doubt = doubts.append
    return tracker, tracker.legs, doubts


def _fill(legs: LegBook, trade: int, qty: str, at: int, sent: int, side: Side = Side.BUY) -> None:
    legs.apply_fill(ETH, BOTH, side, D(qty), D(3000), trade_id=trade, time_ms=at, sent_sync=sent)


def _stated(qty: str, at: int) -> PositionsChanged:
    return PositionsChanged([(ETH, BOTH, D(qty), D(3000) if D(qty) else D(0))], "ORDER", at)


def _read(qty: str, at: int) -> PositionSnapshot:
    return PositionSnapshot(ETH, BOTH, D(qty), D(3000) if D(qty) else D(0), D(3000), D(0), D(0),
                            MarginMode.CROSSED, D(0), None, "USDT", update_time=at)  # fmt: skip


def _qty(legs: LegBook) -> Decimal:
    return legs.leg(ETH, BOTH).quantity


def test_a_venue_clock_stepped_back_does_not_freeze_a_leg() -> None:
    tracker, legs, doubts = _book()
    # During the step (+8 s): a fill, and the venue's statement of it.
    _fill(legs, 1, "0.1", 108_000, sent=tracker.syncs)
    legs.apply_statement(_stated("0.1", 108_000))
    # The clock back: the next order (sent after that statement), its fill, its statement and
    # a position read all carry earlier times.
    _fill(legs, 2, "0.1", 101_000, sent=tracker.syncs)
    assert _qty(legs) == D("0.2")  # at once: risk sees it before the next order
    legs.apply_statement(_stated("0.2", 101_000))
    mark = legs.mark()
    assert legs.reconcile([_read("0.2", 102_000)], mark=mark) == []  # no alarm: nothing was off
    _fill(legs, 3, "0.1", 103_000, sent=tracker.syncs)
    legs.apply_statement(_stated("0.3", 103_000))
    assert _qty(legs) == D("0.3") and doubts == []


def test_an_order_sent_before_the_step_filled_after_it_is_settled_by_a_read() -> None:
    """A resting order sent before the stepped statement, filled after the clock went back:
    its time puts it inside that statement, so only its own statement tells otherwise -- and
    that statement, timed before the leg's last figure, could as well be old news. The book
    keeps the leg, says so, and the read the feed then makes settles it."""
    tracker, legs, doubts = _book()
    resting = tracker.syncs
    _fill(legs, 1, "0.1", 108_000, sent=resting)
    legs.apply_statement(_stated("0.1", 108_000))
    _fill(legs, 2, "0.1", 101_000, sent=resting)
    assert not legs.apply_statement(_stated("0.2", 101_000))
    assert doubts == [ETH]
    mark = legs.mark()
    legs.reconcile([_read("0.2", 101_000)], mark=mark, alarm=False)
    assert _qty(legs) == D("0.2")
    # The read re-based the leg's clock: what follows, timed after it, is taken as usual.
    _fill(legs, 3, "0.1", 101_500, sent=resting)
    legs.apply_statement(_stated("0.3", 101_500))
    assert _qty(legs) == D("0.3") and doubts == [ETH]


def test_a_clock_stepped_forward_only_keeps_every_fill() -> None:
    tracker, legs, doubts = _book()
    _fill(legs, 1, "0.1", 100_000, sent=tracker.syncs)
    legs.apply_statement(_stated("0.1", 100_000))
    for n, at in enumerate((108_000, 108_001, 108_500), start=2):  # the clock 8 s ahead, and on
        _fill(legs, n, "0.1", at, sent=tracker.syncs)
        legs.apply_statement(_stated(str(D("0.1") * n), at))
    assert _qty(legs) == D("0.4") and doubts == []
    assert legs.reconcile([_read("0.4", 108_500)], mark=legs.mark()) == []


def test_a_read_during_the_step_outdates_no_fill_after_it() -> None:
    tracker, legs, doubts = _book()
    _fill(legs, 1, "0.1", 108_000, sent=tracker.syncs)
    mark = legs.mark()
    assert legs.reconcile([_read("0.1", 108_000)], mark=mark) == []  # read during the step
    for n, at in enumerate((101_000, 101_200), start=2):  # fills after it, the clock back
        _fill(legs, n, "0.1", at, sent=tracker.syncs)
    assert _qty(legs) == D("0.3")
    legs.apply_statement(_stated("0.3", 101_200))
    assert _qty(legs) == D("0.3") and doubts == []


def test_a_read_requested_before_a_fill_arrived_does_not_undo_it() -> None:
    """The other side of trusting a read as of its request: a fill that reached the book
    while the read was on its way, timed after the read's figure, stays."""
    tracker, legs, _ = _book()
    mark = legs.mark()
    _fill(legs, 1, "0.1", 100_000, sent=tracker.syncs)
    assert legs.reconcile([_read("0", 99_000)], mark=mark) == []
    assert _qty(legs) == D("0.1")


@pytest.mark.parametrize("step", [0, 7_000], ids=["steady clock", "clock stepped back"])
def test_statements_repeated_and_reordered_by_the_proxy_leave_the_leg_right(step: int) -> None:
    """Three trades, their statements held back and repeated (F1 F2 S2 S1 F3 S1 S3 S2 S3):
    the leg ends at the last one's figure, and no position read is needed for old news."""
    tracker, legs, doubts = _book()
    t1, t2, t3 = 100_000 + step, 100_010, 100_020
    _fill(legs, 1, "0.1", t1, sent=tracker.syncs)
    _fill(legs, 2, "0.1", t2, sent=tracker.syncs)
    legs.apply_statement(_stated("0.2", t2))
    legs.apply_statement(_stated("0.1", t1))
    _fill(legs, 3, "0.1", t3, sent=tracker.syncs)
    for item in (_stated("0.1", t1), _stated("0.3", t3), _stated("0.2", t2), _stated("0.3", t3)):
        legs.apply_statement(item)
    assert _qty(legs) == D("0.3")
    assert legs.reconcile([_read("0.3", t3)], mark=legs.mark()) == []
    assert doubts == []


def test_a_repeated_statement_from_the_step_does_not_undo_a_later_fill() -> None:
    tracker, legs, _ = _book()
    _fill(legs, 1, "0.1", 108_000, sent=tracker.syncs)
    legs.apply_statement(_stated("0.1", 108_000))
    _fill(legs, 2, "0.1", 101_000, sent=tracker.syncs)
    legs.apply_statement(_stated("0.1", 108_000))  # the proxy repeats the stepped statement
    assert _qty(legs) == D("0.2")


def test_a_fill_whose_statement_is_lost_still_moves_the_leg() -> None:
    tracker, legs, doubts = _book()
    _fill(legs, 1, "0.1", 108_000, sent=tracker.syncs)
    legs.apply_statement(_stated("0.1", 108_000))
    _fill(legs, 2, "0.2", 101_000, sent=tracker.syncs, side=Side.SELL)  # its statement lost
    _fill(legs, 3, "0.05", 101_300, sent=tracker.syncs)  # and this one's too
    assert _qty(legs) == D("-0.05") and doubts == []
    assert legs.reconcile([_read("-0.05", 101_300)], mark=legs.mark()) == []


def test_a_statement_before_its_own_fill_under_a_clock_stepped_back() -> None:
    """The proxy hands the statement of a trade over before the trade's report, and the clock
    went back in between: the statement cannot be placed (a read is asked for), the report
    then moves the leg (its order was sent after the last statement adopted), the read agrees."""
    tracker, legs, doubts = _book()
    _fill(legs, 1, "0.1", 108_000, sent=tracker.syncs)
    legs.apply_statement(_stated("0.1", 108_000))
    sent = tracker.syncs
    assert not legs.apply_statement(_stated("0.2", 101_000))
    _fill(legs, 2, "0.1", 101_000, sent=sent)
    assert _qty(legs) == D("0.2") and doubts == [ETH]
    assert legs.reconcile([_read("0.2", 101_000)], mark=legs.mark(), alarm=False) == []


def test_a_read_that_raced_a_fill_under_a_clock_stepped_back_neither_undoes_it_nor_alarms() -> None:
    """Seen in the futures soak with the clock step back: the reconnect's position read was
    made, then a fill arrived (its time before the read's figure: the clock went back), then
    the read was compared. Judged by the clock the read held the fill; it did not, and the
    leg was set back a fill and an alarm raised, the next read raising another. A read that
    raced a change of the leg now leaves it alone and asks for a fresh one."""
    tracker, legs, doubts = _book()
    alarms: list[object] = []
    legs.on_alarm = alarms.append
    _fill(legs, 1, "-0.279", 108_000, sent=tracker.syncs, side=Side.SELL)
    legs.apply_statement(_stated("-0.279", 108_000))
    mark = legs.mark()  # the read is requested
    _fill(legs, 2, "0.055", 101_000, sent=tracker.syncs)  # arrives while it is on its way
    assert legs.reconcile([_read("-0.279", 108_000)], mark=mark) == []
    assert _qty(legs) == D("-0.224") and doubts == [ETH] and alarms == []
    assert legs.reconcile([_read("-0.224", 101_000)], mark=legs.mark(), alarm=False) == []
