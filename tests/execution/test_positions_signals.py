from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.models import Account, AssetBalance, ExecutionReport
from tradeexec.binance.venue import SpotVenue
from tradeexec.binance.ws.userdata import ListenKeyUserData, UserDataItem
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.positions import BalanceDiff, PositionSide, PositionTracker
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.execution.signals import Executor, OrderSignal, TargetPosition, decode_signal
from tradeexec.sim.exchange import LocalExchange

from .fakes import FakeOrderClient

D = Decimal


@dataclass
class Bal:
    asset: str
    free: Decimal
    locked: Decimal = Decimal(0)


@dataclass
class Acct:
    balances: list[Bal]


def test_average_entry_realized_and_unrealized_pnl_with_fees() -> None:
    marks = {"BTCUSDT": D(110)}
    t = PositionTracker(prices=marks.get)
    t.register_symbol("BTCUSDT", "BTC", "USDT")
    t.apply_fill("BTCUSDT", Side.BUY, D(1), D(100))
    t.apply_fill("BTCUSDT", Side.BUY, D(1), D(120))
    pos = t.position("BTCUSDT")
    assert pos is not None and pos.quantity == 2 and pos.avg_entry_price == 110
    t.apply_fill("BTCUSDT", Side.SELL, D(1), D(130), commission=D("0.13"), commission_asset="USDT")
    assert pos.realized_pnl == D("19.87")  # (130 - 110) * 1 minus the fee paid in quote
    assert pos.fees == {"USDT": D("0.13")}
    marks["BTCUSDT"] = D(100)
    assert t.unrealized_pnl("BTCUSDT") == D(-10)
    assert t.total_pnl() == D("9.87")
    t.apply_fill("BTCUSDT", Side.BUY, D(1), D(100), commission=D("0.001"), commission_asset="BTC")
    assert pos.quantity == D("1.999")  # a base fee shrinks what was received
    assert pos.avg_entry_price == (D(110) + D(100)) / D("1.999")
    t.apply_fill("BTCUSDT", Side.SELL, D(3), D(100))  # through zero: a short (futures-ready)
    assert pos.side is PositionSide.SHORT and pos.quantity == D("-1.001") and pos.entry_price == 100
    assert t.balance("BTC").total == D("-1.001") and t.balance("USDT").total == D("109.87")


def test_a_fill_moves_the_quote_by_the_amount_the_exchange_booked() -> None:
    t = PositionTracker()
    t.register_symbol("ETHBTC", "ETH", "BTC")
    t.apply_fill("ETHBTC", Side.BUY, D("0.0123"), D("0.05123"), quote_qty=D("0.00063012"))
    assert t.balance("BTC").total == D("-0.00063012")  # not price * qty, 0.000630129
    t.apply_fill("ETHBTC", Side.SELL, D("0.0123"), D("0.05123"), quote_qty=D("0.00063012"),
                 commission=D("0.00000064"), commission_asset="BTC")
    assert t.balance("BTC").total == D("-0.00000064") and t.balance("ETH").total == 0
    t.apply_fill("ETHBTC", Side.BUY, D("0.0123"), D("0.05123"))  # no quote known: price * qty
    assert t.balance("BTC").total == D("-0.00063076900")


def test_reconcile_reports_differences_raises_alarm_and_adopts_exchange() -> None:
    alarms: list[list[BalanceDiff]] = []
    t = PositionTracker(on_alarm=alarms.append)
    t.load_account(Acct([Bal("BTC", D(1)), Bal("USDT", D(1000))]))
    t.register_symbol("BTCUSDT", "BTC", "USDT")
    assert t.position("BTCUSDT").quantity == 1  # type: ignore[union-attr]
    t.apply_fill("BTCUSDT", Side.BUY, D("0.5"), D(100))
    assert t.reconcile(Acct([Bal("BTC", D("1.2"), D("0.3")), Bal("USDT", D(950))])) == []
    assert alarms == []
    diffs = t.reconcile(Acct([Bal("BTC", D("1.4")), Bal("USDT", D(950))]))
    assert [(d.asset, d.tracked, d.exchange) for d in diffs] == [("BTC", D("1.5"), D("1.4"))]
    assert alarms == [diffs]
    assert t.position("BTCUSDT").quantity == D("1.4")  # type: ignore[union-attr]


def test_decode_signal_lines() -> None:
    s = decode_signal(
        '{"kind": "order", "symbol": "BTCUSDT", "side": "BUY", "quantity": "0.01", "price": 60000}'
    )
    assert isinstance(s, OrderSignal) and s.order_type is OrderType.LIMIT and s.price == D(60000)
    t = decode_signal(b'{"kind": "target", "symbol": "BTCUSDT", "target_notional": "100.5"}')
    assert isinstance(t, TargetPosition) and t.target_notional == D("100.5")
    for bad in (
        '{"kind": "order", "symbol": "BTCUSDT", "side": "BUY"}',
        '{"kind": "order", "symbol": "BTCUSDT", "side": "HOLD", "quantity": 1}',
        '{"kind": "target", "symbol": "X", "target_quantity": 1, "target_notional": 2}',
        '{"kind": "order", "symbol": "BTCUSDT", "side": "BUY", "quote_quantity": 1, "price": 1}',
        "not json",
    ):
        with pytest.raises(Exception, match=r".") as info:
            decode_signal(bad)
        assert type(info.value).__module__ == "msgspec"


@pytest.fixture
async def executor(tmp_path: Path) -> AsyncIterator[tuple[Executor, FakeOrderClient]]:
    client = FakeOrderClient()
    journal = Journal(tmp_path / "j.sqlite")
    om = OrderManager(SpotVenue(client), journal, poll_interval_s=3600)
    await om.start()

    async def account() -> Account:
        return Account(
            maker_commission=0, taker_commission=0, buyer_commission=0, seller_commission=0, can_trade=True,
            can_withdraw=False, can_deposit=True, update_time=0, account_type="SPOT",
            balances=[AssetBalance(asset="BTC", free=D("0.01"), locked=D(0))],
        )  # fmt: skip

    client.account = account  # type: ignore[attr-defined]
    yield Executor(client, om, om.positions, om.risk, strategy="ex"), client
    await om.close()
    journal.close()


async def test_run_jsonl_skips_bad_lines_and_reaches_targets(
    executor: tuple[Executor, FakeOrderClient],
) -> None:
    ex, _client = executor
    lines = [
        '{"kind": "order", "symbol": "BTCUSDT", "side": "BUY", "quantity": "0.001", "price": "29900"}\n',
        "{broken\n",
        "\n",
        '{"kind": "order", "symbol": "BTCUSDT", "side": "BUY", "quantity": "0.00001", "price": "29900"}\n',
        '{"kind": "target", "symbol": "BTCUSDT", "target_quantity": "0.025"}\n',
    ]
    stats = await ex.run_jsonl(lines)
    assert stats.signals == 3
    assert len(stats.errors) == 2
    assert (
        stats.errors[0].startswith("line 2:")
        and "line 4" in stats.errors[1]
        and "NOTIONAL" in stats.errors[1]
    )
    limit_order, target_order = stats.orders
    # Target 0.025 from 0.01 held, with 0.001 already bid: buys the 0.014 left.
    assert target_order.intent.type == "MARKET" and target_order.intent.quantity == D("0.014")
    assert limit_order.state is OrderState.NEW
    # A lower target cancels the conflicting bid and sells down.
    (sell,) = await ex.submit(TargetPosition("BTCUSDT", target_quantity=D("0.005")))
    assert limit_order.state is OrderState.CANCELED
    assert sell.side is Side.SELL and sell.intent.quantity == D(
        "0.01898"
    )  # 0.023986 held after fees, on the lot step


async def _filled(
    manager: OrderManager, ex: LocalExchange, side: Side, price: str, qty: str, *, rest: bool
) -> ManagedOrder:
    """An ETHBTC order filled at ``price``: against resting liquidity at once (the FULL answer
    carries the fill), or resting and then hit (the stream or the poller's trades carry it)."""
    counter = (Side.SELL if side is Side.BUY else Side.BUY).value
    if not rest:
        ex.add_liquidity("ETHBTC", counter, price, qty)
    intent = OrderIntent("ETHBTC", side, OrderType.LIMIT, quantity=D(qty), price=D(price))
    order = await manager.submit(intent)
    if rest:
        ex.add_liquidity("ETHBTC", counter, price, qty)
    return order


@pytest.mark.timeout(30)
async def test_tracked_balances_equal_the_exchanges_whichever_way_fills_arrive(tmp_path: Path) -> None:
    """ETHBTC prices times quantities have nine decimals; the exchange books each trade's quote
    rounded down to eight. The tracker must move by that booked amount whether the fill came
    in the order's FULL answer, from the REST trades, or from the user data stream."""
    async with LocalExchange(market=False) as ex:
        ex.set_price("ETHBTC", "0.05123")
        ex.state.config.streams.legacy_listen_key = True  # the listenKey stream below
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as client:
            positions = PositionTracker()
            manager = OrderManager(SpotVenue(client), Journal(tmp_path / "j.sqlite"), positions=positions,
                                   risk=RiskManager(RiskLimits(require_ip_restriction=False)),
                                   poll_interval_s=3600, stale_after_s=0)

            def reports_only(item: UserDataItem) -> None:
                # Balance events would overwrite the tracked balances with the exchange's and
                # hide the tracker's own arithmetic, which is what is checked here.
                if isinstance(item, ExecutionReport):
                    manager.on_execution_report(item)

            async with manager:
                positions.load_account(await client.account())
                full = await _filled(manager, ex, Side.BUY, "0.05123", "0.0123", rest=False)
                trades = await _filled(manager, ex, Side.SELL, "0.05131", "0.0077", rest=True)
                await manager.poll_once()
                async with ListenKeyUserData(client, ex.ws_url, backoff_base_s=0.05, on_event=reports_only):
                    streamed = await _filled(manager, ex, Side.BUY, "0.05127", "0.0131", rest=True)
                    await streamed.wait_final(timeout=10)
                journal = manager.journal
                fills = [f for o in (full, trades, streamed) for f in journal.fills(o.client_order_id)]
                assert [f.source for f in fills] == ["ack", "trades", "stream"]
                trades_booked = ex.state.engine.my_trades(ex.account, "ETHBTC", limit=10)
                booked = {t.trade_id: t.quote_qty for t in trades_booked}
                assert [f.last_quote for f in fills] == [booked[f.trade_id or 0] for f in fills]
                exchange = {a: free + locked for a, (free, locked) in ex.balances().items()}
                assert {a: positions.balance(a).total for a in ("ETH", "BTC")} == {
                    a: exchange[a] for a in ("ETH", "BTC")
                }
            manager.journal.close()
