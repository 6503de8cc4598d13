"""Case 5: the local exchange's matching engine, in-process (no I/O), and signed REST order
placements over loopback (tradeexec client, 32 in flight, exchange in its own process)."""

from __future__ import annotations

import asyncio
import random
import sys
from decimal import Decimal
from types import FrameType, ModuleType
from typing import Any

from bench import baseline_engine
from bench.case_rest_orders import MAX_N, _all
from bench.clients import tradeexec_client
from bench.common import Result, Sample, ServerInfo, Stopwatch
from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.sim import engine as current_engine

CASE_ENGINE = "5a engine, in-process"
CASE_REST = "5b REST order placement, loopback"


def order_flow(n: int, seed: int = 7, engine: ModuleType = current_engine) -> list[tuple[str, Any]]:
    """A seeded mix of LIMIT GTC orders within 10 ticks of the mid: about half rest, half
    trade against the book, so matching, fills and book upkeep are all exercised. ``engine``
    is the package whose ``OrderRequest`` carries them (today's or the baseline)."""
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
                engine.OrderRequest(
                    "BTCUSDT", side, OrderType.LIMIT, quantity=qty, price=price, time_in_force=TimeInForce.GTC
                ),
            )
        )
    return flow


def engine_round(n: int, package: ModuleType = current_engine) -> tuple[Sample, int]:
    """Orders through a fresh engine of ``package``; returns the sample and the number of fills."""
    engine = package.Engine([package.SymbolSpec("BTCUSDT", "BTC", "USDT")])
    for account in ("a", "b"):
        engine.create_account(account, {"BTC": Decimal(10**6), "USDT": Decimal(10**12)})
    flow = order_flow(n, engine=package)
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


def engine_rounds(n: int, rounds: int) -> list[Result]:
    """Today's engine and the baseline's, rounds interleaved so that both see the same
    machine load (the machine is shared: compare medians of one run, never across runs).
    Two metrics per engine from the same rounds: orders per wall second, and orders per
    second of this process's CPU time (less disturbed by the other processes of a busy
    machine)."""
    baseline = baseline_engine.load()
    samples: dict[str, list[Sample]] = {"tradeexec": [], "baseline": []}
    fills = old_fills = 0
    for _ in range(rounds):
        sample, fills = engine_round(n)
        samples["tradeexec"].append(sample)
        if baseline is not None:
            sample, old_fills = engine_round(n, baseline)
            samples["baseline"].append(sample)
    if samples["baseline"] and old_fills != fills:
        raise AssertionError(f"the engines disagree: {fills} fills today, {old_fills} at baseline")
    note = f"{n} LIMIT orders, {fills} fills"
    names = {
        "tradeexec": "tradeexec.sim engine",
        "baseline": f"engine at {baseline_engine.BASELINE_COMMIT} (same run)",
    }
    return [
        Result(
            CASE_ENGINE, names[kind], kind, metric, "1/s", True, [n / seconds(s) for s in samples[kind]], note
        )
        for metric, seconds in (("orders/s", _wall_s), ("orders/CPU-s", _cpu_s))
        for kind in ("tradeexec", "baseline")
        if samples[kind]
    ]


def _wall_s(sample: Sample) -> float:
    return sample.wall_s


def _cpu_s(sample: Sample) -> float:
    return sample.cpu_s


def bytecodes_per_order(n: int, package: ModuleType = current_engine) -> float:
    """Python bytecodes executed per ``place`` over the case's flow (``sys.settrace`` with
    opcode events): exact and independent of the machine's load, the figure to steer by
    on a shared machine. Slow (a trace call per bytecode): a few thousand orders at most."""
    engine = package.Engine([package.SymbolSpec("BTCUSDT", "BTC", "USDT")])
    for account in ("a", "b"):
        engine.create_account(account, {"BTC": Decimal(10**6), "USDT": Decimal(10**12)})
    flow = order_flow(n, engine=package)
    count = 0

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        frame.f_trace_opcodes = True
        count += event == "opcode"
        return trace

    sys.settrace(trace)
    try:
        for i, (account, req) in enumerate(flow):
            engine.place(account, req, now_ms=1_000 + i)
    finally:
        sys.settrace(None)
    return count / n


def run(server: ServerInfo, n: int, rounds: int) -> list[Result]:
    rest = asyncio.run(_rest_rounds(server, min(n, MAX_N), rounds))
    rest_n = min(n, MAX_N)
    return [
        *engine_rounds(n * 25, rounds),
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
