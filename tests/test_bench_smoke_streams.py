"""The stream benchmarks (cases 3 and 7) with a tiny N and no peers, so they cannot rot; the
exchange runs in a child process as in a real run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bench import case_memory, case_streams
from bench.common import Result, ServerInfo, exchange_process

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerInfo]:
    with exchange_process() as info:
        yield info


def _by(results: list[Result], metric: str) -> dict[tuple[str, str], float]:
    return {(r.case, r.impl): r.median for r in results if r.metric == metric}


def test_stream_throughput_case(server: ServerInfo) -> None:
    results = case_streams.run(server, 300, rounds=1, peers=False)
    impls = {"tradeexec (callback)", "tradeexec (async for)", "raw aiohttp + msgspec"}
    cases = {case_streams.CASE_DEPTH, case_streams.CASE_TRADE}
    assert {(r.case, r.impl) for r in results} == {(c, i) for c in cases for i in impls}
    assert all(v > 0 for v in _by(results, "messages/s").values())
    assert all(v > 0 for v in _by(results, "client CPU/message").values())
    # Every client got every message: the firehose waits for slow readers, nothing is lost.
    assert set(_by(results, "messages lost").values()) == {0.0}


def test_memory_case(server: ServerInfo) -> None:
    results = case_memory.run(server, 3000)
    assert {r.impl for r in results} == {f"tradeexec ({m}), 3,000 messages" for m in case_memory.MODES}
    lost = [r.median for r in results if r.metric == "messages lost"]
    assert lost == [0.0, 0.0]
    peaks = [r.median for r in results if r.metric == "peak RSS"]
    assert all(10 < p < 1000 for p in peaks)
    growth = [r.median for r in results if r.metric.startswith("RSS growth after first 300")]
    assert len(growth) == 2 and all(abs(g) < 50 for g in growth)
