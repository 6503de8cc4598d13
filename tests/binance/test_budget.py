"""The shared rate budget: limiters of one account in different processes charge one count."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from tests.binance.test_ratelimit import DAY, MIN, ORD, SEC, FakeTime, W, used
from tradeexec.binance.net.budget import FileBudget, budget_path, default_budget_dir, open_budget
from tradeexec.binance.net.ratelimit import RateLimiter, RateLimitRule
from tradeexec.errors import ConfigError

RULES = [
    RateLimitRule(W, MIN, 1, 100),
    RateLimitRule(ORD, SEC, 10, 10),
    RateLimitRule(ORD, DAY, 1, 1000),
]


def _pair(path: Path, t: FakeTime) -> tuple[RateLimiter, RateLimiter]:
    """Two limiters on two opens of one file: as two processes hold it."""
    return tuple(  # type: ignore[return-value]
        RateLimiter(RULES, clock=t.clock, sleep=t.sleep, store=FileBudget(path)) for _ in range(2)
    )


async def test_orders_and_weight_are_one_budget_for_two_limiters(tmp_path: Path) -> None:
    t = FakeTime(1_000_000.0)
    a, b = _pair(tmp_path / "b.budget", t)
    for _ in range(4):
        assert a.try_acquire(1, orders=1) is not None
    for _ in range(4):
        assert b.try_acquire(1, orders=1) is not None
    assert b.try_acquire(1, orders=1) is None  # 8 of 10 at 80%: spent by the two together
    assert a.try_acquire(1, orders=1) is None
    assert used(a)[("ORDERS", "10S")] == 8 and used(b)[("REQUEST_WEIGHT", "1M")] == 8
    assert b.try_acquire(72) is not None  # weight: 8 + 72 = 80 of 100 at 80%
    assert a.try_acquire(1) is None
    await a.acquire(1, orders=1)  # waits for the next window of both budgets
    assert t.sleeps and t.now >= 1_000_020.0
    assert used(b)[("ORDERS", "10S")] == 1 and used(b)[("ORDERS", "1D")] == 9


def test_the_exchanges_counts_lift_the_shared_view(tmp_path: Path) -> None:
    t = FakeTime(2_000_000.0)
    a, b = _pair(tmp_path / "b.budget", t)
    a.update_from_headers({"X-MBX-ORDER-COUNT-10S": "7", "X-MBX-USED-WEIGHT-1M": "50"})
    assert used(b)[("ORDERS", "10S")] == 7 and used(b)[("REQUEST_WEIGHT", "1M")] == 50
    assert b.try_acquire(1, orders=1) is not None
    assert b.try_acquire(1, orders=1) is None  # 8 of 10 at 80%


ALLOWANCE = 15_000


def _hammer(path: str, attempts: int, start: Any, out: multiprocessing.Queue[int]) -> None:
    store = FileBudget(path)
    start.wait(30)
    out.put(sum(store.try_charge([("api:X:1d", 5, 1, ALLOWANCE)]) is not None for _ in range(attempts)))


def test_two_processes_charging_at_once_never_pass_the_allowance(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[int] = ctx.Queue()
    start = ctx.Barrier(2)
    path = str(tmp_path / "b.budget")
    procs = [ctx.Process(target=_hammer, args=(path, 10_000, start, out)) for _ in range(2)]
    for p in procs:
        p.start()
    granted = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    assert sum(granted) == ALLOWANCE and min(granted) > 0
    assert FileBudget(path).counts([("api:X:1d", 5)]) == [ALLOWANCE]


def test_where_the_budget_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "k" * 64
    path = budget_path(tmp_path, key, "http://127.0.0.1:1")
    assert key not in str(path) and path.parent == tmp_path
    assert path != budget_path(tmp_path, key, "http://127.0.0.1:2")  # one file per venue
    monkeypatch.delenv("TRADEEXEC_BUDGET_DIR", raising=False)
    assert open_budget(None, key, "u") is None  # not asked for: not shared
    assert open_budget(True, None, "u") is None  # no key, no account
    monkeypatch.setenv("TRADEEXEC_BUDGET_DIR", str(tmp_path / "env"))
    store = open_budget(None, key, "u")
    assert store is not None and store.path.parent == tmp_path / "env"
    assert (store.path.stat().st_mode & 0o777) == 0o600
    assert ((tmp_path / "env").stat().st_mode & 0o777) == 0o700
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    assert default_budget_dir() == tmp_path / "run" / "tradeexec-budget"
    monkeypatch.setenv("TRADEEXEC_BUDGET_DIR", "auto")
    auto = open_budget(None, key, "u")
    assert auto is not None and auto.path.parent == tmp_path / "run" / "tradeexec-budget"
    assert open_budget(False, key, "u") is None
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match=r"budget file .*file"):
        open_budget(tmp_path / "file", key, "u")
