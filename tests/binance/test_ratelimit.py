"""The limiter against Binance's rules: charge before sending, never past the margin, fixed
windows aligned to the clock, FIFO under bursts, and re-sync from what the server reports."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from tradeexec.binance.enums import RateLimitInterval, RateLimitType
from tradeexec.binance.net.ratelimit import DEFAULT_SPOT_LIMITS, RateLimiter, RateLimitRule
from tradeexec.errors import InvalidParameter, RateLimitBanActive

W, ORD, R = RateLimitType.REQUEST_WEIGHT, RateLimitType.ORDERS, RateLimitType.RAW_REQUESTS
SEC, MIN, DAY = RateLimitInterval.SECOND, RateLimitInterval.MINUTE, RateLimitInterval.DAY


class FakeTime:
    """A virtual clock whose sleep advances it, so minutes of waiting take no real time."""

    def __init__(self, start: float) -> None:
        self.now = start  # real elapsed time (the monotonic clock)
        self.step = 0.0  # how far the wall clock was stepped (NTP) from it
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now + self.step

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def limiter(rules: list[RateLimitRule], t: FakeTime, margin: float = 0.8) -> RateLimiter:
    return RateLimiter(rules, safety_margin=margin, clock=t.clock, sleep=t.sleep, monotonic=t.monotonic)


def used(rl: RateLimiter) -> dict[tuple[str, str], int]:
    return {(u.rate_limit_type.value, u.interval): u.used for u in rl.usage()}


async def test_charges_weight_raw_and_orders_before_sending() -> None:
    t = FakeTime(1_000_000.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    await rl.acquire(10)
    await rl.acquire(1, orders=1)
    assert used(rl) == {
        ("REQUEST_WEIGHT", "1M"): 11,
        ("ORDERS", "10S"): 1,
        ("ORDERS", "1D"): 1,
        ("RAW_REQUESTS", "5M"): 2,
    }
    allowed = {(u.rate_limit_type.value, u.interval): u.allowed for u in rl.usage()}
    assert allowed[("REQUEST_WEIGHT", "1M")] == 4800
    assert allowed[("ORDERS", "10S")] == 80
    assert t.sleeps == []


async def test_blocks_at_margin_and_releases_at_aligned_window_reset() -> None:
    t = FakeTime(600.0 + 42.5)  # 42.5 s into a minute
    rl = limiter([RateLimitRule(W, MIN, 1, 100)], t)
    await rl.acquire(80)  # exactly the allowance (80% of 100)
    await rl.acquire(1)
    # The wait ended at the next whole minute, not 60 s after the first request.
    assert t.now == pytest.approx(660.0, abs=0.01)
    assert t.now >= 660.0
    assert used(rl)[("REQUEST_WEIGHT", "1M")] == 1


async def test_real_clock_release_at_whole_second() -> None:
    """Real time, a 1-second window: the blocked request goes just after the boundary."""
    for _ in range(3):  # retry if the second rolled over between charging and checking
        rl = RateLimiter([RateLimitRule(W, SEC, 1, 5)], safety_margin=1.0)
        charged_at = time.time()
        await rl.acquire(5)
        charged_by = time.time()
        await asyncio.wait_for(rl.acquire(1), timeout=2.0)
        after = time.time()
        if int(charged_at) == int(charged_by):
            break
    assert int(after) == int(charged_at) + 1
    assert after - charged_at < 1.1


async def test_ten_second_windows_align_to_ten_second_boundaries() -> None:
    t = FakeTime(1_000_003.0)
    rl = limiter([RateLimitRule(ORD, SEC, 10, 10)], t)
    for _ in range(8):
        await rl.acquire(1, orders=1)
    await rl.acquire(1, orders=1)
    assert t.now == pytest.approx(1_000_010.0, abs=0.01)


async def test_burst_of_ten_times_the_limit_is_fifo_and_never_overshoots() -> None:
    t = FakeTime(5_000.37)
    rules = [RateLimitRule(W, SEC, 1, 50), RateLimitRule(R, SEC, 10, 100)]
    rl = limiter(rules, t)
    weights = [1 + (i * 7) % 5 for i in range(170)]  # 510 weight in total: ~10x of 50
    assert sum(weights) >= 500
    log: list[tuple[float, int, int]] = []

    async def request(i: int, weight: int) -> None:
        await rl.acquire(weight)
        log.append((t.now, weight, i))

    await asyncio.gather(*(request(i, w) for i, w in enumerate(weights)))
    assert [i for _, _, i in log] == list(range(len(weights)))  # first come, first served
    per_second: dict[int, int] = defaultdict(int)
    per_ten: dict[int, int] = defaultdict(int)
    for when, weight, _ in log:
        per_second[int(when // 1)] += weight
        per_ten[int(when // 10)] += 1
    assert max(per_second.values()) <= 40
    assert max(per_ten.values()) <= 80
    # The RAW_REQUESTS budget (80 per 10 s) is the binding one for 170 requests: three
    # 10-second windows, and nothing waits longer than it must.
    assert len(per_ten) == 3
    assert t.now < 5_000.37 + 30


burst = st.lists(st.tuples(st.integers(1, 12), st.integers(0, 2)), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(0, 1_000, allow_nan=False),
    steps=st.lists(st.tuples(st.floats(0, 3, allow_nan=False), burst), min_size=1, max_size=5),
)
def test_property_no_window_ever_exceeds_its_allowance(
    start: float, steps: list[tuple[float, list[tuple[int, int]]]]
) -> None:
    """Bursts at arbitrary times with mixed weights and order counts never put more into any
    aligned window than the allowance, and every request is eventually served."""
    t = FakeTime(start)
    rules = [RateLimitRule(W, SEC, 1, 15), RateLimitRule(ORD, SEC, 2, 5), RateLimitRule(R, SEC, 3, 20)]
    rl = limiter(rules, t)
    log: list[tuple[float, int, int]] = []

    async def request(weight: int, orders: int) -> None:
        await rl.acquire(weight, orders=orders)
        log.append((t.now, weight, orders))

    async def run() -> None:
        for gap, requests in steps:
            t.now += gap
            await asyncio.gather(*(request(w, o) for w, o in requests))

    asyncio.run(run())
    assert len(log) == sum(len(requests) for _, requests in steps)
    weight_per_s: dict[int, int] = defaultdict(int)
    orders_per_2s: dict[int, int] = defaultdict(int)
    requests_per_3s: dict[int, int] = defaultdict(int)
    for when, weight, orders in log:
        weight_per_s[int(when // 1)] += weight
        orders_per_2s[int(when // 2)] += orders
        requests_per_3s[int(when // 3)] += 1
    assert max(weight_per_s.values()) <= 12
    assert max(orders_per_2s.values()) <= 4
    assert max(requests_per_3s.values()) <= 16


async def test_burst_on_real_clock_respects_every_window() -> None:
    rl = RateLimiter([RateLimitRule(W, SEC, 1, 20)], safety_margin=0.5)
    log: list[tuple[float, int]] = []

    async def request(weight: int) -> None:
        await rl.acquire(weight)
        log.append((time.time(), weight))

    await asyncio.wait_for(asyncio.gather(*(request(1 + i % 3) for i in range(7))), timeout=5.0)
    per_second: dict[int, int] = defaultdict(int)
    for when, weight in log:
        per_second[int(when)] += weight
    assert max(per_second.values()) <= 10
    assert sum(per_second.values()) == sum(1 + i % 3 for i in range(7))


async def test_header_sync_adopts_higher_server_count_case_insensitively() -> None:
    t = FakeTime(120.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    await rl.acquire(5, orders=1)
    rl.update_from_headers(
        {
            "x-mbx-used-weight-1m": "4000",
            "X-MBX-ORDER-COUNT-10S": "3",
            "X-MBX-ORDER-COUNT-1D": "0",  # lower than ours: ours stays
            "X-MBX-USED-WEIGHT-1S": "99",  # no such rule: ignored
            "X-MBX-USED-WEIGHT": "4000",  # legacy header without interval: ignored
            "Content-Type": "application/json",
        }
    )
    u = used(rl)
    assert u[("REQUEST_WEIGHT", "1M")] == 4000
    assert u[("ORDERS", "10S")] == 3
    assert u[("ORDERS", "1D")] == 1
    await rl.acquire(800)  # 4800: at the allowance, still fine
    with pytest.raises(RateLimitBanActive) as exc:
        await rl.acquire(1, wait=False)
    assert "REQUEST_WEIGHT 1M at 4800/4800 (80% of 6000)" in exc.value.reason
    assert exc.value.until_ms == 180_000


async def test_header_sync_from_aiohttp_headers_reads_only_the_rate_limit_headers() -> None:
    t = FakeTime(120.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    sent_at = rl.try_acquire(5, orders=1)
    assert sent_at == 120.0
    headers = CIMultiDictProxy(
        CIMultiDict(
            {
                "X-MBX-USED-WEIGHT-1M": "4000",
                "x-mbx-order-count-10s": "3",
                "X-MBX-ORDER-COUNT-1D": "not a number",  # ignored, ours stays
                "X-MBX-USED-WEIGHT": "4500",  # legacy header without interval: ignored
            }
        )
    )
    rl.update_from_headers(headers, sent_at=sent_at)
    assert used(rl) == {
        ("REQUEST_WEIGHT", "1M"): 4000,
        ("ORDERS", "10S"): 3,
        ("ORDERS", "1D"): 1,
        ("RAW_REQUESTS", "5M"): 1,
    }
    t.now = 180.5  # a new minute: a late count for the old one is not carried over
    rl.update_from_headers(headers, sent_at=sent_at)
    assert used(rl)[("REQUEST_WEIGHT", "1M")] == 0
    assert rl.try_acquire(4801) is None  # over the allowance: nothing charged
    assert used(rl)[("RAW_REQUESTS", "5M")] == 1


async def test_header_count_from_a_previous_window_is_not_carried_into_the_new_one() -> None:
    t = FakeTime(119.9)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    sent_at = t.now
    await rl.acquire(1)
    t.now = 120.2  # the response arrives after the minute rolled over
    rl.update_from_headers({"X-MBX-USED-WEIGHT-1M": "4700"}, sent_at=sent_at)
    assert used(rl)[("REQUEST_WEIGHT", "1M")] == 0
    rl.update_from_headers({"X-MBX-USED-WEIGHT-1M": "17"}, sent_at=t.now)
    assert used(rl)[("REQUEST_WEIGHT", "1M")] == 17


async def test_ws_api_rate_limits_sync() -> None:
    t = FakeTime(60.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    rl.update_from_ws(
        [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 6000,
                "count": 70,
            },
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100, "count": 4},
            {"rateLimitType": "ORDERS", "interval": "HOUR", "intervalNum": 1, "limit": 1, "count": 9},
        ]
    )
    u = used(rl)
    assert u[("REQUEST_WEIGHT", "1M")] == 70
    assert u[("ORDERS", "10S")] == 4


async def test_ws_api_rate_limits_skip_malformed_entries() -> None:
    t = FakeTime(60.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    weight = {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}
    rl.update_from_ws(
        [
            {**weight, "intervalNum": [1], "count": 900},  # unhashable: skipped, not raised
            {**weight},  # no count
            {**weight, "count": "oops"},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "count": "12"},
        ]
    )
    u = used(rl)
    assert u[("REQUEST_WEIGHT", "1M")] == 0
    assert u[("ORDERS", "10S")] == 12  # a count sent as text is still read


async def test_429_with_retry_after_blocks_weight_until_then() -> None:
    t = FakeTime(1_000.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    rl.on_429(7)
    assert rl.blocked_until() == pytest.approx(1_007.0)
    with pytest.raises(RateLimitBanActive) as exc:
        await rl.acquire(1, wait=False)
    assert exc.value.until_ms == 1_007_000
    assert "429" in exc.value.reason
    with pytest.raises(RateLimitBanActive):
        await rl.acquire(1, max_wait_s=5)
    await rl.acquire(1)
    assert t.now == pytest.approx(1_007.0, abs=0.01)
    assert rl.blocked_until() is None


async def test_order_count_429_without_retry_after_blocks_orders_only_until_window_end() -> None:
    t = FakeTime(1_003.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    rl.on_429(None, order_count=True)
    assert rl.blocked_until() == pytest.approx(1_010.0)  # end of the 10 s window
    await rl.acquire(2)  # queries still go
    with pytest.raises(RateLimitBanActive) as exc:
        await rl.acquire(1, orders=1, wait=False)
    assert "ORDERS" in exc.value.reason
    await rl.acquire(1, orders=1)
    assert t.now == pytest.approx(1_010.0, abs=0.01)


async def test_weight_429_without_retry_after_blocks_until_minute_ends() -> None:
    t = FakeTime(1_230.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    rl.on_429(None)
    assert rl.blocked_until() == pytest.approx(1_260.0)


async def test_418_blocks_everything_and_no_wait_raises_clearly() -> None:
    t = FakeTime(2_000.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    rl.on_418(300)
    assert rl.blocked_until() == pytest.approx(2_300.0)
    for kwargs in ({}, {"orders": 1}):
        with pytest.raises(RateLimitBanActive) as exc:
            await rl.acquire(1, wait=False, **kwargs)
        assert exc.value.until_ms == 2_300_000
        assert "IP banned" in exc.value.reason and "418" in exc.value.reason
        assert "2300000" in str(exc.value)
    rl.on_429(5)  # a shorter block does not shorten the ban
    assert rl.blocked_until() == pytest.approx(2_300.0)
    await rl.acquire(1)
    assert t.now >= 2_300.0


async def test_impossible_weight_raises_immediately() -> None:
    t = FakeTime(0.5)
    rl = limiter([RateLimitRule(W, MIN, 1, 100), RateLimitRule(ORD, SEC, 10, 10)], t)
    with pytest.raises(InvalidParameter) as exc:
        await rl.acquire(81)
    assert exc.value.field == "weight"
    with pytest.raises(InvalidParameter):
        await rl.acquire(1, orders=9)
    with pytest.raises(InvalidParameter):
        await rl.acquire(-1)
    assert t.sleeps == []
    assert used(rl)[("REQUEST_WEIGHT", "1M")] == 0


async def test_orders_budget_is_separate_from_weight() -> None:
    t = FakeTime(30.0)
    rl = limiter([RateLimitRule(W, MIN, 1, 1000), RateLimitRule(ORD, SEC, 10, 5)], t)
    for _ in range(4):
        await rl.acquire(1, orders=1)
    with pytest.raises(RateLimitBanActive) as exc:
        await rl.acquire(1, orders=1, wait=False)
    assert "ORDERS 10S at 4/4" in exc.value.reason
    await rl.acquire(50)  # weight-only requests still pass
    assert t.sleeps == []
    await rl.acquire(1, orders=1)
    assert t.now == pytest.approx(40.0, abs=0.01)


async def test_waiters_behind_the_head_keep_their_turn() -> None:
    """A small request arriving after a queued big one does not jump ahead of it."""
    t = FakeTime(10.0)
    rl = limiter([RateLimitRule(W, SEC, 1, 10)], t, margin=1.0)
    await rl.acquire(9)
    order: list[str] = []

    async def go(name: str, weight: int) -> None:
        await rl.acquire(weight)
        order.append(name)

    big = asyncio.create_task(go("big", 10))
    await asyncio.sleep(0)
    with pytest.raises(RateLimitBanActive) as exc:
        await rl.acquire(1, wait=False)  # would fit, but someone is queued
    assert "queued" in exc.value.reason
    small = asyncio.create_task(go("small", 1))
    await asyncio.wait_for(asyncio.gather(big, small), timeout=2.0)
    assert order == ["big", "small"]


async def test_configure_from_exchange_info_keeps_usage() -> None:
    exchange_info = b"""{
      "timezone": "UTC", "serverTime": 1565246363776,
      "rateLimits": [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 160000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 6100}
      ],
      "exchangeFilters": [], "symbols": []
    }"""

    class Info(msgspec.Struct, rename="camel"):
        rate_limits: list[RateLimitRule]

    rules = msgspec.json.decode(exchange_info, type=Info).rate_limits
    assert rules[1] == RateLimitRule(ORD, SEC, 10, 50)
    t = FakeTime(60.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    await rl.acquire(900)
    rl.configure(rules)
    got = {(u.rate_limit_type.value, u.interval): (u.used, u.limit, u.allowed) for u in rl.usage()}
    assert got == {
        ("REQUEST_WEIGHT", "1M"): (900, 1200, 960),
        ("ORDERS", "10S"): (0, 50, 40),
        ("ORDERS", "1D"): (0, 160000, 128000),
        ("RAW_REQUESTS", "5M"): (1, 6100, 4880),
    }
    with pytest.raises(RateLimitBanActive):
        await rl.acquire(61, wait=False)


def test_day_window_resets_at_utc_midnight() -> None:
    t = FakeTime(86_400.0 * 20_000 + 3_600)
    rl = limiter([RateLimitRule(ORD, DAY, 1, 10)], t)
    (u,) = rl.usage()
    assert u.resets_at == 86_400.0 * 20_001


@pytest.mark.parametrize("step_s", [-30.0, 30.0])
async def test_a_ban_lasts_what_the_server_said_whatever_the_wall_clock_does(step_s: float) -> None:
    """Found by the chaos soak: bans timed on the wall clock grew by a step back (a 0.8 s
    ban refused requests for seconds) and shrank by a step forward (sending while banned,
    which on Binance lengthens the ban)."""
    t = FakeTime(1_000.0)
    rl = limiter(list(DEFAULT_SPOT_LIMITS), t)
    rl.on_418(2.0)
    t.step = step_s  # NTP steps the wall clock while the ban runs
    until = rl.blocked_until()
    assert until is not None and until - t.clock() == pytest.approx(2.0)
    with pytest.raises(RateLimitBanActive):
        await rl.acquire(1, wait=False)
    await rl.acquire(1, max_wait_s=2.5)  # waits out the two seconds, no more
    assert t.now == pytest.approx(1_002.0, abs=0.05)
    assert rl.blocked_until() is None
