from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.models import Account, AssetBalance
from tradeexec.execution.journal import Journal, OrderState
from tradeexec.execution.orders import OrderManager
from tradeexec.execution.positions import BalanceDiff, PositionSide, PositionTracker
from tradeexec.execution.signals import Executor, OrderSignal, TargetPosition, decode_signal

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
    om = OrderManager(client, journal, poll_interval_s=3600)
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
