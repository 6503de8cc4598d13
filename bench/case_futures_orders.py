"""Case 8: USDT-M futures signed order round trips, the futures twin of case 1. Each round
places N resting LIMIT GTC buys on the futures BTCUSDT book and cancels them (2N signed
requests to ``/fapi/v1/order``); sequentially, then with 32 in flight. tradeexec's futures
calls beside python-binance's (``futures_create_order``), ccxt's ``binanceusdm`` and the raw
aiohttp baseline, each pointed at the local exchange as its users would. The buys rest 3%
under the futures mark: inside the contract's PERCENT_PRICE band, far from any ask."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Awaitable, Callable
from decimal import Decimal

from tests.compat.loopback import point_urls_at

from bench.case_rest_orders import MAX_N, run_rounds
from bench.clients import AsyncClient, installed, raw_signed
from bench.common import ORDER_QTY, SYMBOL, Result, ServerInfo

CASE_SEQ = "8a futures signed orders, sequential"
CASE_PAR = "8b futures signed orders, 32 in flight"
CCXT_FUTURES_SYMBOL = "BTC/USDT:USDT"
FuturesFactory = Callable[[ServerInfo, str], Awaitable[AsyncClient]]


def _order_price(server: ServerInfo) -> str:
    """3% under the futures mark, on the contract's 0.10 tick."""
    with urllib.request.urlopen(f"{server.rest_url}/fapi/v1/premiumIndex?symbol={SYMBOL}", timeout=10) as r:
        mark = Decimal(json.loads(r.read())["markPrice"])
    return str((mark * Decimal("0.97")).quantize(Decimal("0.1")))


async def _nothing() -> None:
    """Case 8 times orders only: the ticker and depth calls are case 2's."""


async def tradeexec_futures(server: ServerInfo, price: str) -> AsyncClient:
    from tradeexec.binance import BinanceClient

    c = BinanceClient(server.api_key, server.api_secret, base_url=server.rest_url)
    await c.open()
    await c.futures_exchange_info()  # as ccxt's load_markets does
    qty, limit = Decimal(ORDER_QTY), Decimal(price)

    async def place() -> int:
        order = await c.futures_new_order(
            SYMBOL, "BUY", "LIMIT", quantity=qty, price=limit, time_in_force="GTC"
        )
        return order.order_id

    async def cancel(oid: int) -> None:
        await c.futures_cancel_order(SYMBOL, order_id=oid)

    return AsyncClient("tradeexec", "tradeexec", place, cancel, _nothing, _nothing, c.close)


async def python_binance_futures(server: ServerInfo, price: str) -> AsyncClient:
    from binance.async_client import AsyncClient as PbAsyncClient

    c = PbAsyncClient(server.api_key, server.api_secret)
    c.FUTURES_URL = f"{server.rest_url}/fapi"

    async def place() -> int:
        r = await c.futures_create_order(
            symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity=ORDER_QTY, price=price
        )
        return int(r["orderId"])

    async def cancel(oid: int) -> None:
        await c.futures_cancel_order(symbol=SYMBOL, orderId=oid)

    return AsyncClient(
        "python-binance (async)", "peer", place, cancel, _nothing, _nothing, c.close_connection
    )


async def ccxt_usdm(server: ServerInfo, price: str) -> AsyncClient:
    import ccxt.async_support as ccxt_mod

    c = ccxt_mod.binanceusdm(
        {"apiKey": server.api_key, "secret": server.api_secret, "enableRateLimit": False}
    )
    # Every URL of its tree, not only the futures ones: its load_markets also reads spot and
    # margin lists, which must never leave this machine.
    c.urls = point_urls_at(c.urls, server.rest_url, server.ws_url)
    await c.load_markets()
    qty, limit = float(ORDER_QTY), float(price)

    async def place() -> str:
        r = await c.create_order(CCXT_FUTURES_SYMBOL, "limit", "buy", qty, limit)
        return str(r["id"])

    async def cancel(oid: str) -> None:
        await c.cancel_order(oid, CCXT_FUTURES_SYMBOL)

    return AsyncClient("ccxt (async)", "peer", place, cancel, _nothing, _nothing, c.close)


async def raw_futures(server: ServerInfo, price: str) -> AsyncClient:
    return await raw_signed(server, "/fapi/v1", price)


def factories() -> list[FuturesFactory]:
    out: list[FuturesFactory] = [tradeexec_futures, raw_futures]
    if installed("binance.async_client"):
        out.append(python_binance_futures)
    if installed("ccxt"):
        out.append(ccxt_usdm)
    return out


async def _run(make: FuturesFactory, server: ServerInfo, price: str, n: int, rounds: int) -> list[Result]:
    return await run_rounds(await make(server, price), n, rounds, CASE_SEQ, CASE_PAR)


def run(server: ServerInfo, n: int, rounds: int) -> list[Result]:
    n = min(n, MAX_N)
    price = _order_price(server)
    results: list[Result] = []
    for make in factories():
        results += asyncio.run(_run(make, server, price, n, rounds))
    return results
