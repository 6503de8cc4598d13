"""Case 5: the local exchange's matching engine, in-process (no I/O), and signed REST order
placements over loopback (tradeexec client, 32 in flight, exchange in its own process)."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

from bench.case_rest_orders import MAX_N, _all
from bench.clients import tradeexec_client
from bench.common import Result, Sample, ServerInfo, Stopwatch
from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.sim.engine import Engine, OrderRequest, SymbolSpec

CASE_ENGINE = "5a engine, in-process"
CASE_REST = "5b REST order placement, loopback"


def order_flow(n: int, seed: int = 7) -> list[tuple[str, OrderRequest]]:
    """A seeded mix of LIMIT GTC orders within 10 ticks of the mid: about half rest, half
    trade against the book, so matching, fills and book upkeep are all exercised."""
    rng = random.Random(seed)
    mid = 30000
    flow = []
    for _ in range(n):
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        price = Decimal(mid + rng.randint(-10, 10))
        qty = Decimal(rng.randint(1, 20)) / 1000
        account = "a" if rng.random() < 0.5 else "b"
        flow.append(
            (
                account,
                OrderRequest(
                    "BTCUSDT", side, OrderType.LIMIT, quantity=qty, price=price, time_in_force=TimeInForce.GTC
                ),
            )
        )
    return flow


def engine_round(n: int) -> tuple[Sample, int]:
    """Orders through a fresh engine; returns the sample and the number of fills."""
    engine = Engine([SymbolSpec("BTCUSDT", "BTC", "USDT")])
    for account in ("a", "b"):
        engine.create_account(account, {"BTC": Decimal(10**6), "USDT": Decimal(10**12)})
    flow = order_flow(n)
    fills = 0
    with Stopwatch() as sw:
        for i, (account, req) in enumerate(flow):
            fills += len(engine.place(account, req, now_ms=1_000 + i).fills)
    return sw.sample, fills


async def _rest_rounds(server: ServerInfo, n: int, rounds: int) -> list[Sample]:
    c = await tradeexec_client(server)
    out = []
    try:
        await c.cancel(await c.place())
        for _ in range(rounds):
            with Stopwatch() as sw:
                ids = await _all(n, 32, c.place)
            out.append(sw.sample)
            await _all(n, 32, c.cancel, ids)
    finally:
        await c.close()
    return out


def run(server: ServerInfo, n: int, rounds: int) -> list[Result]:
    engine_n = n * 25
    engine = [engine_round(engine_n) for _ in range(rounds)]
    fills = engine[0][1]
    rest = asyncio.run(_rest_rounds(server, min(n, MAX_N), rounds))
    rest_n = min(n, MAX_N)
    return [
        Result(
            CASE_ENGINE,
            "tradeexec.sim engine",
            "tradeexec",
            "orders/s",
            "1/s",
            True,
            [engine_n / s.wall_s for s, _ in engine],
            f"{engine_n} LIMIT orders, {fills} fills",
        ),
        Result(
            CASE_REST,
            "tradeexec client -> local exchange",
            "tradeexec",
            "orders/s",
            "1/s",
            True,
            [rest_n / s.wall_s for s in rest],
            "32 in flight",
        ),
    ]
