"""Case 2: public calls, N sequential ticker/price and N depth(limit=100) requests per
round, against a book 100 levels deep on each side."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bench.clients import AsyncFactory, async_factories, sync_clients
from bench.common import Result, Sample, ServerInfo, Stopwatch, request_results

CASE_TICKER = "2a ticker/price"
CASE_DEPTH = "2b depth limit=100"


async def _rounds_async(op: Callable[[], Awaitable[None]], n: int, rounds: int) -> list[Sample]:
    out = []
    for _ in range(rounds):
        with Stopwatch() as sw:
            for _ in range(n):
                await op()
        out.append(sw.sample)
    return out


def _rounds_sync(op: Callable[[], None], n: int, rounds: int) -> list[Sample]:
    out = []
    for _ in range(rounds):
        with Stopwatch() as sw:
            for _ in range(n):
                op()
        out.append(sw.sample)
    return out


async def _run_async(factory: AsyncFactory, server: ServerInfo, n: int, rounds: int) -> list[Result]:
    c = await factory(server)
    try:
        await c.ticker()
        await c.depth()
        ticker = await _rounds_async(c.ticker, n, rounds)
        depth = await _rounds_async(c.depth, n, rounds)
    finally:
        await c.close()
    return request_results(CASE_TICKER, c.name, c.kind, ticker, n) + request_results(
        CASE_DEPTH, c.name, c.kind, depth, n
    )


def run(server: ServerInfo, n: int, rounds: int) -> list[Result]:
    results: list[Result] = []
    for factory in async_factories():
        results += asyncio.run(_run_async(factory, server, n, rounds))
    for c in sync_clients(server):
        try:
            c.ticker()
            c.depth()
            ticker = _rounds_sync(c.ticker, n, rounds)
            depth = _rounds_sync(c.depth, n, rounds)
        finally:
            c.close()
        results += request_results(CASE_TICKER, c.name, c.kind, ticker, n)
        results += request_results(CASE_DEPTH, c.name, c.kind, depth, n)
    return results
