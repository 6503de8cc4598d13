"""The spot emergency stop sells a default account's whole balance on the default synthetic
market, through the real client and the real local exchange, close to the mid.

On a market of five thin levels a side the stop's MARKET sells of 1 BTC swept the book and
expired mostly unfilled; the market must be deep enough that flattening a normal account is
one order per asset, filled within the stop's own price band (``max_slippage_bps`` below the
best bid, 0.5 % by default) of where the market was."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.emergency import emergency_stop
from tradeexec.execution.emergency_sell import DEFAULT_MAX_SLIPPAGE_BPS
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.sim.config import DEFAULT_BALANCES

ASSETS = ("BTC", "ETH", "BNB")
BAND = DEFAULT_MAX_SLIPPAGE_BPS / 10_000
DRIFT = Decimal("0.003")  # how far the mid may move (a jump is 0.2 %) between reading it and the stop


async def test_emergency_stop_flattens_default_balances_near_the_mid() -> None:
    async with LocalExchange(SimConfig.default()) as ex:
        engine = ex.state.engine
        # Only wait for the books: a symbol that has not traded yet shows a ticker price of 0,
        # which the stop must not take for "worthless" (it values holdings at the best bid).
        async with asyncio.timeout(20):
            while any(engine.book_ticker(f"{a}USDT")[0] == 0 for a in ASSETS):
                await asyncio.sleep(0.02)
        bids = {a: engine.book_ticker(f"{a}USDT")[0] for a in ASSETS}
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=3.0) as client:
            stop = emergency_stop(SpotVenue(client), flatten_assets=list(ASSETS))
            report = await asyncio.wait_for(stop, 30)
        assert report.ok, report.lines()
        balances = ex.balances()
        for asset in ASSETS:
            symbol = f"{asset}USDT"
            free, locked = balances[asset]
            assert free + locked == 0, (asset, free, locked)
            fills = engine.my_trades(ex.account, symbol)
            assert sum(f.qty for f in fills) == DEFAULT_BALANCES[asset]
            # one LIMIT IOC per asset was enough: the book took the whole balance
            assert len({f.order_id for f in fills}) == 1, asset
            worst = min(f.price for f in fills)
            assert worst >= bids[asset] * (1 - BAND - DRIFT), (asset, worst, bids[asset])
        assert ex.balances()["USDT"][0] > DEFAULT_BALANCES["USDT"]


def test_the_demo_and_the_soak_run_on_the_default_market() -> None:
    """The properties measured in test_market_shape hold where the demo and the soak trade:
    their exchanges use the default market (the soak steps it twice as often, same shape)."""
    from tests.soak.harness import SoakSettings, _config
    from tradeexec.sim.config import MarketConfig
    from tradeexec.strategy.products import product_of
    from tradeexec.strategy.session import _local_config

    demo = _local_config(product_of("spot")).market
    assert not demo.futures  # the spot demo leaves the futures books unquoted: its CPU is spot's
    assert dataclasses.replace(demo, futures=True) == MarketConfig()
    assert _local_config(product_of("usdm")).market == MarketConfig()  # the futures demo quotes both
    soak = _config(SoakSettings(intents=1))[0].market
    assert dataclasses.replace(soak, interval_s=MarketConfig().interval_s) == MarketConfig()
    assert soak.enabled
