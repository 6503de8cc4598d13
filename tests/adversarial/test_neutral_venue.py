"""The emergency stop, the user data feed and valuation on the venue interface alone (issue 14).

The stop and the feed run here on the fake venue (``tests/execution/fake_venue.py``), which
has no Binance type: its balances, prices, book and stream are the neutral records. What an
outsider would try: a stop whose answers are lost or whose reads fail must still report, to
the last unit, what the venue's own record says it sold; a price of 0 must never value a
holding; a feed must take the venue's words for orders, balances and its connection; and the
Binance adapter must hand its stream through without letting the core see Binance's items.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.neutral_venue_helpers import (
    SYMBOL,
    FailingReads,
    assert_report_is_the_venues_record,
    manager_on,
)
from tests.execution.fake_venue import FakeExecution, FakeVenue, LosingVenue
from tradeexec.binance.models import USER_EVENT_DECODER, ExecutionReport
from tradeexec.binance.venue_stream import SpotUserStream, neutral_item
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.execution.emergency import SellSettings, emergency_stop
from tradeexec.execution.feed import OrderFeed
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.valuation import Marks
from tradeexec.venue.records import AccountBalances, AssetHolding
from tradeexec.venue.stream import (
    BalanceDelta,
    BalancesChanged,
    LinkState,
    RecoveredBalances,
    StreamEnded,
    StreamLink,
)
from tradeexec.venue.vocab import ExecutionType, OrderStatus, OrderType, Side, TimeInForce

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(30)]

D = Decimal
FAST = SellSettings(pass_delay_s=0.01)
WAIT = 5.0


def _holding(btc: str, usdt: str = "0") -> FakeVenue:
    venue = FakeVenue(D("60000"))
    venue.holdings = {"BTC": D(btc), "USDT": D(usdt)}
    return venue


# ---------------------------------------------------------------- the emergency stop


async def test_the_stop_on_a_venue_that_is_not_binance_reports_its_record() -> None:
    """A thin book: 0.7 BTC within 50 bps, then a hole. The report counts what filled (with
    the venue's fees), never what was asked, and says what is left and why."""
    venue = _holding("1")
    venue.bids = [(D("60000"), D("0.4")), (D("59990"), D("0.3")), (D("59000"), D("1"))]
    report = await asyncio.wait_for(emergency_stop(venue, flatten_assets=["BTC"], selling=FAST), WAIT)
    assert_report_is_the_venues_record(report, venue)
    assert report.sold["BTC"].quantity == D("0.7") and report.sold["BTC"].orders == 1
    assert report.sold["BTC"].fees == {"USDT": D("41.997")}  # 0.1 % of 41997
    assert venue.holdings["BTC"] == D("0.3")
    assert not report.ok
    assert report.not_closed["BTC"].startswith("0.30000 BTC left: no bid within 50 bps of 60000")


@pytest.mark.parametrize("fault", ["unanswered", "lost"])
async def test_a_lost_answer_is_counted_from_the_venues_record(fault: str) -> None:
    """``unanswered``: the sell executed, its answer never came: the stop reads the order and
    its trades back. ``lost``: it never reached the venue: the lookup's "no such order" means
    it did nothing, and the next pass sells."""
    fake = _holding("1")
    fake.bids = [(D("60000"), D("5"))]
    venue = LosingVenue(fake)
    venue.faults = [fault]
    report = await asyncio.wait_for(
        emergency_stop(venue, flatten_assets=["BTC"], selling=FAST),  # type: ignore[arg-type]
        WAIT,
    )
    assert report.ok and report.unconfirmed == [], report.lines()
    assert fake.holdings["BTC"] == 0
    assert_report_is_the_venues_record(report, fake)
    assert report.sold["BTC"].quantity == D("1")
    assert any("dropped" in e for e in report.errors), report.errors


# A dropped connection, and a bare OSError as the OS raises it for "no route to host" (not a
# ConnectionError subclass): both are network failures that a read is retried after.
@pytest.mark.parametrize("error", [ConnectionResetError, OSError])
async def test_failing_reads_do_not_stop_the_stop(error: type[OSError]) -> None:
    """Every read fails once (no journal, nothing cached to fall back on): each is retried
    and the stop still cancels, sells and verifies."""
    fake = _holding("1")
    fake.bids = [(D("60000"), D("5"))]
    resting = await fake.place(_LimitBuy("rest-1"))
    venue = FailingReads(fake, failures=1, error=error)
    report = await asyncio.wait_for(
        emergency_stop(venue, flatten_assets=["BTC"], selling=FAST),  # type: ignore[arg-type]
        WAIT,
    )
    assert report.ok, report.lines()
    assert resting.status is OrderStatus.NEW and fake.orders["rest-1"].status is OrderStatus.CANCELED
    assert report.canceled_symbols == [SYMBOL]
    assert_report_is_the_venues_record(report, fake)
    assert {"open_orders", "balances", "book_top", "last_prices", "rules"} <= set(venue.failed)
    assert len(report.errors) >= 5


async def test_no_last_price_and_no_bid_is_not_dust() -> None:
    venue = _holding("0.00001")  # worth 0.6 USDT at 60000: dust, if it had a price
    venue.price = D(0)  # never traded
    assert await venue.last_prices([SYMBOL]) == {}
    report = await asyncio.wait_for(emergency_stop(venue, flatten_assets=["BTC"], selling=FAST), WAIT)
    assert report.dust == {}
    assert report.not_closed == {"BTC": "0.00001 BTC left: no price (no bid in the book and no last price)"}


@dataclass(frozen=True)
class _LimitBuy:
    """A resting LIMIT BUY, as a ``PlacementRequest``."""

    client_order_id: str
    symbol: str = SYMBOL
    side: Side = Side.BUY
    type: OrderType = OrderType.LIMIT
    quantity: Decimal = Decimal("0.01")
    quote_quantity: None = None
    price: Decimal = Decimal("50000")
    time_in_force: TimeInForce = TimeInForce.GTC
    stop_price: None = None
    recv_window_ms: int = 5000


# ---------------------------------------------------------------- the feed


def _report(venue: FakeVenue, cid: str) -> FakeExecution:
    """The venue's stream item for the last trade of order ``cid``."""
    order = venue.orders[cid]
    trade = venue.trades[-1]
    assert trade.order_id == order.order_id
    return FakeExecution(
        symbol=order.symbol, client_order_id=cid, order_id=order.order_id,
        execution_type=ExecutionType.TRADE, order_status=order.status,
        cumulative_filled_qty=order.executed_qty, cumulative_quote_qty=order.cumulative_quote,
        transaction_time=trade.time_ms, order_creation_time=order.created_ms, trade_id=trade.id,
        last_executed_price=trade.price, last_executed_qty=trade.qty, commission=trade.commission,
        commission_asset=trade.commission_asset, last_quote_qty=trade.quote_qty,
    )  # fmt: skip


def _changed(venue: FakeVenue, at: int) -> BalancesChanged:
    return BalancesChanged([AssetHolding(a, q) for a, q in sorted(venue.holdings.items())], at)


async def _until(condition: Callable[[], bool], what: str) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.005)
    assert condition(), what


async def test_the_feed_takes_the_venues_words_for_orders_and_balances(tmp_path: Path) -> None:
    venue = _holding("0", "10000")
    async with manager_on(venue, tmp_path) as om:
        stream = venue.user_stream()
        async with OrderFeed(stream, om, account=venue) as feed:
            assert stream.started and feed.stream_live and om.stream_live
            order = await om.submit(
                OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D("0.01"), price=D("59000"))
            )
            assert order.state is OrderState.NEW
            venue.fill_resting(order.client_order_id)  # the venue fills it; only the stream says so
            report = _report(venue, order.client_order_id)
            at = report.transaction_time
            stream.push(report, _changed(venue, at), report)  # the report twice
            await _until(lambda: feed.stats.reports == 2 and feed.stats.balance_events == 1, "items read")
            assert order.state is OrderState.FILLED and order.executed_qty == D("0.01")
            assert feed.stats.duplicate_reports == 1 and len(order.fills) == 1
            assert om.positions.balance("BTC").total == D("0.01")
            assert om.positions.balance("USDT").total == venue.holdings["USDT"]
            # An older statement of the balances changes nothing; a transfer moves free.
            stream.push(BalancesChanged([AssetHolding("BTC", D(0))], at - 1))
            stream.push(BalanceDelta("USDT", D("5"), at + 1, at + 1))
            await _until(lambda: feed.stats.balance_events == 3, "stale and delta read")
            assert feed.stats.stale_balance_events == 1
            assert om.positions.balance("BTC").total == D("0.01")
            assert om.positions.balance("USDT").total == venue.holdings["USDT"] + 5
        assert stream.closed and not om.stream_live


async def test_a_reconnect_settles_the_balances_with_the_venue(tmp_path: Path) -> None:
    """Down: the manager polls. Back up: the feed reconciles and adopts the venue's balances,
    raising the alarm for what changed unseen. Ended by the venue: polling again."""
    venue = _holding("0.5", "1000")
    async with manager_on(venue, tmp_path) as om:
        stream = venue.user_stream()
        async with OrderFeed(stream, om, account=venue, resync_backoff_s=0.01) as feed:
            assert om.positions.balance("BTC").total == D("0.5")  # the baseline: the venue's
            stream.push(StreamLink(LinkState.DISCONNECTED, "test"))
            await _until(lambda: not om.stream_live, "polling while down")
            venue.holdings["USDT"] += D("250")  # a deposit the stream never reported
            stream.push(StreamLink(LinkState.RECONNECTED))
            await _until(lambda: feed.stats.resyncs == 1, "reconciled after the reconnect")
            await feed.wait_synced(WAIT)
            assert om.stream_live and feed.stats.reconnects == 1
            assert [(d.asset, d.tracked, d.exchange) for d in feed.last_diffs] == [
                ("USDT", D("1000"), D("1250"))
            ]
            assert om.positions.balance("USDT").total == D("1250") and feed.stats.alarms == 1
            # The venue's recovery reporting changed balances reconciles again.
            venue.holdings["BTC"] -= D("0.1")
            stream.push(RecoveredBalances({"BTC": (D("0.4"), D(0))}))
            await _until(lambda: feed.stats.resyncs == 2, "reconciled after the recovery")
            assert feed.stats.missed_balances == 1 and feed.stats.alarms == 2
            assert om.positions.balance("BTC").total == D("0.4")
            stream.push(StreamEnded("logged out"))
            await _until(lambda: not om.stream_live, "polling after the venue ended the stream")


async def test_a_doubt_whose_account_read_fails_is_read_again(tmp_path: Path) -> None:
    """Two statements of BTC in one millisecond raise a doubt; the account read that settles it
    fails once (a ban, an outage): it is read again, never left standing (seen failing: the
    feed gave up and the tracked figure stayed wrong until some later doubt or reconnect)."""
    venue = _holding("0.5", "1000")
    reads: list[str] = []
    fail_next = [False]
    real_balances = venue.balances

    async def flaky_balances() -> AccountBalances:
        reads.append("failed" if fail_next[0] else "read")
        if fail_next[0]:  # the doubt's first read
            fail_next[0] = False
            raise ConnectionResetError("connection reset while reading the account")
        return await real_balances()

    venue.balances = flaky_balances  # type: ignore[method-assign]
    async with manager_on(venue, tmp_path) as om:
        stream = venue.user_stream()
        async with OrderFeed(stream, om, account=venue, balance_check_s=0.05) as feed:
            at = int(time.time() * 1000) + 1000
            venue.holdings["BTC"] = D("0.65")  # the truth the account read will tell
            fail_next[0] = True
            stream.push(BalancesChanged([AssetHolding("BTC", D("0.7"))], at))
            stream.push(BalancesChanged([AssetHolding("BTC", D("0.6"))], at))
            await _until(lambda: om.positions.balance("BTC").total == D("0.65"), "the doubt settled")
            await _until(lambda: feed.balances_settled, "no doubt left")
            assert "failed" in reads and reads[-1] == "read" and feed.stats.balance_checks >= 1
            # The position follows the read too: a fill whose time a clock step put inside the
            # read a position was set from moved neither, and only the read can settle both.
            position = om.positions.position(SYMBOL)
            assert position is not None and position.quantity == D("0.65")


# ---------------------------------------------------------------- the Binance adapter's stream


_EXECUTION = (
    b'{"e":"executionReport","E":1,"s":"BTCUSDT","c":"abc","S":"BUY","o":"LIMIT","f":"GTC",'
    b'"q":"1","p":"60000","P":"0","F":"0","g":-1,"C":"","x":"TRADE","X":"FILLED","r":"NONE",'
    b'"i":7,"l":"1","z":"1","L":"60000","n":"0","N":null,"T":2,"t":3,"I":4,"w":false,'
    b'"m":false,"M":false,"O":1,"Z":"60000","Y":"60000","Q":"0"}'
)
_RAW = [
    _EXECUTION,
    b'{"e":"outboundAccountPosition","E":5,"u":4,"B":[{"a":"BTC","f":"1","l":"0"}]}',
    b'{"e":"balanceUpdate","E":6,"a":"USDT","d":"5","T":5}',
    b'{"e":"externalLockUpdate","E":7,"a":"BTC","d":"1","T":6}',
    b'{"e":"eventStreamTerminated","E":8}',
]


class _Items:
    """A stand-in for Binance's user data stream: its items, then the end."""

    def __init__(self, items: list[Any], fail_start: bool = False) -> None:
        self.on_event = None
        self.items = list(items)
        self.fail_start = fail_start
        self.closed = False

    async def start(self) -> None:
        if self.fail_start:
            raise OSError("handshake refused")

    async def close(self) -> None:
        self.closed = True

    async def __anext__(self) -> Any:
        if not self.items:
            raise StopAsyncIteration
        return self.items.pop(0)


class _Session:
    def __init__(self) -> None:
        self.open = False

    async def start(self) -> None:
        self.open = True

    async def close(self) -> None:
        self.open = False


async def test_the_spot_stream_hands_reports_through_and_only_neutral_items_besides() -> None:
    decoded = [USER_EVENT_DECODER.decode(raw) for raw in _RAW]
    links = [ConnectionEvent(s, 0) for s in ConnectionState]  # HANDOVER included
    stream = SpotUserStream(_Items([*decoded, *links]))  # type: ignore[arg-type]
    out = [item async for item in stream]
    assert out[0] is decoded[0] and isinstance(out[0], ExecutionReport)  # no copy
    assert out[1:] == [
        BalancesChanged(decoded[1].balances, 4),  # type: ignore[union-attr]
        BalanceDelta("USDT", D("5"), 5, 6),
        StreamEnded("the exchange ended the user data subscription"),
        StreamLink(LinkState.CONNECTED),
        StreamLink(LinkState.DISCONNECTED),
        StreamLink(LinkState.RECONNECTED),
    ]
    assert all(neutral_item(i) is None for i in (decoded[3], links[3]))


async def test_the_spot_stream_closes_what_it_opened_when_it_cannot_start() -> None:
    session = _Session()
    inner = _Items([], fail_start=True)
    stream = SpotUserStream(inner, (session,))  # type: ignore[arg-type]
    with pytest.raises(OSError, match="handshake refused"):
        await stream.start()
    assert not session.open and inner.closed


# ---------------------------------------------------------------- valuation


class _ZeroPrices:
    """A venue that breaks the interface's word and gives 0 for a symbol that never traded."""

    async def last_prices(self, symbols: Any) -> dict[str, Decimal]:
        return dict.fromkeys(symbols, D(0))


async def test_a_zero_price_is_never_a_mark() -> None:
    marks = Marks(None, _ZeroPrices(), refresh_s=1.0)
    assert await marks.fetch(SYMBOL) is None
    await marks.refresh()
    assert marks(SYMBOL) is None


class _PacedVenue(LosingVenue):
    """A venue that holds each placement, already signed, until released: the order passed
    both kill-switch gates (the manager's and the one at signing, read before the trip
    here), but reaches the exchange only later."""

    def __init__(self, inner: FakeVenue) -> None:
        super().__init__(inner)
        self.release = asyncio.Event()

    async def place(self, request: Any, *, gate: Any = None) -> Any:
        await self.release.wait()  # signed before the stop: the gate is not read again
        return await self.inner.place(request)


async def test_the_stop_waits_for_an_order_already_past_the_gate_and_leaves_nothing_open(
    tmp_path: Path,
) -> None:
    """An order that passed the kill-switch gate before the stop was signed and sent 1-9 ms
    after it (found by the futures soak): the stop cancelled first, and the order outlived
    "COMPLETE". Now the stop waits for placements on their way, then cancels and sells."""
    inner = _holding("0", "100000")
    venue = _PacedVenue(inner)
    async with manager_on(venue, tmp_path) as om:  # type: ignore[arg-type]
        buy = OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D("0.01"), price=D("59000"))
        submit = asyncio.ensure_future(om.submit(buy))
        await _until(lambda: any(o.placing for o in om.open_orders()), "the order past the gate")
        stop = asyncio.ensure_future(emergency_stop(venue, flatten_assets=[], risk=om.risk, selling=FAST))  # type: ignore[arg-type]
        await _until(lambda: om.risk.tripped, "the stop tripped the switch")
        # The old stop finished here at once; the new one waits for the order to land.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                await asyncio.shield(stop)
        venue.release.set()
        report = await stop
        await submit
        assert await inner.open_orders() == [], "an order outlived the emergency stop"
        assert report.ok
