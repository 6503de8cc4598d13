"""The account's leverage and margin type per symbol (``GET /fapi/v1/symbolConfig``) reach
the core even when another program set them: a position opened by raw signed requests, then
a fresh ``FuturesVenue`` and ``OrderManager``: the leg carries the exchange's leverage and
margin type before the first order, and the ``max_leverage`` limit judges it; a change made
while the user stream was down is known after the reconnect."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import msgspec
import pytest

from tests.binance.futures.futures_venue_helpers import futures_venue
from tests.binance.futures.venue_stream_helpers import next_item
from tests.sim.futures.futures_helpers import futures_exchange
from tests.sim.wire_contract_helpers import decodes_completely
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.binance.models.futures_positions import FuturesSymbolConfig
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskLimitExceeded, RiskLimits, RiskManager
from tradeexec.venue.positions import MarginMode, PositionLeg, RecoveredPositions
from tradeexec.venue.stream import LinkState, StreamLink
from tradeexec.venue.vocab import OrderType, Side

BOTH = PositionLeg.BOTH
WAIT = 15.0


async def test_symbol_config_states_each_symbols_settings_whoever_set_them(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (_ex, client, _venue):
        untouched = {c.symbol: c for c in await client.futures_symbol_config()}
        await client.futures_change_leverage("ETHUSDT", 33)
        await client.futures_change_margin_type("ETHUSDT", "ISOLATED")
        (eth,) = await client.futures_symbol_config("ETHUSDT")
        brackets = await client.futures_leverage_brackets("ETHUSDT")
    assert {"BTCUSDT", "ETHUSDT"} <= set(untouched)
    btc = untouched["BTCUSDT"]
    assert (btc.margin_type, btc.leverage, btc.auto_add_margin) == ("CROSSED", 20, False)
    assert (eth.symbol, eth.margin_type, eth.leverage) == ("ETHUSDT", "ISOLATED", 33)
    # The maximum notional is the widest bracket open at that leverage (as POST leverage says).
    caps = [b.notional_cap for b in brackets[0].brackets if b.initial_leverage >= 33]
    assert eth.max_notional_value == max(caps) and isinstance(eth.max_notional_value, D)


async def test_symbol_config_is_the_documented_shape_and_loses_no_key() -> None:
    async with futures_exchange() as (_ex, api):
        every = (await api.signed("GET", "/fapi/v1/symbolConfig")).body
        one = (await api.signed("GET", "/fapi/v1/symbolConfig", {"symbol": "BTCUSDT"})).body
        wrong = await api.signed("GET", "/fapi/v1/symbolConfig", {"symbol": "NOPEUSDT"})
    assert decodes_completely(msgspec.json.encode(every), list[FuturesSymbolConfig]) == []
    # One symbol is still a list; the documentation writes the flag as the text "false".
    assert [r["symbol"] for r in one] == ["BTCUSDT"] and one[0]["isAutoAddMargin"] == "false"
    assert wrong.body["code"] == -1121


def _manager(venue: FuturesVenue, tmp_path: Path, max_leverage: D) -> OrderManager:
    limits = RiskLimits(
        require_ip_restriction=False, max_orders_per_second=None, default_max_leverage=max_leverage
    )
    return OrderManager(
        venue, Journal(tmp_path / "j.sqlite"), strategy="cfg",
        risk=RiskManager(limits), positions=PositionTracker(),
    )  # fmt: skip


async def test_a_position_opened_elsewhere_carries_the_exchanges_leverage_and_margin_type(
    tmp_path: Path,
) -> None:
    async with futures_venue(tmp_path) as (ex, client, _venue):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "2")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59000", "2")
        ex.futures_add_liquidity("ETHUSDT", "SELL", "3000", "5")
        # Another program (raw signed requests, no venue): an isolated 50x long, 3x on ETH.
        await client.futures_change_margin_type("BTCUSDT", "ISOLATED")
        await client.futures_change_leverage("BTCUSDT", 50)
        await client.futures_change_leverage("ETHUSDT", 3)
        await client.futures_new_order("BTCUSDT", "BUY", "MARKET", quantity="0.1")

        venue = FuturesVenue(client)  # a fresh process: it set nothing itself
        om = _manager(venue, tmp_path, D(20))
        await om.start()
        try:
            btc = om.positions.legs.leg("BTCUSDT", BOTH)
            assert (btc.quantity, btc.leverage, btc.margin_mode) == (D("0.1"), D(50), MarginMode.ISOLATED)
            assert venue.known_leverage("ETHUSDT") == D(3)  # a flat symbol: no position read names it
            # 50x is over the limit of 20: growing the long is refused before anything is sent.
            with pytest.raises(RiskLimitExceeded) as refused:
                await om.submit(
                    OrderIntent("BTCUSDT", Side.BUY, OrderType.MARKET, quantity=D("0.01"), position_leg=BOTH)
                )
            assert refused.value.limit == "max_leverage" and "leverage is 50" in str(refused.value)
            # Shrinking it is never refused; the 3x flat symbol opens within the limit.
            await om.submit(
                OrderIntent(
                    "BTCUSDT", Side.SELL, OrderType.MARKET, quantity=D("0.05"),
                    reduce_only=True, position_leg=BOTH,
                )
            )  # fmt: skip
            eth = await om.submit(
                OrderIntent("ETHUSDT", Side.BUY, OrderType.MARKET, quantity=D("1"), position_leg=BOTH)
            )
            assert eth.intent.symbol == "ETHUSDT"
        finally:
            await om.close()
            om.journal.close()
        paths = [p for _m, p in client.paths]
        assert paths.count("/fapi/v1/symbolConfig") == 1  # once at start, not per order


async def test_settings_changed_while_the_stream_was_down_are_read_after_the_reconnect(
    tmp_path: Path,
) -> None:
    async with futures_venue(tmp_path) as (ex, client, venue):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await venue.set_leverage("BTCUSDT", 7)
        await client.futures_new_order("BTCUSDT", "BUY", "MARKET", quantity="0.2")
        assert [p.leverage for p in await venue.positions()] == [D(7)]
        stream = venue.user_stream(backoff_base_s=0.05)
        await stream.start()
        try:
            # The key lapses (60 minutes without a keepalive) and the stream goes down; meanwhile
            # another program moves BTC to 12x and ETH to isolated 4x.
            ex.state.clock.advance(61 * 60 * 1000)
            down = LinkState.DISCONNECTED
            await next_item(stream, lambda i: isinstance(i, StreamLink) and i.state is down)
            await client.futures_change_leverage("BTCUSDT", 12)
            await client.futures_change_leverage("ETHUSDT", 4)
            await client.futures_change_margin_type("ETHUSDT", "ISOLATED")
            recovered = await next_item(stream, lambda i: isinstance(i, RecoveredPositions))
        finally:
            await stream.close()
    assert isinstance(recovered, RecoveredPositions)
    assert [(p.symbol, p.leverage) for p in recovered.positions] == [("BTCUSDT", D(12))]
    assert venue.known_leverage("ETHUSDT") == D(4)
    assert stream.margin_modes["ETHUSDT"] is MarginMode.ISOLATED

