"""Every benchmark case with a tiny N, so the benchmarks cannot rot. Peers run when they are
importable (the ``compat`` extra); the exchange runs in a child process as in a real run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench import __main__ as bench_main
from bench import baseline_engine, case_engine, case_execution, case_public, case_rest_orders
from bench.clients import installed
from bench.common import Result, ServerInfo, exchange_process

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerInfo]:
    with exchange_process() as info:
        yield info


def _check(results: list[Result], cases: set[str]) -> None:
    assert {r.case for r in results} == cases
    for r in results:
        assert r.values and all(v > 0 for v in r.values), r
        assert min(r.values) <= r.median <= max(r.values)


def _impls(results: list[Result]) -> set[str]:
    return {r.impl for r in results}


def _expected_peers() -> set[str]:
    peers = {"tradeexec", "raw aiohttp + msgspec"}
    if installed("binance.client"):
        peers |= {"python-binance (async)", "python-binance (sync)"}
    if installed("binance.spot"):
        peers.add("binance-connector")
    if installed("ccxt"):
        peers.add("ccxt (async)")
    return peers


def test_rest_orders_case(server: ServerInfo) -> None:
    results = case_rest_orders.run(server, n=3, rounds=1)
    _check(results, {case_rest_orders.CASE_SEQ, case_rest_orders.CASE_PAR})
    assert _impls(results) == _expected_peers()
    # Each round cancels what it placed: nothing is left resting on the exchange.
    assert server.admin("/_sim/state")["openOrders"] == []


def test_public_case(server: ServerInfo) -> None:
    results = case_public.run(server, n=3, rounds=1)
    _check(results, {case_public.CASE_TICKER, case_public.CASE_DEPTH})
    assert _impls(results) == _expected_peers()


def test_engine_case(server: ServerInfo) -> None:
    results = case_engine.run(server, n=4, rounds=1)
    _check(results, {case_engine.CASE_ENGINE, case_engine.CASE_REST})
    sample, fills = case_engine.engine_round(200)
    assert fills > 0 and sample.wall_s > 0
    assert 100 < case_engine.bytecodes_per_order(50) < 100_000


def test_engine_case_runs_the_baseline_engine_beside() -> None:
    """5a reports today's engine and the one at the baseline commit from one run, and both
    agree on the fills of the same flow (engine_rounds raises if they do not)."""
    if baseline_engine.load() is None:
        pytest.skip(f"no git history with {baseline_engine.BASELINE_COMMIT} (e.g. a shallow clone)")
    results = case_engine.engine_rounds(300, 1)
    assert [(r.metric, r.kind) for r in results] == [
        (metric, kind) for metric in ("orders/s", "orders/CPU-s") for kind in ("tradeexec", "baseline")
    ]
    assert len({r.note for r in results}) == 1
    _check(results, {case_engine.CASE_ENGINE})


def test_execution_case() -> None:
    results = case_execution.run(n=10, rounds=1)
    assert {(r.impl, r.metric) for r in results} == {
        (f"OrderManager, durability={d}, {k} orders", m)
        for d, k in (("normal", 1), ("normal", 10), ("full", 1))
        for m in ("wall/order", "CPU/order")
    }
    _check(results, {case_execution.CASE})


def test_report_rendering(tmp_path: Path) -> None:
    results = [
        Result("c", "tradeexec", "tradeexec", "requests/s", "1/s", True, [90.0]),
        Result("c", "peer", "peer", "requests/s", "1/s", True, [100.0, 80.0, 120.0]),
        Result("c", "raw", "baseline", "requests/s", "1/s", True, [180.0]),
    ]
    table = bench_main.table(results)
    assert "| c | tradeexec | requests/s | 90.00 | 1/s | 0.90 | 0.50 |" in table
    md = tmp_path / "RESULTS.md"
    md.write_text(f"# notes before\n\n{bench_main.START}\nold\n{bench_main.END}\n\nnotes after\n")
    bench_main.write_markdown(md, bench_main.markdown(results, bench_main.environment(), "cmd", 1.0))
    text = md.read_text()
    assert "notes before" in text and "notes after" in text and "old" not in text
    assert "| c | peer | requests/s | 100 | 1/s | 1.00 | 0.56 |" in text
    json.dumps([r.to_json() for r in results])
