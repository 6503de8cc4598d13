"""python-binance's ``futures_*`` methods, unmodified, on the local USDT-M futures: only its
futures base URL is moved (``FUTURES_URL``), and the socket layer refuses anything off this
machine. The synchronous client runs in a thread so that the exchange keeps serving."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.compat.loopback import loopback_only
from tests.sim.futures.futures_helpers import futures_exchange

pytestmark = pytest.mark.compat


async def test_python_binance_futures_leverage_order_position_and_close() -> None:
    from binance.client import Client

    async with futures_exchange() as (ex, _):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59900", "1")

        def run() -> dict[str, Any]:
            client = Client(ex.api_key, ex.api_secret, ping=False)
            client.FUTURES_URL = f"{ex.rest_url}/fapi"
            out: dict[str, Any] = {"info": client.futures_exchange_info()}
            out["leverage"] = client.futures_change_leverage(symbol="BTCUSDT", leverage=10)
            out["margin"] = client.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED")
            out["open"] = client.futures_create_order(
                symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.1", newOrderRespType="RESULT"
            )
            out["position"] = client.futures_position_information(symbol="BTCUSDT")
            out["close"] = client.futures_create_order(
                symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.1", reduceOnly="true"
            )
            out["balance"] = client.futures_account_balance()
            out["trades"] = client.futures_account_trades(symbol="BTCUSDT")
            return out

        with loopback_only():
            out = await asyncio.to_thread(run)
    assert {s["symbol"] for s in out["info"]["symbols"]} == {"BTCUSDT", "ETHUSDT"}
    assert out["leverage"]["leverage"] == 10 and out["margin"]["code"] == 200
    assert out["open"]["status"] == "FILLED"
    (pos,) = out["position"]
    assert Decimal(pos["positionAmt"]) == Decimal("0.1") and Decimal(pos["isolatedWallet"]) == Decimal("600")
    assert out["close"]["reduceOnly"] is True
    # 0.1 bought at 60,000 and sold at 59,900: -10 realized, fees 3 + 2.995.
    (usdt,) = out["balance"]
    assert Decimal(usdt["balance"]) == Decimal("10000") - Decimal("10") - Decimal("5.995")
    assert [Decimal(t["realizedPnl"]) for t in out["trades"]] == [Decimal("0"), Decimal("-10")]
