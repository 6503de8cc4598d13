"""Case 8 over the futures WebSocket API: the same rounds as ``case_futures_orders`` (N
resting LIMIT GTC buys 3% under the futures mark, then their N cancels; sequential, then 32
in flight) sent by tradeexec's ``FuturesWsApi`` on one ``/ws-fapi/v1`` session logged on
with an Ed25519 key (``session.logon``), so no request is signed on its own. The rows carry
case 8's names, so the table sets them beside the REST rows (tradeexec's, python-binance's,
ccxt's) and their "x best peer" is the ratio to the best peer's REST futures order."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from bench.case_futures_orders import CASE_PAR, CASE_SEQ, _order_price
from bench.case_rest_orders import MAX_N
from bench.case_wsapi_orders import IMPL, round_trips
from bench.common import ORDER_QTY, SYMBOL, Result, Sample, ServerInfo, request_results
from tradeexec.binance import BinanceClient
from tradeexec.binance.net.auth import load_signer
from tradeexec.binance.ws.futures_wsapi import FuturesWsApi


class FuturesOrders:
    """The two calls a round makes, bound to one logged-on futures session."""

    def __init__(self, api: FuturesWsApi, price: str) -> None:
        self.api = api
        self.qty = Decimal(ORDER_QTY)
        self.price = Decimal(price)

    async def place(self) -> int:
        order = await self.api.futures_place_order(
            SYMBOL, "BUY", "LIMIT", quantity=self.qty, price=self.price, time_in_force="GTC"
        )
        return order.order_id

    async def cancel(self, order_id: int) -> None:
        await self.api.futures_cancel_order(SYMBOL, order_id=order_id)


async def _run(server: ServerInfo, price: str, n: int, rounds: int) -> tuple[list[Sample], list[Sample]]:
    signer = load_signer(private_key=server.ed25519_private_pem)
    url = f"{server.ws_url}/ws-fapi/v1"
    # The session shares the REST client's fapi budgets, which exchangeInfo set to the
    # exchange's (lifted) limits, as the REST rows' client does.
    async with BinanceClient(server.api_key, server.api_secret, base_url=server.rest_url) as rest:
        await rest.futures_exchange_info()
        client = FuturesWsApi(url, server.ed25519_api_key, signer, limiter=rest.transport.limiter("fapi"))
        async with client as api:
            return await round_trips(api, FuturesOrders(api, price), n, rounds)


def run(server: ServerInfo, n: int, rounds: int) -> list[Result]:
    n = min(n, MAX_N)
    seq, par = asyncio.run(_run(server, _order_price(server), n, rounds))
    note = "Ed25519 session.logon, RESULT responses"
    return request_results(CASE_SEQ, IMPL, "tradeexec", seq, 2 * n, note) + request_results(
        CASE_PAR, IMPL, "tradeexec", par, 2 * n, note
    )
