"""The futures user data stream over a real WebSocket: a listenKey from REST, the routed
private endpoint, ORDER_TRADE_UPDATE for each order change (TRADE_LITE before a fill's) then
ACCOUNT_UPDATE (reason ORDER) for the fill, decoded with the shared structs; keepalive and
close as Binance answers them."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import msgspec

from tests.sim.futures.futures_helpers import WALLET, futures_exchange, order
from tradeexec.binance.models.futures_events import (
    FuturesAccountUpdate,
    FuturesUserEvent,
    OrderTradeUpdate,
    TradeLite,
)

WAIT = 10.0


async def test_a_fill_pushes_order_updates_then_the_account_update() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        key = (await api.request("POST", "/fapi/v1/listenKey", headers={"X-MBX-APIKEY": ex.api_key})).body[
            "listenKey"
        ]
        async with api.session.ws_connect(f"{ex.ws_url}/private/ws/{key}") as ws:
            await order(api, "BTCUSDT", "BUY", "0.1")
            events = []
            while len(events) < 4:
                msg = await asyncio.wait_for(ws.receive_str(), WAIT)
                events.append(msgspec.json.decode(msg, type=FuturesUserEvent))
    new, lite, trade, account = events
    assert isinstance(new, OrderTradeUpdate) and isinstance(trade, OrderTradeUpdate)
    # TRADE_LITE, the fill's low-latency copy, comes before the fill's ORDER_TRADE_UPDATE.
    assert isinstance(lite, TradeLite)
    assert (lite.order_id, lite.trade_id) == (trade.order.order_id, trade.order.trade_id)
    assert (lite.last_filled_qty, lite.last_filled_price, lite.is_maker) == (D("0.1"), D("60000"), False)
    assert (new.order.execution_type, new.order.order_status) == ("NEW", "NEW")
    assert (trade.order.execution_type, trade.order.order_status) == ("TRADE", "FILLED")
    assert trade.order.last_filled_qty == D("0.1") and trade.order.last_filled_price == D("60000")
    assert trade.order.commission == D("3")  # 6,000 * 0.0005
    assert trade.order.position_side == "BOTH" and trade.order.realized_profit == 0
    assert isinstance(account, FuturesAccountUpdate) and account.account.reason == "ORDER"
    (balance,) = account.account.balances
    assert balance.wallet_balance == WALLET - D("3")
    (pos,) = account.account.positions
    assert (pos.symbol, pos.position_amt, pos.entry_price, pos.margin_type) == (
        "BTCUSDT",
        D("0.1"),
        D("60000"),
        "cross",
    )


async def test_listen_key_lifecycle() -> None:
    async with futures_exchange() as (ex, api):
        headers = {"X-MBX-APIKEY": ex.api_key}
        first = (await api.request("POST", "/fapi/v1/listenKey", headers=headers)).body["listenKey"]
        again = (await api.request("POST", "/fapi/v1/listenKey", headers=headers)).body["listenKey"]
        assert first == again and len(first) == 64  # one active key per account
        assert (await api.request("PUT", "/fapi/v1/listenKey", headers=headers)).body == {}
        assert (await api.request("DELETE", "/fapi/v1/listenKey", headers=headers)).body == {}
        gone = await api.request("PUT", "/fapi/v1/listenKey", headers=headers)
        assert gone.body == {"code": -1125, "msg": "This listenKey does not exist."}
        refused = await api.session.get(f"{ex.rest_url}/private/ws/{first}")
        assert refused.status == 400
