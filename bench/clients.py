"""Every client under test behind the same four calls: place a resting LIMIT GTC buy,
cancel it, ticker/price, depth(limit=100). Peers are used as their users use them, each
pointed at the local exchange the way ``BINANCE-NOW.md`` describes; every answer is decoded
the way the library decodes it by default."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec

from bench.common import CCXT_SYMBOL, ORDER_PRICE, ORDER_QTY, SYMBOL, Kind, ServerInfo


@dataclass(slots=True)
class SyncClient:
    name: str
    kind: Kind
    place: Callable[[], Any]
    cancel: Callable[[Any], None]
    ticker: Callable[[], None]
    depth: Callable[[], None]
    close: Callable[[], None]


@dataclass(slots=True)
class AsyncClient:
    name: str
    kind: Kind
    place: Callable[[], Awaitable[Any]]
    cancel: Callable[[Any], Awaitable[None]]
    ticker: Callable[[], Awaitable[None]]
    depth: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# ---- synchronous peers -------------------------------------------------------------------------


def python_binance_sync(server: ServerInfo) -> SyncClient:
    from binance.client import Client

    c = Client(server.api_key, server.api_secret, ping=False)
    c.API_URL = f"{server.rest_url}/api"
    return SyncClient(
        "python-binance (sync)",
        "peer",
        lambda: c.create_order(
            symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity=ORDER_QTY, price=ORDER_PRICE
        )["orderId"],
        lambda oid: c.cancel_order(symbol=SYMBOL, orderId=oid),
        lambda: c.get_symbol_ticker(symbol=SYMBOL),
        lambda: c.get_order_book(symbol=SYMBOL, limit=100),
        c.close_connection,
    )


def binance_connector(server: ServerInfo) -> SyncClient:
    from binance.spot import Spot

    c = Spot(server.api_key, server.api_secret, base_url=server.rest_url)
    return SyncClient(
        "binance-connector",
        "peer",
        lambda: c.new_order(
            symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity=ORDER_QTY, price=ORDER_PRICE
        )["orderId"],
        lambda oid: c.cancel_order(SYMBOL, orderId=oid),
        lambda: c.ticker_price(SYMBOL),
        lambda: c.depth(SYMBOL, limit=100),
        c.session.close,
    )


def sync_clients(server: ServerInfo) -> list[SyncClient]:
    out = []
    if installed("binance.client"):
        out.append(python_binance_sync(server))
    if installed("binance.spot"):
        out.append(binance_connector(server))
    return out


# ---- asynchronous clients ----------------------------------------------------------------------


async def tradeexec_client(server: ServerInfo) -> AsyncClient:
    from tradeexec.binance import BinanceClient

    c = BinanceClient(server.api_key, server.api_secret, base_url=server.rest_url)
    await c.open()
    # Like ccxt's load_markets: exchangeInfo gives the client the exchange's rate limits (lifted
    # here); without it the client paces itself to Binance's default 6000 weight per minute.
    await c.rules()
    qty, price = Decimal(ORDER_QTY), Decimal(ORDER_PRICE)

    async def place() -> int:
        order = await c.new_order(SYMBOL, "BUY", "LIMIT", quantity=qty, price=price, time_in_force="GTC")
        return order.order_id

    async def cancel(oid: int) -> None:
        await c.cancel_order(SYMBOL, order_id=oid)

    async def ticker() -> None:
        await c.ticker_price(SYMBOL)

    async def depth() -> None:
        await c.depth(SYMBOL, limit=100)

    return AsyncClient("tradeexec", "tradeexec", place, cancel, ticker, depth, c.close)


async def python_binance_async(server: ServerInfo) -> AsyncClient:
    from binance.async_client import AsyncClient as PbAsyncClient

    c = PbAsyncClient(server.api_key, server.api_secret)
    c.API_URL = f"{server.rest_url}/api"

    async def place() -> int:
        r = await c.create_order(
            symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity=ORDER_QTY, price=ORDER_PRICE
        )
        return int(r["orderId"])

    async def cancel(oid: int) -> None:
        await c.cancel_order(symbol=SYMBOL, orderId=oid)

    async def ticker() -> None:
        await c.get_symbol_ticker(symbol=SYMBOL)

    async def depth() -> None:
        await c.get_order_book(symbol=SYMBOL, limit=100)

    return AsyncClient("python-binance (async)", "peer", place, cancel, ticker, depth, c.close_connection)


async def ccxt_async(server: ServerInfo) -> AsyncClient:
    import ccxt.async_support as ccxt_mod

    c = ccxt_mod.binance(
        {
            "apiKey": server.api_key,
            "secret": server.api_secret,
            "enableRateLimit": False,
            "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
        }
    )
    api = c.urls["api"]
    api["public"] = api["private"] = f"{server.rest_url}/api/v3"
    api["sapi"] = f"{server.rest_url}/sapi/v1"
    await c.load_markets()
    qty, price = float(ORDER_QTY), float(ORDER_PRICE)

    async def place() -> str:
        r = await c.create_order(CCXT_SYMBOL, "limit", "buy", qty, price)
        return str(r["id"])

    async def cancel(oid: str) -> None:
        await c.cancel_order(oid, CCXT_SYMBOL)

    async def ticker() -> None:
        # ccxt has no unified call for ticker/price; its implicit API is how users reach it.
        await c.public_get_ticker_price({"symbol": SYMBOL})

    async def depth() -> None:
        await c.fetch_order_book(CCXT_SYMBOL, 100)

    return AsyncClient("ccxt (async)", "peer", place, cancel, ticker, depth, c.close)


class _OrderId(msgspec.Struct):
    orderId: int


_decode_order_id = msgspec.json.Decoder(_OrderId).decode
_decode_any = msgspec.json.Decoder().decode


async def raw_aiohttp(server: ServerInfo) -> AsyncClient:
    """The practical limit: one session, hand-signed HMAC query strings, msgspec decoding
    only what the caller needs."""
    return await raw_signed(server, "/api/v3", ORDER_PRICE)


async def raw_signed(server: ServerInfo, prefix: str, price: str) -> AsyncClient:
    """The raw baseline against one product's paths (``/api/v3`` spot, ``/fapi/v1`` USDT-M
    futures), buying at ``price``."""
    session = aiohttp.ClientSession(headers={"X-MBX-APIKEY": server.api_key})
    secret = server.api_secret.encode()
    base = server.rest_url

    async def signed(method: str, path: str, params: dict[str, str | int]) -> bytes:
        query = urlencode({**params, "timestamp": time.time_ns() // 1_000_000})
        sig = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
        async with session.request(method, f"{base}{path}?{query}&signature={sig}") as resp:
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{resp.status}: {body[:200]!r}")
            return body

    async def place() -> int:
        order = {
            "symbol": SYMBOL,
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": ORDER_QTY,
        }
        body = await signed("POST", f"{prefix}/order", {**order, "price": price})
        return _decode_order_id(body).orderId

    async def cancel(oid: int) -> None:
        _decode_any(await signed("DELETE", f"{prefix}/order", {"symbol": SYMBOL, "orderId": oid}))

    async def public(path: str, params: dict[str, str | int]) -> None:
        async with session.get(f"{base}{path}", params=params) as resp:
            _decode_any(await resp.read())

    async def ticker() -> None:
        await public(f"{prefix}/ticker/price", {"symbol": SYMBOL})

    async def depth() -> None:
        await public(f"{prefix}/depth", {"symbol": SYMBOL, "limit": 100})

    return AsyncClient("raw aiohttp + msgspec", "baseline", place, cancel, ticker, depth, session.close)


AsyncFactory = Callable[[ServerInfo], Awaitable[AsyncClient]]


def async_factories() -> list[AsyncFactory]:
    out: list[AsyncFactory] = [tradeexec_client, raw_aiohttp]
    if installed("binance.async_client"):
        out.append(python_binance_async)
    if installed("ccxt"):
        out.append(ccxt_async)
    return out
