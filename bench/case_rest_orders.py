"""Case 1: signed order round trips. Each round places N resting LIMIT GTC buys, then
cancels them (2N signed requests); sequentially for every client, and with 32 requests in
flight for the asynchronous ones."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.clients import AsyncClient, AsyncFactory, SyncClient, async_factories, sync_clients
from bench.common import Result, Sample, ServerInfo, Stopwatch, request_results

CASE_SEQ = "1a signed orders, sequential"
CASE_PAR = "1b signed orders, 32 in flight"
# MAX_NUM_ORDERS is 200 per symbol: a round never holds more open orders than that.
MAX_N = 200


def _round_sync(c: SyncClient, n: int) -> Sample:
    with Stopwatch() as sw:
        ids = [c.place() for _ in range(n)]
        for oid in ids:
            c.cancel(oid)
    return sw.sample


async def _all(n: int, inflight: int, op: Any, args: list[Any] | None = None) -> list[Any]:
    """Run ``op`` n times with at most ``inflight`` calls outstanding."""
    out: list[Any] = [None] * n
    next_i = 0

    async def worker() -> None:
        nonlocal next_i
        while next_i < n:
            i = next_i
            next_i += 1
            out[i] = await (op() if args is None else op(args[i]))

    await asyncio.gather(*(worker() for _ in range(min(inflight, n))))
    return out


async def _round_async(c: AsyncClient, n: int, inflight: int) -> Sample:
    with Stopwatch() as sw:
        if inflight == 1:
            ids = [await c.place() for _ in range(n)]
            for oid in ids:
                await c.cancel(oid)
        else:
            ids = await _all(n, inflight, c.place)
            await _all(n, inflight, c.cancel, ids)
    return sw.sample


async def run_rounds(
    c: AsyncClient, n: int, rounds: int, case_seq: str = CASE_SEQ, case_par: str = CASE_PAR
) -> list[Result]:
    """A warm-up round trip, then ``rounds`` sequential rounds and ``rounds`` with 32 in
    flight; the client is closed after."""
    try:
        await c.cancel(await c.place())  # warm-up: connection, exchangeInfo, markets
        seq = [await _round_async(c, n, 1) for _ in range(rounds)]
        par = [await _round_async(c, n, 32) for _ in range(rounds)]
    finally:
        await c.close()
    return request_results(case_seq, c.name, c.kind, seq, 2 * n) + request_results(
        case_par, c.name, c.kind, par, 2 * n
    )


async def _run_async(factory: AsyncFactory, server: ServerInfo, n: int, rounds: int) -> list[Result]:
    return await run_rounds(await factory(server), n, rounds)


def run(server: ServerInfo, n: int, rounds: int) -> list[Result]:
    n = min(n, MAX_N)
    results: list[Result] = []
    for factory in async_factories():
        results += asyncio.run(_run_async(factory, server, n, rounds))
    for c in sync_clients(server):
        try:
            c.cancel(c.place())
            samples = [_round_sync(c, n) for _ in range(rounds)]
        finally:
            c.close()
        results += request_results(CASE_SEQ, c.name, c.kind, samples, 2 * n)
    return results
