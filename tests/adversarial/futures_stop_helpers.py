"""Helpers for the futures emergency stop's tests: a quiet local exchange serving /fapi, a
``FuturesVenue`` over a real client (no journal, no order manager), positions opened and
orders left resting by the test, and the exchange's own record of what the stop did.

Everything the tests hold the report against is read from the exchange over its REST API
(a signing test client), never from the venue under test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

from tests.sim.conftest import Api
from tests.sim.futures.futures_helpers import futures_exchange
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.execution.emergency import EmergencyReport, SellSettings
from tradeexec.sim import LocalExchange

# Short pauses between passes: the tests' books do not refill by themselves.
FAST = SellSettings(pass_delay_s=0.02)
WALLET = D("100000")


@dataclass
class Desk:
    ex: LocalExchange
    api: Api
    venue: FuturesVenue

    async def fapi(self, method: str, path: str, **params: Any) -> Any:
        reply = await self.api.signed(method, path, params)
        assert reply.status == 200, reply.body
        return reply.body

    async def order(self, symbol: str, side: str, qty: str, **extra: Any) -> Any:
        return await self.fapi("POST", "/fapi/v1/order", symbol=symbol, side=side, quantity=qty, **extra)

    async def market(self, symbol: str, side: str, qty: str, leg: str | None = None) -> None:
        extra = {"positionSide": leg} if leg else {}
        placed = await self.order(symbol, side, qty, type="MARKET", newOrderRespType="RESULT", **extra)
        assert placed["status"] == "FILLED", placed

    async def stop_order(self, symbol: str, side: str, qty: str, trigger: str, leg: str | None = None) -> Any:
        params = {"symbol": symbol, "side": side, "algoType": "CONDITIONAL", "type": "STOP_MARKET",
                  "quantity": qty, "triggerPrice": trigger, "workingType": "MARK_PRICE"}  # fmt: skip
        params |= {"positionSide": leg} if leg else {"reduceOnly": "true"}
        return await self.fapi("POST", "/fapi/v1/algoOrder", **params)

    async def legs(self) -> dict[str, D]:
        """Every non-flat leg, ``"SYMBOL SIDE"`` to its signed quantity, from positionRisk."""
        rows = await self.fapi("GET", "/fapi/v3/positionRisk")
        return {
            f"{r['symbol']} {r['positionSide']}": D(r["positionAmt"]) for r in rows if D(r["positionAmt"])
        }

    async def leftovers(self) -> tuple[list[Any], list[Any], dict[str, D]]:
        """(open orders, open algo orders, non-flat legs), as the exchange lists them."""
        orders = await self.fapi("GET", "/fapi/v1/openOrders")
        algos = await self.fapi("GET", "/fapi/v1/openAlgoOrders")
        return orders, algos, await self.legs()

    async def stop_record(self, symbol: str) -> tuple[list[Any], list[Any]]:
        """(the stop's orders, their trades) on ``symbol``, from the exchange's record."""
        orders = await self.fapi("GET", "/fapi/v1/allOrders", symbol=symbol)
        mine = [o for o in orders if o["clientOrderId"].startswith("emer")]
        ids = {o["orderId"] for o in mine}
        trades = await self.fapi("GET", "/fapi/v1/userTrades", symbol=symbol)
        return mine, [t for t in trades if t["orderId"] in ids]


@asynccontextmanager
async def desk(*, hedge: bool = False, retry_base_delay: float = 0.02) -> AsyncIterator[Desk]:
    """A local exchange with no synthetic market (the futures book holds only what a test puts
    in it), a 100,000 USDT wallet, one-way or hedge mode, and the venue over a real client."""
    async with futures_exchange(WALLET) as (ex, api):
        if hedge:
            assert (
                await api.signed("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})
            ).status == 200
        async with BinanceClient(
            ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=3.0, retry_base_delay=retry_base_delay
        ) as client:
            yield Desk(ex, api, FuturesVenue(client))


def book(ex: LocalExchange, symbol: str, side: str, *levels: tuple[str, str]) -> None:
    """Resting house orders at (price, quantity) levels."""
    for price, qty in levels:
        ex.futures_add_liquidity(symbol, side, price, qty)


async def assert_report_is_the_record(desk: Desk, report: EmergencyReport, key: str) -> None:
    """The report's figures for leg ``key`` ("BTCUSDT LONG") equal the exchange's trades of
    the stop's orders on that leg, to the last unit."""
    symbol, leg = key.split()
    orders, trades = await desk.stop_record(symbol)
    on_leg = {o["orderId"] for o in orders if o["positionSide"] == leg}
    trades = [t for t in trades if t["orderId"] in on_leg]
    close = report.closed[key]
    fees: dict[str, D] = {}
    for t in trades:
        fees[t["commissionAsset"]] = fees.get(t["commissionAsset"], D(0)) + D(t["commission"])
    assert close.quantity == sum((D(t["qty"]) for t in trades), D(0)), (key, report.lines())
    assert close.proceeds == sum((D(t["quoteQty"]) for t in trades), D(0))
    assert close.realized_pnl == sum((D(t["realizedPnl"]) for t in trades), D(0))
    assert close.fees == {a: v for a, v in fees.items() if v}
    assert close.orders == len(on_leg)
    assert {o["side"] for o in orders if o["positionSide"] == leg} == {close.side}
