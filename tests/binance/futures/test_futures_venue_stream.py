"""``FuturesVenue.user_stream()``: the futures user data stream in the core's words. Over the
local exchange's real stream: a fill arrives as a ``FuturesExecution`` (leg, realized profit)
followed by the wallet and the position the ACCOUNT_UPDATE states; after a reconnect what
was missed comes back as ``RecoveredOrder`` and ``RecoveredPositions`` read from ``/fapi``.
On Binance-shaped events the local exchange does not send yet: a MARGIN_CALL, a liquidation
and an ADL order each raise a ``VenueAlarm`` before the order update, a funding payment is
a ``FundingSettled``."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import msgspec

from tests.binance.futures.futures_venue_helpers import futures_venue, intent
from tests.binance.futures.venue_stream_helpers import next_item as _next
from tradeexec.binance.futures_venue_stream import FuturesExecution, FuturesVenueStream
from tradeexec.binance.models.futures_events import (
    AccountChange,
    BalanceChange,
    FuturesAccountUpdate,
    FuturesOrderData,
    MarginCall,
    MarginCallPosition,
    OrderTradeUpdate,
    PositionChange,
)
from tradeexec.binance.models.futures_positions import FuturesIncome
from tradeexec.binance.ws.futures_userdata import FuturesUserData
from tradeexec.venue.positions import (
    AlarmKind,
    FundingSettled,
    MarginMode,
    PositionLeg,
    PositionsChanged,
    RecoveredPositions,
    VenueAlarm,
)
from tradeexec.venue.stream import BalancesChanged, LinkState, RecoveredOrder, StreamLink, UserStreamItem
from tradeexec.venue.vocab import ExecutionType, OrderStatus, Side

WAIT = 15.0


async def test_a_fill_arrives_as_an_execution_then_the_wallet_and_the_leg(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (ex, _client, venue):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        stream = venue.user_stream(backoff_base_s=0.05)
        await stream.start()
        try:
            first = await _next(stream, lambda i: True)
            order = intent(Side.BUY, "0.1", leg=PositionLeg.BOTH)
            answer = await venue.place(order)
            fill = await _next(
                stream, lambda i: isinstance(i, FuturesExecution) and i.execution_type is ExecutionType.TRADE
            )
            wallet = await _next(stream, lambda i: isinstance(i, BalancesChanged))
            legs = await _next(stream, lambda i: isinstance(i, PositionsChanged))
        finally:
            await stream.close()
    assert first == StreamLink(LinkState.CONNECTED, "")
    assert isinstance(fill, FuturesExecution)
    assert (fill.client_order_id, fill.order_id, fill.order_status, fill.leg) == (
        order.client_order_id,
        answer.order_id,
        OrderStatus.FILLED,
        PositionLeg.BOTH,
    )
    assert (fill.last_executed_qty, fill.last_executed_price, fill.cumulative_quote_qty) == (
        D("0.1"),
        D("60000"),
        D("6000"),
    )
    assert fill.trade_id is not None and fill.commission > 0 and fill.realized_profit == 0
    assert fill.last_quote_qty == D("6000")
    assert isinstance(wallet, BalancesChanged) and [b.asset for b in wallet.balances] == ["USDT"]
    assert isinstance(legs, PositionsChanged) and legs.reason == "ORDER"
    assert list(legs.legs) == [("BTCUSDT", PositionLeg.BOTH, D("0.1"), D("60000"))]


async def test_after_a_reconnect_missed_orders_and_every_leg_are_recovered(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (ex, _client, venue):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await venue.set_leverage("BTCUSDT", 7)
        stream = venue.user_stream(backoff_base_s=0.05)
        await stream.start()
        try:
            # The key lapses (60 minutes without a keepalive): the stream reconnects.
            ex.state.clock.advance(61 * 60 * 1000)
            await _next(stream, lambda i: isinstance(i, StreamLink) and i.state is LinkState.DISCONNECTED)
            await venue.place(intent(Side.BUY, "0.2"))
            resting = intent(Side.BUY, "0.1", "50000")
            await venue.place(resting)
            back = LinkState.RECONNECTED
            link = await _next(stream, lambda i: isinstance(i, StreamLink) and i.state is back)
            recovered = await _next(stream, lambda i: isinstance(i, RecoveredPositions))
            missed = await _next(stream, lambda i: isinstance(i, RecoveredOrder))
        finally:
            await stream.close()
    assert isinstance(link, StreamLink)
    assert isinstance(recovered, RecoveredPositions)
    (leg,) = [p for p in recovered.positions if p.quantity]
    assert (leg.symbol, leg.leg, leg.quantity, leg.entry_price, leg.leverage) == (
        "BTCUSDT",
        PositionLeg.BOTH,
        D("0.2"),
        D("60000"),
        D(7),
    )
    assert isinstance(missed, RecoveredOrder) and missed.order.client_order_id == resting.client_order_id


# Binance-shaped events the local exchange does not send yet, built with the client's structs.


def _order_update(cid: str, *, x: str = "TRADE", status: str = "FILLED", side: str = "SELL") -> bytes:
    o = FuturesOrderData(
        symbol="BTCUSDT", client_order_id=cid, side=side, order_type="LIMIT", time_in_force="IOC",
        quantity=D("0.5"), price=D("50000"), average_price=D("50000"), stop_price=D(0),
        execution_type=x, order_status=status, order_id=77, last_filled_qty=D("0.5"),
        cumulative_filled_qty=D("0.5"), last_filled_price=D("50000"), commission_asset="USDT",
        commission=D("0"), trade_time=5, trade_id=9, bids_notional=D(0), asks_notional=D(0),
        is_maker=False, reduce_only=True, working_type="CONTRACT_PRICE", original_type="LIMIT",
        position_side="BOTH", close_position=False, realized_profit=D("-5000"),
    )  # fmt: skip
    return msgspec.json.encode({"e": "ORDER_TRADE_UPDATE", **msgspec.to_builtins(
        OrderTradeUpdate(event_time=4, transaction_time=5, order=o))})  # fmt: skip


class _History:
    """A client with only an income history (``rows``), recording what was asked."""

    def __init__(self, rows: list[FuturesIncome]) -> None:
        self.rows = rows
        self.asked: list[dict[str, Any]] = []

    async def futures_income(self, **params: Any) -> list[FuturesIncome]:
        self.asked.append(params)
        start, end = params["start_time"], params["end_time"]
        return [r for r in self.rows if r.income_type == params["income_type"] and start <= r.time <= end]


class _Fed(FuturesUserData):
    """The real stream class, fed raw frames instead of a socket."""

    def __init__(self, history: _History | None = None) -> None:
        super().__init__(history or _History([]), "ws://127.0.0.1:9")  # type: ignore[arg-type]

    def feed(self, raw: bytes) -> None:
        self._open, self._wallets, self._positions = {}, {}, {}
        self._on_raw(raw)


async def _items(
    *frames: bytes, history: _History | None = None, modes: dict[str, MarginMode] | None = None
) -> list[UserStreamItem]:
    inner = _Fed(history)
    stream = FuturesVenueStream(inner, margin_modes=modes)
    for raw in frames:
        inner.feed(raw)
    out: list[UserStreamItem] = []
    while inner._queue or stream._pending:
        out.append(await stream.__anext__())
    return out


def _tagged(event: Any, tag: str) -> bytes:
    return msgspec.json.encode({"e": tag, **msgspec.to_builtins(event)})


async def test_a_liquidation_raises_its_alarm_before_the_order_update() -> None:
    for cid, kind in (
        ("autoclose-1700000000000", AlarmKind.LIQUIDATION),
        ("adl_autoclose", AlarmKind.AUTO_DELEVERAGE),
    ):
        alarm, update = await _items(_order_update(cid, x="CALCULATED"))
        assert isinstance(alarm, VenueAlarm) and (alarm.kind, alarm.symbol) == (kind, "BTCUSDT")
        assert cid in alarm.detail
        assert isinstance(update, FuturesExecution) and update.execution_type is ExecutionType.TRADE
        assert update.realized_profit == D("-5000")
    (plain,) = await _items(_order_update("mine-1"))
    assert isinstance(plain, FuturesExecution)


async def test_a_liquidation_order_alarms_once_however_many_executions_it_has() -> None:
    """Through the book a liquidation fills in parts (then the insurance fund takes the
    rest): one order, one alarm, so the legs keep one liquidation record for it."""
    items = await _items(
        _order_update("autoclose-9", x="NEW", status="NEW"),
        _order_update("autoclose-9", x="CALCULATED", status="PARTIALLY_FILLED"),
        _order_update("autoclose-9", x="CALCULATED"),
    )
    assert [type(i).__name__ for i in items] == ["VenueAlarm"] + ["FuturesExecution"] * 3


async def test_a_margin_call_and_a_funding_payment() -> None:
    call = MarginCall(
        event_time=8,
        cross_wallet_balance=D("100"),
        positions=[
            MarginCallPosition(
                symbol="ETHUSDT", position_side="LONG", position_amt=D("2"), margin_type="CROSSED",
                isolated_wallet=D(0), mark_price=D("2000"), unrealized_pnl=D("-900"),
                maintenance_margin=D("95"),
            )
        ],
    )  # fmt: skip
    funding = FuturesAccountUpdate(
        event_time=9,
        transaction_time=10,
        account=AccountChange(
            reason="FUNDING_FEE",
            balances=[
                BalanceChange(
                    asset="USDT",
                    wallet_balance=D("994"),
                    cross_wallet_balance=D("994"),
                    balance_change=D("-6"),
                )
            ],
            positions=[],
        ),
    )
    items = await _items(_tagged(call, "MARGIN_CALL"), _tagged(funding, "ACCOUNT_UPDATE"))
    alarm, paid, wallet = items
    assert isinstance(alarm, VenueAlarm) and (alarm.kind, alarm.symbol, alarm.event_time) == (
        AlarmKind.MARGIN_CALL,
        "ETHUSDT",
        8,
    )
    assert paid == FundingSettled("", "USDT", D("-6"), 10)
    assert isinstance(wallet, BalancesChanged) and wallet.update_time == 10
    assert [(b.asset, b.free, b.locked) for b in wallet.balances] == [("USDT", D("994"), D(0))]


def _funding(amount: str, time: int, isolated: str | None = None) -> bytes:
    """A FUNDING_FEE ACCOUNT_UPDATE as Binance's docs describe it: the balance only for a
    cross payment, the balance and the one position for an isolated one."""
    position = [
        PositionChange(
            symbol=isolated, position_amt=D("-2"), entry_price=D("3000"), break_even_price=D("3000"),
            accumulated_realized=D(0), unrealized_pnl=D(0), margin_type="isolated",
            isolated_wallet=D("600"), position_side="BOTH",
        )
    ] if isolated else []  # fmt: skip
    balance = BalanceChange(
        asset="USDT", wallet_balance=D("990"), cross_wallet_balance=D("390"), balance_change=D(amount)
    )
    change = AccountChange(reason="FUNDING_FEE", balances=[balance], positions=position)
    update = FuturesAccountUpdate(event_time=time, transaction_time=time, account=change)
    return _tagged(update, "ACCOUNT_UPDATE")


def _row(symbol: str, amount: str, tran_id: int, time: int = 28_800_000) -> FuturesIncome:
    return FuturesIncome(
        symbol=symbol, income_type="FUNDING_FEE", income=D(amount), asset="USDT", info="FUNDING_FEE",
        time=time, tran_id=tran_id, trade_id="",
    )  # fmt: skip


async def test_cross_funding_is_attributed_to_its_symbol_from_the_income_history() -> None:
    t = 28_800_000
    history = _History([
        _row("BTCUSDT", "-6", 1), _row("ETHUSDT", "-6", 2), _row("SOLUSDT", "-6", 3),
        _row("XRPUSDT", "-2", 4), _row("XRPUSDT", "-4", 5), _row("BTCUSDT", "-6", 6, time=t - 8 * 3_600_000),
    ])  # fmt: skip
    items = await _items(
        _funding("-6", t),  # cross: BTC's row (ETH's is isolated, never a cross payment's)
        _funding("-6", t),  # another cross payment of the same amount: SOL's, BTC's is claimed
        _funding("3", t, isolated="ETHUSDT"),  # names its position: no read
        _funding("-6", t),  # XRP's two rows make it (one event for several positions)
        _funding("-1", t),  # no row accounts for it: kept, for no symbol
        history=history,
        modes={"ETHUSDT": MarginMode.ISOLATED},
    )
    paid = [(i.symbol, i.amount) for i in items if isinstance(i, FundingSettled)]
    assert paid == [
        ("BTCUSDT", D(-6)), ("SOLUSDT", D(-6)), ("ETHUSDT", D(3)), ("XRPUSDT", D(-2)), ("XRPUSDT", D(-4)),
        ("", D(-1)),
    ]  # fmt: skip
    assert all(i.event_time == t for i in items if isinstance(i, FundingSettled))
    assert len(history.asked) == 4  # one read per cross payment
    assert all(a["start_time"] <= t <= a["end_time"] for a in history.asked)


async def test_a_liquidation_statement_keeps_its_reason() -> None:
    update = FuturesAccountUpdate(
        event_time=9,
        transaction_time=10,
        account=AccountChange(
            reason="ORDER",
            positions=[
                PositionChange(
                    symbol="BTCUSDT", position_amt=D("-0.3"), entry_price=D("61000"),
                    break_even_price=D("61000"), accumulated_realized=D(0), unrealized_pnl=D(0),
                    margin_type="isolated", isolated_wallet=D("100"), position_side="SHORT",
                )
            ],
        ),
    )  # fmt: skip
    (legs,) = await _items(_tagged(update, "ACCOUNT_UPDATE"))
    assert legs == PositionsChanged([("BTCUSDT", PositionLeg.SHORT, D("-0.3"), D("61000"))], "ORDER", 10)
