"""Reading the exchange's record of a run back (``tradeexec.demo.exchange``) from a real local
exchange: every page of ``allOrders`` and ``myTrades``, only the run's own orders and the
emergency stop's, and a clear "not read" instead of a failed run when the exchange is gone."""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from types import SimpleNamespace

import pytest

import tradeexec.demo.exchange as demo_exchange
from tradeexec.binance.client import BinanceClient
from tradeexec.demo.exchange import fetch_exchange_record
from tradeexec.demo.figures import run_figures
from tradeexec.execution.orders.ids import make_client_order_id
from tradeexec.sim import LocalExchange

pytestmark = pytest.mark.timeout(60)


async def test_every_page_and_only_the_runs_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_exchange, "_PAGE", 2)  # six orders: three pages of allOrders
    started_ms = int(time.time() * 1000)
    async with LocalExchange(market=False) as ex:
        for _ in range(7):
            ex.add_liquidity("BTCUSDT", "SELL", "60000", "0.001")
        ours = [make_client_order_id("demo", "BTCUSDT") for _ in range(4)]
        stop = make_client_order_id("emergency", "BTCUSDT")
        other = make_client_order_id("someone", "BTCUSDT")
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url) as client:
            placed = []
            for cid, qty in zip(ours, ("0.001", "0.002", "0.001", "0.001"), strict=True):
                done = await client.new_order(
                    "BTCUSDT", "BUY", "MARKET", quantity=Decimal(qty), new_client_order_id=cid
                )
                placed.append(SimpleNamespace(client_order_id=cid, symbol="BTCUSDT", order_id=done.order_id))
            placed[2].order_id = None  # its answer was lost: found from the first id known
            limit = {"price": Decimal("50000"), "time_in_force": "GTC"}
            await client.new_order(
                "BTCUSDT", "BUY", "LIMIT", quantity=Decimal("0.001"), new_client_order_id=other, **limit
            )
            await client.new_order(
                "BTCUSDT", "BUY", "MARKET", quantity=Decimal("0.001"), new_client_order_id=stop
            )
            symbols = ["BTCUSDT", "ETHUSDT"]
            record = await fetch_exchange_record(client, symbols, placed, started_ms, stop_ran=True)  # type: ignore[arg-type]
            no_stop = await fetch_exchange_record(client, symbols, placed, started_ms, stop_ran=False)  # type: ignore[arg-type]
    assert record is not None
    assert [o.client_order_id for o in record.orders] == [*ours, stop]
    assert no_stop is not None and [o.client_order_id for o in no_stop.orders] == ours
    assert len(record.trades) == 6  # 1 + 2 + 1 + 1 of ours, 1 of the stop's; none of the other's
    assert len({t.id for t in record.trades}) == 6
    by_order = {o.order_id: o.executed_qty for o in record.orders}
    for order_id, executed in by_order.items():
        assert sum((t.qty for t in record.trades if t.order_id == order_id), Decimal(0)) == executed


async def test_an_unreachable_exchange_gives_no_record_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ex = LocalExchange(market=False)
    await ex.start()
    async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as client:
        await ex.stop()  # the exchange goes away after the run has traded
        with caplog.at_level(logging.WARNING, logger="tradeexec.demo.exchange"):
            assert await fetch_exchange_record(client, ["BTCUSDT"], [], 0, stop_ran=True) is None
    assert "could not read the exchange's record of the run" in caplog.text
    assert ex.api_secret not in caplog.text


async def test_orders_with_the_same_id_on_two_symbols_keep_their_own_trades() -> None:
    """Binance numbers orders per symbol: BTCUSDT's order 2 and ETHUSDT's order 2 are two
    orders, and neither may count the other's fills."""
    async with LocalExchange(market=False) as ex:
        ex.add_liquidity("BTCUSDT", "SELL", "60000", "0.01")  # order 1 on each symbol
        ex.add_liquidity("ETHUSDT", "SELL", "3000", "0.5")
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url) as client:
            placed = []
            for symbol, qty in (("BTCUSDT", "0.002"), ("ETHUSDT", "0.3")):
                cid = make_client_order_id("demo", symbol)
                done = await client.new_order(
                    symbol, "BUY", "MARKET", quantity=Decimal(qty), new_client_order_id=cid
                )
                placed.append(SimpleNamespace(client_order_id=cid, symbol=symbol, order_id=done.order_id))
            record = await fetch_exchange_record(client, ["BTCUSDT", "ETHUSDT"], placed, 0, stop_ran=False)  # type: ignore[arg-type]
    assert record is not None and placed[0].order_id == placed[1].order_id  # the same number, twice
    figures = run_figures(record.orders, record.trades, {}, quote="USDT", equity=[])
    assert [(o.symbol, o.executed_qty, len(o.trades)) for o in figures.orders] == [
        ("BTCUSDT", Decimal("0.002"), 1), ("ETHUSDT", Decimal("0.3"), 1),
    ]  # fmt: skip
    assert [record.client_order_id(t) for t in record.trades] == [p.client_order_id for p in placed]
