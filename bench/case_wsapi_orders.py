"""Case 1 over the WebSocket API: the same rounds as ``case_rest_orders`` (N resting LIMIT
GTC buys, then their N cancels; sequential, then 32 in flight) sent by tradeexec's
``WsApiClient`` on one session logged on with an Ed25519 key (``session.logon``), so no
request is signed on its own. The rows carry case 1's names, so the table sets them beside
the REST rows and their "x best peer" is the ratio to the best peer's REST order -- the
figure issue 7's target (at most 0.3) is about."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Protocol

from bench.case_rest_orders import CASE_PAR, CASE_SEQ, MAX_N, _all
from bench.common import (
    ORDER_PRICE,
    ORDER_QTY,
    SYMBOL,
    Result,
    Sample,
    ServerInfo,
    Stopwatch,
    request_results,
)
from tradeexec.binance import BinanceClient
from tradeexec.binance.enums import OrderResponseType
from tradeexec.binance.net.auth import load_signer
from tradeexec.binance.ws.wsapi import WsApiClient

IMPL = "tradeexec over WebSocket API"


class Orders:
    """The two calls a round makes, bound to one logged-on session."""

    def __init__(self, api: WsApiClient) -> None:
        self.api = api
        self.qty = Decimal(ORDER_QTY)
        self.price = Decimal(ORDER_PRICE)

    async def place(self) -> int:
        order = await self.api.place_order(
            SYMBOL,
            "BUY",
            "LIMIT",
            quantity=self.qty,
            price=self.price,
            time_in_force="GTC",
            new_order_resp_type=OrderResponseType.FULL,  # what the REST rows get by default
        )
        return order.order_id

    async def cancel(self, order_id: int) -> None:
        await self.api.cancel_order(SYMBOL, order_id=order_id)


class RoundTrips(Protocol):
    """A product's order and cancel on one logged-on session (spot's ``Orders``, futures')."""

    async def place(self) -> int: ...

    async def cancel(self, order_id: int) -> None: ...


async def _round(orders: RoundTrips, n: int, inflight: int) -> Sample:
    with Stopwatch() as sw:
        if inflight == 1:
            ids = [await orders.place() for _ in range(n)]
            for oid in ids:
                await orders.cancel(oid)
        else:
            ids = await _all(n, inflight, orders.place)
            await _all(n, inflight, orders.cancel, ids)
    return sw.sample


async def _run(server: ServerInfo, n: int, rounds: int) -> tuple[list[Sample], list[Sample]]:
    signer = load_signer(private_key=server.ed25519_private_pem)
    url = f"{server.ws_url}/ws-api/v3"
    # The session shares the REST client's budgets, which exchangeInfo set to the exchange's
    # (lifted) limits, as the REST rows' client does; the default budgets would pace orders.
    async with BinanceClient(server.api_key, server.api_secret, base_url=server.rest_url) as rest:
        await rest.rules()
        limiter = rest.transport.limiter("api")
        return await _rounds(WsApiClient(url, server.ed25519_api_key, signer, limiter=limiter), n, rounds)


async def _rounds(client: WsApiClient, n: int, rounds: int) -> tuple[list[Sample], list[Sample]]:
    async with client as api:
        return await round_trips(api, Orders(api), n, rounds)


async def round_trips(
    api: WsApiClient, orders: RoundTrips, n: int, rounds: int
) -> tuple[list[Sample], list[Sample]]:
    """A warm-up, then ``rounds`` sequential rounds and ``rounds`` with 32 in flight, on a
    session that must have logged on (else every request would be signed on its own)."""
    if not api.logged_on:
        raise RuntimeError("the WebSocket API session did not log on")
    await orders.cancel(await orders.place())  # warm-up
    seq = [await _round(orders, n, 1) for _ in range(rounds)]
    par = [await _round(orders, n, 32) for _ in range(rounds)]
    return seq, par


def run(server: ServerInfo, n: int, rounds: int) -> list[Result]:
    n = min(n, MAX_N)
    seq, par = asyncio.run(_run(server, n, rounds))
    note = "Ed25519 session.logon, FULL responses"
    return request_results(CASE_SEQ, IMPL, "tradeexec", seq, 2 * n, note) + request_results(
        CASE_PAR, IMPL, "tradeexec", par, 2 * n, note
    )
