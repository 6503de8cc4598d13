"""The futures emergency stop against the real local exchange (over sockets, through
``FuturesVenue`` and nothing else: no journal, no order manager).

What an outsider would try to break: an order or a conditional order left behind, a leg left
open (in hedge mode, the second leg of a symbol), a close that opens the other way, a report
whose figures are not the exchange's, a stop that gives up when calls fail or counts twice an
order whose answer was lost, and anything sent after it reported.
"""

from __future__ import annotations

import asyncio
import os
import random
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.adversarial.futures_stop_helpers import FAST, Desk, assert_report_is_the_record, book, desk
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.execution.emergency import SellSettings, emergency_stop
from tradeexec.execution.policy import ErrorPolicy
from tradeexec.venue.positions import PositionSnapshot

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(120)]
BOTH_LEGS = {"BTCUSDT BOTH": D("0.5"), "ETHUSDT BOTH": D("3")}  # what _open_one_way opens


def quick_policy() -> ErrorPolicy:
    """The stop's own policy with short waits: the tests' failures are injected, not load."""
    return ErrorPolicy(base_delay_s=0.01, max_delay_s=0.05, failure_threshold=10_000)


async def _open_one_way(d: Desk) -> None:
    """Long 0.5 BTCUSDT and short 3 ETHUSDT, a resting bid of the account's own, a stop on each
    symbol, and a book to close into."""
    book(d.ex, "BTCUSDT", "SELL", ("60000", "1"))
    book(d.ex, "ETHUSDT", "BUY", ("3000", "5"))
    await d.market("BTCUSDT", "BUY", "0.5")
    await d.market("ETHUSDT", "SELL", "3")
    d.ex.futures_set_mark_price("BTCUSDT", "60000")
    d.ex.futures_set_mark_price("ETHUSDT", "3000")
    await d.order("BTCUSDT", "BUY", "0.1", type="LIMIT", price="55000", timeInForce="GTC")
    await d.stop_order("BTCUSDT", "SELL", "0.5", "57000")
    await d.stop_order("ETHUSDT", "BUY", "3", "3300")
    book(d.ex, "BTCUSDT", "BUY", ("59990", "0.2"), ("59950", "1"))
    book(d.ex, "ETHUSDT", "SELL", ("3001", "1"), ("3005", "10"))


async def test_one_way_long_and_short_end_flat_with_no_order_left_and_the_exchanges_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no journal: nothing may be written where it runs
    async with desk() as d:
        await _open_one_way(d)
        report = await emergency_stop(d.venue, flatten_assets=None, selling=FAST)
        assert report.ok, report.lines()
        assert await d.leftovers() == ([], [], {})
        assert set(report.closed) == {"BTCUSDT BOTH", "ETHUSDT BOTH"}
        assert (report.closed["BTCUSDT BOTH"].side, report.closed["ETHUSDT BOTH"].side) == ("SELL", "BUY")
        assert report.closed["BTCUSDT BOTH"].quantity == D("0.5")
        assert report.closed["ETHUSDT BOTH"].quantity == D("3")
        assert report.canceled_conditional == {"BTCUSDT": 1, "ETHUSDT": 1}
        assert report.canceled_symbols == ["BTCUSDT"]
        for key in report.closed:
            await assert_report_is_the_record(d, report, key)
        orders, _ = await d.stop_record("BTCUSDT")
        assert all(o["reduceOnly"] and o["type"] == "LIMIT" and o["timeInForce"] == "IOC" for o in orders)
        assert "EMERGENCY STOP COMPLETE" in report.lines()
    assert list(tmp_path.iterdir()) == []


async def test_hedge_mode_closes_both_legs_of_a_symbol_each_on_its_own_side() -> None:
    async with desk(hedge=True) as d:
        book(d.ex, "BTCUSDT", "SELL", ("60000", "1"))
        book(d.ex, "BTCUSDT", "BUY", ("59990", "1"))
        book(d.ex, "ETHUSDT", "BUY", ("3000", "5"))
        await d.market("BTCUSDT", "BUY", "0.4", "LONG")
        await d.market("BTCUSDT", "SELL", "0.3", "SHORT")
        await d.market("ETHUSDT", "SELL", "2", "SHORT")
        d.ex.futures_set_mark_price("BTCUSDT", "60000")
        await d.stop_order("BTCUSDT", "SELL", "0.4", "57000", "LONG")
        await d.stop_order("BTCUSDT", "BUY", "0.3", "63000", "SHORT")
        assert await d.legs() == {
            "BTCUSDT LONG": D("0.4"),
            "BTCUSDT SHORT": D("-0.3"),
            "ETHUSDT SHORT": D("-2"),
        }
        book(d.ex, "BTCUSDT", "BUY", ("59980", "1"))
        book(d.ex, "BTCUSDT", "SELL", ("60010", "1"))
        book(d.ex, "ETHUSDT", "SELL", ("3002", "5"))
        report = await emergency_stop(d.venue, flatten_assets=None, selling=FAST)
        assert report.ok, report.lines()
        assert await d.leftovers() == ([], [], {})
        assert {k: c.side for k, c in report.closed.items()} == {
            "BTCUSDT LONG": "SELL", "BTCUSDT SHORT": "BUY", "ETHUSDT SHORT": "BUY"
        }  # fmt: skip
        assert report.canceled_conditional == {"BTCUSDT": 2}
        for key in report.closed:
            await assert_report_is_the_record(d, report, key)


async def test_a_thin_book_closes_what_lies_within_the_band_and_says_what_is_left() -> None:
    async with desk() as d:
        book(d.ex, "BTCUSDT", "SELL", ("60000", "1"))
        await d.market("BTCUSDT", "BUY", "1")
        d.ex.futures_set_mark_price("BTCUSDT", "60000")
        book(d.ex, "BTCUSDT", "BUY", ("59990", "0.3"), ("59000", "5"))  # a hole below 0.3
        report = await emergency_stop(d.venue, flatten_assets=None, selling=FAST)
        assert not report.ok and "EMERGENCY STOP INCOMPLETE" in report.lines()
        assert await d.legs() == {"BTCUSDT BOTH": D("0.7")}
        assert report.closed["BTCUSDT BOTH"].quantity == D("0.3")
        assert report.not_closed["BTCUSDT BOTH"].startswith("0.7 left (long): no bid within 50 bps of 59990")
        await assert_report_is_the_record(d, report, "BTCUSDT BOTH")
        orders, _ = await d.stop_record("BTCUSDT")
        floor = D("59990") * (1 - D("0.005"))
        assert len(orders) == 1 and all(D(o["price"]) >= floor for o in orders)  # never walked down


async def test_a_thin_book_above_a_short_is_not_walked_up() -> None:
    async with desk() as d:
        book(d.ex, "ETHUSDT", "BUY", ("3000", "5"))
        await d.market("ETHUSDT", "SELL", "5")
        d.ex.futures_set_mark_price("ETHUSDT", "3000")
        book(d.ex, "ETHUSDT", "SELL", ("3001", "2"), ("3100", "50"))  # a hole above 2
        report = await emergency_stop(d.venue, flatten_assets=None, selling=FAST)
        assert await d.legs() == {"ETHUSDT BOTH": D("-3")}
        assert report.not_closed["ETHUSDT BOTH"].startswith("3 left (short): no ask within 50 bps of 3001")
        await assert_report_is_the_record(d, report, "ETHUSDT BOTH")
        orders, _ = await d.stop_record("ETHUSDT")
        ceiling = D("3001") * (1 + D("0.005"))
        assert len(orders) == 1 and all(D(o["price"]) <= ceiling for o in orders)  # never walked up


@pytest.mark.parametrize("fault", ["error_1007", "lost_response"])
async def test_an_unknown_outcome_is_counted_from_the_record_and_never_closed_twice(fault: str) -> None:
    async with desk() as d:
        await _open_one_way(d)
        d.ex.inject(fault, "/fapi/v1/order", count=1)  # the first close executes, its answer is lost
        report = await emergency_stop(d.venue, flatten_assets=None, selling=FAST)
        assert report.ok, report.lines()
        assert await d.leftovers() == ([], [], {})
        assert {k: c.quantity for k, c in report.closed.items()} == BOTH_LEGS
        for key in report.closed:
            await assert_report_is_the_record(d, report, key)
        orders = (await d.stop_record("BTCUSDT"))[0] + (await d.stop_record("ETHUSDT"))[0]
        assert len(orders) == 2  # one close per leg: the lost one was not sent again
        assert any(e for e in report.errors if "BTCUSDT" in e or "ETHUSDT" in e)


async def test_failing_calls_are_retried_and_the_stop_still_ends_flat() -> None:
    async with desk() as d:
        await _open_one_way(d)
        d.ex.inject("http_5xx", "/fapi/v1/order", count=2, status=503)  # not executed
        d.ex.inject("error_1001", "/fapi/v1/depth", count=1)
        d.ex.inject("http_5xx", "/fapi/v3/positionRisk", count=2, status=502)
        report = await emergency_stop(d.venue, flatten_assets=None, selling=FAST)
        assert report.ok, report.lines()
        assert await d.leftovers() == ([], [], {})
        assert report.errors
        assert {k: c.quantity for k, c in report.closed.items()} == BOTH_LEGS
        for key in report.closed:
            await assert_report_is_the_record(d, report, key)


async def test_when_closes_keep_failing_it_cancels_everything_and_says_exactly_what_is_left() -> None:
    async with desk() as d:
        await _open_one_way(d)
        d.ex.inject("http_5xx", "/fapi/v1/order", status=503)  # every close fails
        report = await emergency_stop(
            d.venue, flatten_assets=None, selling=SellSettings(passes=3, pass_delay_s=0.01)
        )
        assert not report.ok
        orders, algos, legs = await d.leftovers()
        assert (orders, algos) == ([], [])  # the cancels went through
        assert legs == {"BTCUSDT BOTH": D("0.5"), "ETHUSDT BOTH": D("-3")}
        assert report.not_closed["BTCUSDT BOTH"].startswith("0.5 left (long): the last order failed")
        assert report.not_closed["ETHUSDT BOTH"].startswith("3 left (short): the last order failed")
        assert report.not_closed["BTCUSDT BOTH"].endswith("after 3 passes")
        d.ex.clear_faults()
        assert (await d.stop_record("BTCUSDT"))[0] == []  # nothing of the stop reached the book


async def test_a_second_stop_sends_nothing_and_nothing_is_sent_after_the_report() -> None:
    async with desk() as d:
        await _open_one_way(d)
        before = set(asyncio.all_tasks())
        first = await emergency_stop(d.venue, flatten_assets=None, selling=FAST)
        assert first.ok
        assert set(asyncio.all_tasks()) <= before  # nothing of the stop still runs
        sent = [len((await d.stop_record(s))[0]) for s in ("BTCUSDT", "ETHUSDT")]
        again = await emergency_stop(d.venue, flatten_assets=None, selling=FAST)
        assert again.ok and again.closed == {} and again.canceled_conditional == {}
        assert [len((await d.stop_record(s))[0]) for s in ("BTCUSDT", "ETHUSDT")] == sent


async def test_a_conditional_order_that_cannot_be_canceled_is_reported_left() -> None:
    async with desk() as d:
        await _open_one_way(d)
        algos = await d.fapi("GET", "/fapi/v1/openAlgoOrders")
        d.ex.inject("http_5xx", "/fapi/v1/algoOrder", status=503)  # no cancel of a stop goes through
        report = await emergency_stop(d.venue, flatten_assets=None, selling=FAST, policy=quick_policy())
        assert not report.ok and "EMERGENCY STOP INCOMPLETE" in report.lines()
        d.ex.clear_faults()
        orders, still, legs = await d.leftovers()
        assert (orders, legs) == ([], {})  # everything else was done
        assert sorted(a["clientAlgoId"] for a in still) == sorted(a["clientAlgoId"] for a in algos)
        left = "\n".join(report.open_orders_left)
        assert all(f"{a['symbol']} conditional {a['clientAlgoId']}" in left for a in algos), left


class _RacingVenue(FuturesVenue):
    """A fill of another process's order lands while the stop closes ETHUSDT: the BTCUSDT leg
    it already closed opens again (0.1 long)."""

    def __init__(self, d: Desk) -> None:
        super().__init__(d.venue.client)
        self.desk = d
        self.raced = False

    async def positions(self, symbol: str | None = None) -> list[PositionSnapshot]:
        if symbol == "ETHUSDT" and not self.raced:
            self.raced = True
            book(self.desk.ex, "BTCUSDT", "SELL", ("60000", "0.1"))
            await self.desk.market("BTCUSDT", "BUY", "0.1")
        return await super().positions(symbol)


async def test_a_leg_reopened_by_a_race_after_its_close_is_closed_in_a_second_round() -> None:
    async with desk() as d:
        await _open_one_way(d)
        racing = _RacingVenue(d)
        report = await emergency_stop(racing, flatten_assets=None, selling=FAST)
        assert racing.raced and report.ok, report.lines()
        assert await d.leftovers() == ([], [], {})
        assert report.closed["BTCUSDT BOTH"].quantity == D("0.6")  # 0.5, then the 0.1 of the race
        await assert_report_is_the_record(d, report, "BTCUSDT BOTH")


ROUNDS = 25 if os.environ.get("TRADEEXEC_SOAK") == "full" else 3
MIDS = {"BTCUSDT": D("60000"), "ETHUSDT": D("3000")}


@pytest.mark.parametrize("seed", range(ROUNDS))
async def test_random_legs_books_and_faults_report_equals_record(seed: int) -> None:
    """Random mode, legs, books, band, passes and one injected fault on the order path: the
    report equals the exchange's trades, no close is priced beyond the band from the first
    touch, no leg grows or flips, and ``ok`` says exactly whether everything is flat."""
    rng = random.Random(seed)
    hedge = rng.random() < 0.5
    async with desk(hedge=hedge) as d:
        opened: dict[str, D] = {}
        for symbol, mid in MIDS.items():
            one_way = ("BOTH", rng.choice(["BUY", "SELL"]))
            for leg, side in (("LONG", "BUY"), ("SHORT", "SELL")) if hedge else (one_way,):
                if rng.random() < 0.25:
                    continue
                qty = D(rng.randint(1, 30)) / (1000 if symbol == "BTCUSDT" else 100)
                book(d.ex, symbol, "SELL" if side == "BUY" else "BUY", (f"{mid}", f"{qty}"))
                await d.market(symbol, side, f"{qty}", leg if hedge else None)
                opened[f"{symbol} {leg}"] = qty if side == "BUY" else -qty
            d.ex.futures_set_mark_price(symbol, f"{mid}")
            for _ in range(rng.randint(0, 4)):
                away = mid * D(rng.randint(0, 120)) / 10_000  # within 1.2 % of the mid
                size = D(rng.randint(1, 40)) / (1000 if symbol == "BTCUSDT" else 100)
                book(d.ex, symbol, "BUY", (f"{(mid - away - 1).quantize(D('0.1'))}", f"{size}"))
                book(d.ex, symbol, "SELL", (f"{(mid + away + 1).quantize(D('0.1'))}", f"{size}"))
        fault = rng.choice(["error_1007", "lost_response", "http_5xx", None])
        if fault:
            d.ex.inject(fault, "/fapi/v1/order", count=1)
        bps = D(rng.choice([10, 25, 50, 100]))
        settings = SellSettings(max_slippage_bps=bps, passes=rng.randint(1, 5), pass_delay_s=0.01)
        tops = {s: (await d.venue.book_top(s, 1)) for s in MIDS}
        report = await asyncio.wait_for(emergency_stop(d.venue, flatten_assets=None, selling=settings), 60)
        d.ex.clear_faults()
        orders, algos, legs = await d.leftovers()
        assert (orders, algos) == ([], [])
        for key, before in opened.items():
            after = legs.get(key, D(0))
            same_way = (after > 0) == (before > 0) and abs(after) <= abs(before)
            assert after == 0 or same_way, (key, before, after)  # never grown, never flipped
            if key in report.closed:
                await assert_report_is_the_record(d, report, key)
                assert report.closed[key].quantity == abs(before) - abs(after)
            else:
                assert after == before
        for symbol in MIDS:
            stop_orders, _ = await d.stop_record(symbol)
            top = tops[symbol]
            floor = top.bids[0][0] * (1 - bps / 10_000) if top.bids else None
            ceiling = top.asks[0][0] * (1 + bps / 10_000) if top.asks else None
            for o in stop_orders:  # from the touch the stop first saw, never beyond
                limit = floor if o["side"] == "SELL" else ceiling
                assert limit is not None, o
                assert D(o["price"]) >= limit if o["side"] == "SELL" else D(o["price"]) <= limit
        assert report.ok == (not legs and not report.unconfirmed), report.lines()
