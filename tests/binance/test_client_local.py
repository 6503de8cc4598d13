"""End to end through the local exchange: place, query, fill, cancel, account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderStatus
from tradeexec.errors import OrderRejectedLocally
from tradeexec.sim import LocalExchange


@pytest.fixture
async def exchange() -> AsyncIterator[LocalExchange]:
    async with LocalExchange(market=False) as ex:
        ex.set_price("BTCUSDT", "30000")
        yield ex


@pytest.fixture
async def client(exchange: LocalExchange, tmp_path: Path) -> AsyncIterator[BinanceClient]:
    (tmp_path / "empty.toml").touch()
    async with BinanceClient(
        exchange.api_key, exchange.api_secret, base_url=exchange.rest_url, config_path=tmp_path / "empty.toml"
    ) as c:
        yield c


async def test_place_query_cancel(client: BinanceClient) -> None:
    rules = (await client.rules())["BTCUSDT"]
    price = rules.round_price(Decimal("27000.123"))
    placed = await client.new_order(
        "BTCUSDT", "BUY", "LIMIT", quantity="0.001", price=price, time_in_force="GTC"
    )
    assert placed.status is OrderStatus.NEW and placed.price == Decimal("27000.12")
    queried = await client.get_order("BTCUSDT", orig_client_order_id=placed.client_order_id)
    assert queried.order_id == placed.order_id and queried.is_working
    assert [o.order_id for o in await client.open_orders("BTCUSDT")] == [placed.order_id]
    canceled = await client.cancel_order("BTCUSDT", order_id=placed.order_id)
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.orig_client_order_id == placed.client_order_id
    assert await client.open_orders("BTCUSDT") == []


async def test_market_order_fills_against_liquidity(exchange: LocalExchange, client: BinanceClient) -> None:
    exchange.add_liquidity("BTCUSDT", "SELL", "30000", "1")
    before = {b.asset: b.free for b in (await client.account()).balances}
    filled = await client.new_order("BTCUSDT", "BUY", "MARKET", quantity="0.01")
    assert filled.status is OrderStatus.FILLED
    assert sum(f.qty for f in filled.fills) == Decimal("0.01")
    after = {b.asset: b.free for b in (await client.account()).balances}
    fee = sum(f.commission for f in filled.fills if f.commission_asset == "BTC")
    assert after["BTC"] - before["BTC"] == Decimal("0.01") - fee
    trades = await client.my_trades("BTCUSDT")
    assert trades and trades[-1].order_id == filled.order_id


async def test_filters_agree_with_the_exchange(client: BinanceClient) -> None:
    with pytest.raises(OrderRejectedLocally) as info:
        await client.new_order(
            "BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="27000.001", time_in_force="GTC"
        )
    assert info.value.rule == "PRICE_FILTER"
    # Sent anyway, the exchange refuses with the same filter.
    with pytest.raises(Exception) as remote:
        await client.new_order(
            "BTCUSDT",
            "BUY",
            "LIMIT",
            quantity="0.001",
            price="27000.001",
            time_in_force="GTC",
            validate=False,
        )
    assert "PRICE_FILTER" in str(remote.value)


async def test_orders_read_fresh_rules_without_reloading_and_reload_stale_ones(client: BinanceClient) -> None:
    def weight() -> int:
        return next(u.used for u in client.rate_limit_usage()["api"] if u.interval == "1M")

    await client.rules()
    order = {"quantity": "0.001", "price": "20000", "time_in_force": "GTC"}
    before = weight()
    await client.new_order("BTCUSDT", "BUY", "LIMIT", **order)  # type: ignore[arg-type]
    assert weight() - before == 1  # the order alone: the cached rules were read as they are
    client.exchange_info_ttl = 0.0  # every cached exchangeInfo is now stale
    before = weight()
    await client.new_order("BTCUSDT", "BUY", "LIMIT", **order)  # type: ignore[arg-type]
    assert weight() - before == 1 + 20  # exchangeInfo (weight 20) was loaded again first
