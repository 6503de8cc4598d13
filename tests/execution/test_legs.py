"""The legs of a derivatives account (``execution/legs.py``): Binance's entry-price and
realized-PnL rules against a reference computed the simple way, trade ids applied once,
statements ordered by the venue's time, reconciliation to the last unit."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeexec.execution.legs import LegBook, LegDiff
from tradeexec.venue.positions import MarginMode, PositionLeg, PositionsChanged, PositionSnapshot
from tradeexec.venue.vocab import Side

D = Decimal
BOTH = PositionLeg.BOTH
UNIT = D("0.00000001")


def reference(fills: list[tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal, Decimal]:
    """Entry price and realized PnL the simple way: keep every open lot (FIFO does not matter
    for the average), average cost over the open quantity; a fill against the position
    closes ``min`` of it at the average, realizing per unit ``price - average`` (long) or
    ``average - price`` (short); what is left opens a new position at the fill's price."""
    qty = D(0)
    cost = D(0)  # sum of |lot| * price of the open lots
    realized = D(0)
    for signed, price in fills:
        if qty == 0 or (qty > 0) == (signed > 0):
            qty += signed
            cost += abs(signed) * price
            continue
        average = cost / abs(qty)
        closed = min(abs(qty), abs(signed))
        per_unit = (price - average) if qty > 0 else (average - price)
        realized += (closed * per_unit).quantize(UNIT)
        cost -= closed * average
        left = abs(signed) - closed
        qty += signed
        if qty == 0:
            cost = D(0)
        elif left:  # flipped: the rest opens at the fill price
            cost = left * price
    entry = cost / abs(qty) if qty else D(0)
    return qty, entry, realized


fill = st.tuples(
    st.integers(-50, 50).filter(bool).map(lambda n: D(n) / 10),
    st.integers(9_000, 11_000).map(lambda n: D(n) / 100),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(fill, max_size=25))
def test_any_fills_give_binances_entry_price_and_realized_pnl(fills: list[tuple[Decimal, Decimal]]) -> None:
    book = LegBook()
    for i, (signed, price) in enumerate(fills):
        side = Side.BUY if signed > 0 else Side.SELL
        book.apply_fill("BTCUSDT", BOTH, side, abs(signed), price, trade_id=i, time_ms=1000 + i)
    qty, entry, realized = reference(fills)
    leg = book.leg("BTCUSDT", BOTH)
    assert leg.quantity == qty
    # The average is a division: equal to the reference's to Decimal's 28 digits.
    assert abs(leg.entry_price - entry) <= abs(entry) * D("1e-25")
    # Each fill's realized PnL is rounded to the unit from an average that is itself a
    # 28-digit division, reached two ways: at a half-unit tie the two may round apart by one
    # unit (seen: 1e-8 off once in a few thousand examples), never by more.
    assert abs(leg.realized_pnl - realized) <= UNIT * len(fills)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(fill, max_size=20),
    st.lists(st.integers(-10_000, 10_000).map(lambda n: D(n) / 1000), max_size=5),
    st.integers(0, 100).map(lambda n: D(n) / 10_000),
)
def test_wallet_change_is_realized_minus_commission_plus_funding(
    fills: list[tuple[Decimal, Decimal]], funding: list[Decimal], fee_rate: Decimal
) -> None:
    """Booked the way a venue books them (each amount rounded to the unit), the wallet moves
    by realized PnL - commission + funding; the legs' figures say the same."""
    book = LegBook()
    wallet = D(0)
    q, e = D(0), D(0)
    for i, (signed, price) in enumerate(fills):
        fee = (abs(signed) * price * fee_rate).quantize(UNIT)
        side = Side.BUY if signed > 0 else Side.SELL
        book.apply_fill("BTCUSDT", BOTH, side, abs(signed), price, commission=fee,
                        commission_asset="USDT", trade_id=i, time_ms=i)  # fmt: skip
        # the venue's own books, the simple way: realized against the entry before the fill
        if q and (q > 0) != (signed > 0):
            closed = min(abs(q), abs(signed))
            wallet += (closed * (price - e) * (1 if q > 0 else -1)).quantize(UNIT)
        q, e, _ = reference(fills[: i + 1])
        wallet -= fee
    for t, amount in enumerate(funding):
        book.apply_funding("BTCUSDT", amount, 10_000 + t, "USDT")
        book.apply_funding("BTCUSDT", amount, 10_000 + t, "USDT")  # the same payment again
        wallet += amount
    assert book.wallet_change() == wallet
    assert book.realized_pnl() - book.commission() + book.funding() == wallet


def test_a_trade_given_twice_moves_the_leg_once() -> None:
    book = LegBook()
    for _ in range(3):
        book.apply_fill("BTCUSDT", BOTH, Side.BUY, D(1), D(100), commission=D("0.04"),
                        commission_asset="USDT", trade_id=7, time_ms=5)  # fmt: skip
    leg = book.leg("BTCUSDT", BOTH)
    assert (leg.quantity, leg.entry_price, leg.commission) == (D(1), D(100), D("0.04"))


def test_entry_grows_averaged_stays_on_shrink_resets_on_flip() -> None:
    book = LegBook()
    leg = book.apply_fill("ETHUSDT", BOTH, Side.BUY, D(1), D(100), trade_id=1, time_ms=1)
    book.apply_fill("ETHUSDT", BOTH, Side.BUY, D(3), D(200), trade_id=2, time_ms=2)
    assert (leg.quantity, leg.entry_price) == (D(4), D(175))
    book.apply_fill("ETHUSDT", BOTH, Side.SELL, D(1), D(215), trade_id=3, time_ms=3)
    assert (leg.quantity, leg.entry_price, leg.realized_pnl) == (D(3), D(175), D(40))
    book.apply_fill("ETHUSDT", BOTH, Side.SELL, D(5), D(155), trade_id=4, time_ms=4)
    assert (leg.quantity, leg.entry_price, leg.realized_pnl) == (D(-2), D(155), D(-20))
    assert leg.unrealized_pnl(D(150)) == D(10)  # a short gains as the mark falls


def test_hedge_mode_legs_are_apart() -> None:
    book = LegBook()
    long = book.apply_fill("BTCUSDT", PositionLeg.LONG, Side.BUY, D(2), D(100), trade_id=1, time_ms=1)
    short = book.apply_fill("BTCUSDT", PositionLeg.SHORT, Side.SELL, D(1), D(110), trade_id=2, time_ms=2)
    book.apply_fill("BTCUSDT", PositionLeg.SHORT, Side.BUY, D(1), D(100), trade_id=3, time_ms=3)
    assert (long.quantity, long.entry_price, long.realized_pnl) == (D(2), D(100), D(0))
    assert (short.quantity, short.realized_pnl) == (D(0), D(10))


def test_a_stale_statement_changes_nothing_and_a_fill_inside_one_moves_the_leg_once() -> None:
    book = LegBook()
    # Binance sends the ACCOUNT_UPDATE of a trade before its ORDER_TRADE_UPDATE.
    book.apply_statement(PositionsChanged([("BTCUSDT", BOTH, D(2), D(100))], "ORDER", 50))
    leg = book.apply_fill("BTCUSDT", BOTH, Side.BUY, D(2), D(100), trade_id=1, time_ms=50)
    assert (leg.quantity, leg.entry_price) == (D(2), D(100))
    book.apply_statement(PositionsChanged([("BTCUSDT", BOTH, D(1), D(100))], "ORDER", 60))
    leg = book.apply_fill("BTCUSDT", BOTH, Side.SELL, D(1), D(130), trade_id=2, time_ms=60)
    assert (leg.quantity, leg.realized_pnl) == (D(1), D(30))  # realized against the entry before
    assert not book.apply_statement(PositionsChanged([("BTCUSDT", BOTH, D(2), D(100))], "ORDER", 55))
    assert leg.quantity == D(1)


def _snap(qty: str, entry: str, t: int, leg: PositionLeg = BOTH, liq: str = "0") -> PositionSnapshot:
    return PositionSnapshot("BTCUSDT", leg, D(qty), D(entry), D(101), D(0), D(liq),
                            MarginMode.CROSSED, D(0), D(20), "USDT", t)  # fmt: skip


def test_reconcile_to_the_last_unit_raises_the_alarm_and_adopts_the_venues() -> None:
    seen: list[list[LegDiff]] = []
    book = LegBook(on_alarm=seen.append)
    book.apply_fill("BTCUSDT", BOTH, Side.BUY, D(3), D("100.1"), trade_id=1, time_ms=10)
    assert book.reconcile([_snap("3", "100.1", 20, liq="80.5")]) == [] and seen == []
    assert book.leg("BTCUSDT", BOTH).liquidation_price == D("80.5")
    diffs = book.reconcile([_snap("3.001", "100.1", 30)])
    assert [(d.what, d.tracked, d.venue) for d in diffs] == [("quantity", D(3), D("3.001"))]
    assert seen == [diffs] and book.leg("BTCUSDT", BOTH).quantity == D("3.001")
    # the entry is compared to the last digit the venue states: 100.1 vs 100.2 differs
    assert [d.what for d in book.reconcile([_snap("3.001", "100.2", 40)])] == ["entry_price"]
    # a leg the read does not list is flat by the venue's word
    assert [d.venue for d in book.reconcile([])] == [D(0)]


def test_a_read_older_than_the_leg_is_not_compared() -> None:
    """A fill that arrived while the read was on its way, timed after it: the read is older.
    A leg opened meanwhile that the read does not list is not flat by its word either."""
    book = LegBook()
    mark = book.mark()  # the read is requested
    book.apply_fill("BTCUSDT", BOTH, Side.BUY, D(1), D(100), trade_id=1, time_ms=100)
    book.apply_fill("ETHUSDT", BOTH, Side.BUY, D(1), D(100), trade_id=2, time_ms=100)
    assert book.reconcile([_snap("0", "0", 90)], mark=mark) == []
    assert book.leg("BTCUSDT", BOTH).quantity == D(1) and book.leg("ETHUSDT", BOTH).quantity == D(1)


def test_funding_goes_to_the_one_open_leg_or_stays_per_symbol() -> None:
    book = LegBook()
    book.apply_fill("BTCUSDT", BOTH, Side.SELL, D(1), D(100), trade_id=1, time_ms=1)
    book.apply_funding("BTCUSDT", D("0.01"), 2, "USDT")
    book.apply_funding("", D("-0.5"), 3, "USDT")  # a cross position's: no symbol named
    assert book.leg("BTCUSDT", BOTH).funding == D("0.01")
    assert book.funding() == D("-0.49")


def test_a_venue_close_after_a_liquidation_alarm_is_recorded_as_one() -> None:
    book = LegBook()
    book.apply_fill("BTCUSDT", BOTH, Side.BUY, D(4), D(100), trade_id=1, time_ms=1)
    book.venue_closing("BTCUSDT", "liquidation", 2)
    book.apply_statement(PositionsChanged([("BTCUSDT", BOTH, D(1), D(100))], "ORDER", 5))
    # the venue's closing order's trade, told after its statement: priced, not moved twice
    book.apply_venue_fill("BTCUSDT", BOTH, Side.SELL, D(3), D(90), trade_id=9, time_ms=5)
    book.apply_statement(PositionsChanged([("BTCUSDT", BOTH, D(0), D(0))], "ORDER", 6))
    [record] = book.liquidations
    assert (record.quantity_before, record.quantity_after, record.reason) == (D(4), D(0), "liquidation")
    assert (record.price, record.realized_pnl) == (D(90), D(-30))
    assert book.leg("BTCUSDT", BOTH).realized_pnl == D(-30)
    # long after the alarm, a shrink is no liquidation
    book.apply_fill("BTCUSDT", BOTH, Side.BUY, D(1), D(100), trade_id=10, time_ms=100_000)
    book.apply_statement(PositionsChanged([("BTCUSDT", BOTH, D(0), D(0))], "ORDER", 100_001))
    assert len(book.liquidations) == 1


def test_a_smart_liquidations_two_orders_are_one_record_a_later_alarm_a_new_one() -> None:
    """Each liquidation order is alarmed; the second (the rest closed after the first order
    did not save the account) continues the record. Past the window, or another kind of
    alarm, is a new record."""
    book = LegBook()
    book.apply_fill("BTCUSDT", BOTH, Side.BUY, D(4), D(100), trade_id=1, time_ms=1)
    book.venue_closing("BTCUSDT", "liquidation", 2)
    book.apply_venue_fill("BTCUSDT", BOTH, Side.SELL, D(1), D(95), trade_id=2, time_ms=2)
    book.venue_closing("BTCUSDT", "liquidation", 2)
    book.apply_venue_fill("BTCUSDT", BOTH, Side.SELL, D(2), D(90), trade_id=3, time_ms=2)
    [record] = book.liquidations
    assert (record.quantity_before, record.quantity_after, record.price) == (D(4), D(1), D(90))
    assert record.realized_pnl == D(-25)
    book.venue_closing("BTCUSDT", "auto_deleverage", 3)
    book.apply_venue_fill("BTCUSDT", BOTH, Side.SELL, D("0.5"), D(90), trade_id=4, time_ms=3)
    book.venue_closing("BTCUSDT", "auto_deleverage", 3 + 60_001)
    book.apply_venue_fill("BTCUSDT", BOTH, Side.SELL, D("0.5"), D(90), trade_id=5, time_ms=60_004)
    assert [(r.reason, r.quantity_before, r.quantity_after) for r in book.liquidations] == [
        ("liquidation", D(4), D(1)),
        ("auto_deleverage", D(1), D("0.5")),
        ("auto_deleverage", D("0.5"), D(0)),
    ]


def test_a_venue_close_trade_before_its_statement_moves_the_leg_once() -> None:
    book = LegBook()
    book.apply_fill("BTCUSDT", BOTH, Side.SELL, D(2), D(100), trade_id=1, time_ms=1)
    book.venue_closing("", "auto_deleverage", 2)
    book.apply_venue_fill("BTCUSDT", BOTH, Side.BUY, D(2), D(120), trade_id=5, time_ms=5)
    book.apply_statement(PositionsChanged([("BTCUSDT", BOTH, D(0), D(0))], "ORDER", 5))
    [record] = book.liquidations
    assert (record.quantity_after, record.price, record.realized_pnl) == (D(0), D(120), D(-40))
    assert book.leg("BTCUSDT", BOTH).quantity == 0


def test_two_fills_in_one_millisecond_both_move_the_leg() -> None:
    book = LegBook()
    book.apply_fill("BTCUSDT", BOTH, Side.BUY, D(1), D(100), trade_id=1, time_ms=7)
    leg = book.apply_fill("BTCUSDT", BOTH, Side.SELL, D(3), D(110), trade_id=2, time_ms=7)
    assert (leg.quantity, leg.entry_price, leg.realized_pnl) == (D(-2), D(110), D(10))
