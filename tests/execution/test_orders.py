"""Order manager logic against the minimal fake client (see fakes.py) and a real journal."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import ExecutionType, OrderStatus, OrderType, Side, TimeInForce
from tradeexec.binance.errors import OrderRejected
from tradeexec.binance.models import MyTrade, Order
from tradeexec.binance.venue import SpotVenue
from tradeexec.errors import InvalidParameter, OrderRejectedLocally
from tradeexec.execution.journal.records import RequestKind
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.ids import CLIENT_ORDER_ID_RE, make_client_order_id
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent, checked, rounded
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.risk import RiskLimitExceeded, RiskLimits, RiskManager

from .fakes import FakeOrderClient, report

D = Decimal


# ---- client order IDs ---------------------------------------------------------------------


def test_client_order_id_format() -> None:
    cid = make_client_order_id(
        "tsmom", "BTCUSDT", now=datetime(2026, 2, 8, 12, 0, tzinfo=UTC), token="a1b2c3d4"
    )
    # The safety guide's own example is 37 characters, one over Binance's limit.
    assert len("tsmom_BTCUSDT_20260208120000_a1b2c3d4") == 37
    assert cid == "tsmo_BTCUSDT_20260208120000_a1b2c3d4" and len(cid) == 36
    assert make_client_order_id("ts", "ETHBTC", now=datetime(2026, 2, 8, tzinfo=UTC), token="00000000") == (
        "ts_ETHBTC_20260208000000_00000000"
    )


def test_client_order_id_shortens_strategy_then_symbol() -> None:
    now = datetime(2026, 2, 8, 12, 0, tzinfo=UTC)
    cid = make_client_order_id("mean_reversion_v2", "BTC/USDT", now=now, token="0000ffff")
    assert cid == "mean_BTCUSDT_20260208120000_0000ffff"
    assert len(make_client_order_id("s", "ABCDEFGHIJKLMNOP", now=now, token="0000ffff")) == 36
    assert make_client_order_id("s", "ABCDEFGHIJKLMNOP", now=now, token="0000ffff").startswith(
        "s_ABCDEFGHIJ_"
    )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=40), st.datetimes(timezones=st.just(UTC)))
def test_client_order_id_always_valid(strategy: str, symbol: str, now: datetime) -> None:
    cid = make_client_order_id(strategy, symbol, now=now)
    assert CLIENT_ORDER_ID_RE.fullmatch(cid), cid
    assert len(cid) <= 36
    parts = cid.rsplit("_", 2)
    assert parts[1] == now.strftime("%Y%m%d%H%M%S") and len(parts[2]) == 8


# ---- the manager --------------------------------------------------------------------------


@pytest.fixture
def client() -> FakeOrderClient:
    return FakeOrderClient()


@pytest.fixture
async def manager(client: FakeOrderClient, tmp_path: Path) -> AsyncIterator[OrderManager]:
    journal = Journal(tmp_path / "j.sqlite")
    om = OrderManager(
        SpotVenue(client), journal, strategy="t", poll_interval_s=3600, stale_after_s=0, resend_margin_ms=0
    )
    await om.start()
    yield om
    await om.close()
    journal.close()


def limit(qty: str = "0.001", price: str = "29000", **kw: object) -> OrderIntent:
    return OrderIntent("BTCUSDT", Side.BUY, OrderType.LIMIT, quantity=D(qty), price=D(price), **kw)  # type: ignore[arg-type]


async def test_submit_rounds_journals_and_sends(manager: OrderManager, client: FakeOrderClient) -> None:
    order = await manager.submit(limit("0.001239", "29000.019"))
    assert order.state is OrderState.NEW
    assert order.intent.quantity == D("0.00123") and order.intent.price == D("29000.01")
    sent = client.orders[order.client_order_id]
    assert sent.orig_qty == D("0.00123") and sent.price == D("29000.01")
    derived = manager.journal.state(order.client_order_id)
    assert derived is not None and derived.state is OrderState.NEW and derived.order_id == sent.order_id


async def test_too_small_is_refused_with_the_reason_and_not_sent(
    manager: OrderManager, client: FakeOrderClient
) -> None:
    with pytest.raises(OrderRejectedLocally) as info:
        await manager.submit(limit("0.0001", "29000"))  # 2.9 USDT < NOTIONAL 5
    assert info.value.rule == "NOTIONAL"
    assert client.place_calls == [] and manager.journal.intents() == []


async def test_risk_refusal_is_not_sent(client: FakeOrderClient, tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        om = OrderManager(SpotVenue(client), journal, risk=RiskManager(RiskLimits(max_order_notional=D(100))))
        await om.start()
        with pytest.raises(RiskLimitExceeded, match="max_order_notional"):
            await om.submit(limit("0.01", "29000"))
        await om.close()
    assert client.place_calls == []


async def test_exchange_rejection_is_journaled_and_raised(
    manager: OrderManager, client: FakeOrderClient
) -> None:
    client.place_faults.append("reject")
    with pytest.raises(OrderRejected):
        await manager.submit(limit())
    (intent,) = manager.journal.intents()
    assert manager.journal.state(intent.client_order_id).state is OrderState.REJECTED  # type: ignore[union-attr]


async def test_stream_updates_are_idempotent_and_never_move_back(
    manager: OrderManager, client: FakeOrderClient
) -> None:
    order = await manager.submit(limit("0.002", "29000"))
    cid = order.client_order_id
    part = client.fill(cid, D("0.0005"), D("29000"))
    full = client.fill(cid, D("0.0015"), D("29000"))
    assert manager.on_execution_report(full)
    assert not manager.on_execution_report(full)  # duplicate
    assert manager.on_execution_report(part)  # late, out of order: its fill counts, its status does not
    assert order.state is OrderState.FILLED
    assert await order.wait_final(1) is OrderState.FILLED
    assert order.executed_qty == D("0.002") and len(order.fills) == 2
    pos = manager.positions.position("BTCUSDT")
    assert pos is not None and pos.quantity == D("0.002") - D("0.002") / 1000  # fee paid in base
    stale_new = report(client.orders[cid], ExecutionType.NEW, status=OrderStatus.NEW, executed=D(0), time=1)
    manager.on_execution_report(stale_new)
    assert order.state is OrderState.FILLED
    assert [f.trade_id for f in manager.journal.fills(cid)] == [2, 1]


async def test_unknown_after_placement_is_resolved_by_lookup_not_resent(
    manager: OrderManager, client: FakeOrderClient
) -> None:
    client.place_faults.append("placed_unknown")
    order = await manager.submit(limit())
    assert order.state is OrderState.UNKNOWN
    await order._resolver  # type: ignore[misc]
    assert order.state is OrderState.NEW
    assert client.place_calls == [order.client_order_id]
    assert len(client.orders) == 1


async def test_lost_placement_is_resent_after_recv_window_with_the_same_id(
    manager: OrderManager, client: FakeOrderClient
) -> None:
    client.place_faults.append("lost_unknown")
    order = await manager.submit(limit(recv_window_ms=50))
    assert order.state is OrderState.UNKNOWN
    await order._resolver  # type: ignore[misc]
    assert order.state is OrderState.NEW
    assert client.place_calls == [order.client_order_id, order.client_order_id]
    assert len(client.orders) == 1
    reqs = manager.journal.requests(order.intent.id)
    places = [r for r in reqs if r.kind is RequestKind.PLACE]
    queries = [r for r in reqs if r.kind is RequestKind.QUERY]
    assert [r.attempt for r in places] == [1, 2]
    # The resend followed a lookup made after the first request's recvWindow had passed.
    assert any(q.sent_ms > places[0].sent_ms + 50 and q.id < places[1].id for q in queries)


async def test_cancel_of_a_lost_order_abandons_it_without_resending(
    manager: OrderManager, client: FakeOrderClient
) -> None:
    client.place_faults.append("lost_unknown")
    order = await manager.submit(limit(recv_window_ms=50))
    await manager.cancel(order.client_order_id)
    assert await order.wait_final(5) is OrderState.CANCELED
    assert client.place_calls == [order.client_order_id] and client.orders == {}
    assert manager.journal.state(order.client_order_id).state is OrderState.CANCELED  # type: ignore[union-attr]


async def test_cancel_and_cancel_all(manager: OrderManager, client: FakeOrderClient) -> None:
    a = await manager.submit(limit())
    b = await manager.submit(limit(price="28600"))
    assert (await manager.cancel(a.client_order_id)).state is OrderState.CANCELED
    assert (await manager.cancel(a.client_order_id)).state is OrderState.CANCELED  # idempotent
    await manager.cancel_all("BTCUSDT")
    assert b.state is OrderState.CANCELED and manager.open_orders() == []
    assert all(o.status is OrderStatus.CANCELED for o in client.orders.values())


async def test_cancel_of_a_filled_order_adopts_the_fill(
    manager: OrderManager, client: FakeOrderClient
) -> None:
    order = await manager.submit(limit())
    client.fill(order.client_order_id, D("0.001"), D("29000"))  # the stream missed it
    result = await manager.cancel(order.client_order_id)
    assert result.state is OrderState.FILLED
    assert await order.wait_final(1) is OrderState.FILLED and order.filled_qty == D("0.001")


async def test_replace_moves_the_remaining_quantity(manager: OrderManager, client: FakeOrderClient) -> None:
    old = await manager.submit(limit("0.002"))
    manager.on_execution_report(client.fill(old.client_order_id, D("0.0005"), D("29000")))
    new = await manager.replace(old.client_order_id, price=D("29100"))
    assert new is not None and old.state is OrderState.CANCELED
    assert new.intent.quantity == D("0.0015") and new.intent.price == D("29100")
    assert new.client_order_id != old.client_order_id


async def test_poller_catches_fills_the_stream_missed(manager: OrderManager, client: FakeOrderClient) -> None:
    order = await manager.submit(limit("0.002"))
    client.fill(order.client_order_id, D("0.0007"), D("29000"))
    client.fill(order.client_order_id, D("0.0013"), D("28999"))
    await manager.poll_once()
    assert await order.wait_final(1) is OrderState.FILLED
    assert [f.trade_id for f in order.fills] == [1, 2]
    pos = manager.positions.position("BTCUSDT")
    assert pos is not None and pos.quantity == D("0.002") * D("0.999")


async def test_poller_keeps_fetching_fills_of_a_finished_order_until_it_has_them(
    manager: OrderManager, client: FakeOrderClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = await manager.submit(OrderIntent("BTCUSDT", Side.BUY, OrderType.MARKET, quantity=D("0.001")))
    assert await done.wait_final(1) is OrderState.FILLED
    order = await manager.submit(limit("0.002"))
    client.fill(order.client_order_id, D("0.002"), D("29000"))  # the stream missed it
    asked: list[str] = []
    real_get_order, real_my_trades = client.get_order, client.my_trades

    async def get_order(symbol: str, **kw: Any) -> Order:
        asked.append(kw["orig_client_order_id"])
        return await real_get_order(symbol, **kw)

    async def trades_down(symbol: str, **kw: Any) -> list[MyTrade]:
        raise OSError("connection reset")

    monkeypatch.setattr(client, "get_order", get_order)
    monkeypatch.setattr(client, "my_trades", trades_down)
    await manager.poll_once()
    # The lookup saw it filled, but its fills could not be fetched: final, yet not done.
    assert order.state is OrderState.FILLED and order.fills == []
    monkeypatch.setattr(client, "my_trades", real_my_trades)
    await manager.poll_once()
    assert await order.wait_final(1) is OrderState.FILLED
    assert [f.last_qty for f in order.fills] == [D("0.002")]
    # Only the order in flight was looked up; the one long done was left alone.
    assert asked == [order.client_order_id]
    await manager.poll_once()
    assert asked == [order.client_order_id]


def test_well_formed_intent_passes_validation_as_it_is() -> None:
    venue = SpotVenue(FakeOrderClient())
    intent = OrderIntent("BTCUSDT", Side.BUY, OrderType.MARKET, quantity=D("0.001"))
    assert checked(intent, venue) is intent
    loose = OrderIntent("BTCUSDT", "SELL", "LIMIT", quantity="0.5", price=7, recv_window_ms=60_000)  # type: ignore[arg-type]
    fixed = checked(loose, venue)
    assert fixed.side is Side.SELL and fixed.type is OrderType.LIMIT
    assert fixed.time_in_force is TimeInForce.GTC
    assert (fixed.quantity, fixed.price, fixed.recv_window_ms) == (D("0.5"), D(7), 60_000)
    assert type(fixed.quantity) is D and type(fixed.price) is D
    for bad, field in (
        ({"quantity": 0.5}, "quantity"),
        ({"quantity": D("-1")}, "quantity"),
        ({"side": "HOLD"}, "side"),
        ({"recv_window_ms": 60_001}, "recvWindow"),
        ({"price": D(1)}, "price"),  # MARKET orders take no price
        ({"strategy": 3}, "strategy"),
    ):
        with pytest.raises(InvalidParameter) as err:
            checked(dataclasses.replace(intent, **bad), venue)
        assert err.value.field == field


async def test_market_order_fills_from_the_full_response(
    manager: OrderManager, client: FakeOrderClient
) -> None:
    order = await manager.submit(OrderIntent("BTCUSDT", Side.BUY, OrderType.MARKET, quantity=D("0.001")))
    assert await order.wait_final(1) is OrderState.FILLED
    assert order.avg_price == D("30000") and len(order.fills) == 1


async def test_reconcile_after_a_crash_settles_in_flight_intents(
    client: FakeOrderClient, tmp_path: Path
) -> None:
    path = tmp_path / "j.sqlite"
    # First life: one order sent whose answer never came back, one journaled but never sent.
    with Journal(path) as journal:
        om = OrderManager(SpotVenue(client), journal, strategy="t", resend_margin_ms=0)
        await om.start()
        client.place_faults.append("placed_unknown")
        sent = await om.submit(limit(recv_window_ms=50))
        assert sent._resolver is not None
        sent._resolver.cancel()  # killed before it could resolve
        await om.close()
        unsent = journal.record_intent(
            rounded(
                checked(limit(price="28600"), om.venue),
                (await client.rules())["BTCUSDT"],
                om.strategy,
                om._clock_ms(),
            )
        )
        stray = await client.new_order(
            "BTCUSDT",
            Side.SELL,
            OrderType.LIMIT,
            quantity=D("0.001"),
            price=D("40000"),
            time_in_force=TimeInForce.GTC,
            new_client_order_id="manual1",
        )
        assert stray.status is OrderStatus.NEW
    # Second life.
    with Journal(path) as journal:
        om = OrderManager(SpotVenue(client), journal, strategy="t", resend_margin_ms=0)
        rep = await om.start()
        assert rep is not None
        assert rep.settled[sent.client_order_id] == (OrderState.UNKNOWN, OrderState.NEW)
        assert unsent.client_order_id in rep.resent
        assert [o.client_order_id for o in rep.unmanaged_open_orders] == ["manual1"]
        assert client.place_calls.count(sent.client_order_id) == 1
        assert client.place_calls.count(unsent.client_order_id) == 1
        assert journal.in_flight() and {s.state for s in journal.in_flight()} == {OrderState.NEW}
        await om.close()
