"""Case 7: memory while tradeexec consumes a long stream. A child process (so that nothing
the benchmark itself loaded is counted) reads N firehose messages, depth diffs and trades
alternating on one combined connection, and reports its resident set size after the first
tenth of them (100,000 of a million) and at the end, and its peak. A client that keeps
nothing per message ends where it was after the first tenth.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.case_streams import DEPTH_STREAM, ROUND_TIMEOUT_S, TRADE_STREAM, drain, until_disconnected
from bench.common import Result, ServerInfo
from tradeexec.sim.binance.ws_firehose import firehose_url

CASE = "7 memory"
MODES = ("callback", "async for")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_MIB = 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def peak_rss_bytes() -> int:
    """This process's high-water RSS. Not ``getrusage``'s ru_maxrss: Linux carries that across
    exec from the forking parent, so a child of a 280 MiB benchmark reported 280 MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


class Sampler:
    """The user callback: counts, and reads RSS once at the checkpoint."""

    __slots__ = ("checkpoint", "count", "done", "expected", "rss_at_checkpoint")

    def __init__(self, expected: int, done: Callable[[], None]) -> None:
        self.expected = expected
        self.checkpoint = max(expected // 10, 1)
        self.count = 0
        self.rss_at_checkpoint = 0
        self.done = done

    def __call__(self, event: Any) -> None:
        self.count += 1
        if self.count == self.checkpoint:
            self.rss_at_checkpoint = rss_bytes()
        if self.count == self.expected:
            self.done()


async def consume(base: str, n: int, mode: str) -> dict[str, int]:
    """In the child: read ``n`` messages; the figures, in bytes."""
    from tradeexec.binance.ws.streams import MarketStream

    streams = [DEPTH_STREAM, TRADE_STREAM]
    done = asyncio.Event()
    sampler = Sampler(n, done.set)
    rss_start = rss_bytes()
    if mode == "callback":
        async with MarketStream(base, streams, on_event=sampler, on_state=until_disconnected(done)) as stream:
            await asyncio.wait_for(done.wait(), ROUND_TIMEOUT_S)
            dropped = stream.dropped
    else:
        async with MarketStream(base, streams) as stream:
            await drain(stream, sampler, done.is_set)
            dropped = stream.dropped
    return {
        "delivered": sampler.count,
        "dropped": dropped,
        "rss_start": rss_start,
        "rss_checkpoint": sampler.rss_at_checkpoint,
        "rss_end": rss_bytes(),
        "rss_peak": peak_rss_bytes(),
    }


def measure(server: ServerInfo, n: int, mode: str) -> dict[str, int]:
    """One child process: its figures."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root / "src"), str(root), env.get("PYTHONPATH")) if p)
    base = firehose_url(server.ws_url, n)
    out = subprocess.run(
        [sys.executable, "-m", "bench.case_memory", base, str(n), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=ROUND_TIMEOUT_S + 30,
        check=True,
    )
    figures: dict[str, int] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def run(server: ServerInfo, n: int) -> list[Result]:
    results: list[Result] = []
    for mode in MODES:
        f = measure(server, n, mode)
        impl = f"tradeexec ({mode}), {n:,} messages"
        note = f"RSS at start {f['rss_start'] / _MIB:.1f} MiB; dropped by the overflow policy: {f['dropped']}"
        results += [
            Result(CASE, impl, "tradeexec", "peak RSS", "MiB", False, [f["rss_peak"] / _MIB], note),
            Result(
                CASE,
                impl,
                "tradeexec",
                f"RSS growth after first {max(n // 10, 1):,}",
                "MiB",
                False,
                [(f["rss_end"] - f["rss_checkpoint"]) / _MIB],
                note,
            ),
            Result(
                CASE, impl, "tradeexec", "messages lost", "msgs", False, [float(n - f["delivered"])], note
            ),
        ]
    return results


if __name__ == "__main__":  # the child: python -m bench.case_memory <firehose base> <n> <mode>
    print(json.dumps(asyncio.run(consume(sys.argv[1], int(sys.argv[2]), sys.argv[3]))))
