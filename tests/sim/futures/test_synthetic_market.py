"""The futures side of the synthetic market: books quoted around the mark, the mark inside
Binance's bounds around the spot index, funding from the sampled premium index, liquidation by
a market move, one path per seed."""

from __future__ import annotations

import asyncio
import os
import time
from decimal import Decimal as D

import aiohttp

from tests.sim.conftest import Api
from tests.sim.futures.fsynth_helpers import (
    BTC_CAP,
    EIGHT_HOURS,
    frozen_exchange,
    funding,
    premium,
    signed,
    tick,
)
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.sim.futures.funding_schedule import next_funding_time

WAIT = 15.0
LONG = os.environ.get("TRADEEXEC_SOAK") == "full"


def _config(**market: object) -> SimConfig:
    """The contracts' spot twins only (a market step then quotes four books, not seven)."""
    cfg = SimConfig.default()
    cfg.symbols = [dict(DEFAULT_SYMBOL_INFO[s]) for s in ("BTCUSDT", "ETHUSDT")]
    cfg.accounts[0].balances["USDT"] = D(10_000)
    for name, value in market.items():
        setattr(cfg.market, name, value)
    return cfg


async def _wait_for_book(api: Api, symbol: str) -> dict[str, object]:
    deadline = time.monotonic() + WAIT
    while True:
        depth = (await api.public("GET", "/fapi/v1/depth", {"symbol": symbol, "limit": 1000})).body
        if depth["bids"] and depth["asks"]:
            return dict(depth)
        assert time.monotonic() < deadline, f"no two-sided {symbol} futures book"
        await asyncio.sleep(0.02)


async def test_futures_books_are_quoted_around_the_mark_and_trade() -> None:
    """With the market on (the default), every contract's book has both sides within a few
    basis points of the mark soon after start, the index is the spot price, trades print; with
    ``market.futures`` off the books stay empty."""
    cfg = _config(interval_s=0.05, trades_per_s=20.0)
    async with LocalExchange(cfg) as ex, aiohttp.ClientSession() as session:
        api = Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        for symbol in ("BTCUSDT", "ETHUSDT"):
            depth = await _wait_for_book(api, symbol)
            prem = (await api.public("GET", "/fapi/v1/premiumIndex", {"symbol": symbol})).body
            spot = (await api.public("GET", "/api/v3/ticker/bookTicker", {"symbol": symbol})).body
            mark, index = D(prem["markPrice"]), D(prem["indexPrice"])
            tick_size = ex.state.futures.contracts[symbol].tick
            within = (mark * D("0.002") / tick_size).to_integral_value()  # 20 bp in ticks
            bid, ask = D(depth["bids"][0][0]), D(depth["asks"][0][0])  # type: ignore[index]
            assert bid < ask
            assert abs(bid - mark) <= within * tick_size and abs(ask - mark) <= within * tick_size
            # the spot book may have moved between the two reads: within a few spot spreads
            spot_mid = (D(spot["bidPrice"]) + D(spot["askPrice"])) / 2
            assert abs(index - spot_mid) / spot_mid < D("0.001")
            assert index != mark
        deadline = time.monotonic() + WAIT
        while not (await api.public("GET", "/fapi/v1/trades", {"symbol": "BTCUSDT"})).body:
            assert time.monotonic() < deadline, "no futures trade printed"
            await asyncio.sleep(0.02)

    off = _config(interval_s=0.05, futures=False)
    async with LocalExchange(off) as ex, aiohttp.ClientSession() as session:
        api = Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        deadline = time.monotonic() + WAIT
        while ex.state.engine.last_price("BTCUSDT") is None:  # the spot market runs
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        depth = (await api.public("GET", "/fapi/v1/depth", {"symbol": "BTCUSDT"})).body
        assert depth["bids"] == [] and depth["asks"] == []


def test_mark_stays_within_binance_bounds_around_the_index_over_a_long_walk() -> None:
    """Over a long seeded walk (volatile spot, wandering basis, takers), after every step:
    the mark lies between Price 1 = index * (1 + rate * time to funding / interval) and
    Price 2 = index + the 30-second average of (bid1 + ask1) / 2 - index, each recomputed
    here from the books; the estimated rate stays within the cap."""
    steps = 6000 if LONG else 250
    for seed in (1, 2):
        cfg = _config(volatility=0.001, basis_vol=0.0002, trades_per_s=10.0, levels=20)
        start = next_funding_time(1_700_000_000_000, EIGHT_HOURS) - 30_000  # funding falls inside the walk
        ex, market = frozen_exchange(cfg, start, seed)
        futures = ex.state.futures
        basis: list[D] = []
        for _ in range(steps):
            before = ex.state.now_ms() // 1000
            funding_before = futures.funding.next_time("BTCUSDT", ex.state.now_ms())
            tick(ex, market)
            now = ex.state.now_ms()
            if now // 1000 == before:
                continue  # the mark moves with the 1-second basis points only
            bid, _, ask, _ = ex.state.engine.book_ticker("BTCUSDT")
            index = (bid + ask) / 2
            fbid, _, fask, _ = futures.engine.book_ticker("BTCUSDT")
            basis = [*basis, (fbid + fask) / 2 - index][-30:]
            rate = futures.funding_rate("BTCUSDT")
            assert abs(rate) <= BTC_CAP
            assert futures.index_price("BTCUSDT") == index
            # The step that lands on a funding time leaves the mark of that instant (no time
            # left until funding); after it, a whole interval is left.
            funding_next = futures.funding.next_time("BTCUSDT", now)
            left = 0 if funding_next != funding_before else funding_next - now
            share = D(left) / EIGHT_HOURS
            price1 = index * (1 + rate * share)
            price2 = index + sum(basis, D(0)) / len(basis)
            mark = futures.mark_price("BTCUSDT")
            slack = D("0.00000001")
            assert min(price1, price2) - slack <= mark <= max(price1, price2) + slack, (mark, price1, price2)
        # a funding time passed
        assert futures.funding.next_time("BTCUSDT", ex.state.now_ms()) > start + 30_000


async def test_funding_charged_is_the_rate_of_the_premium_index_sampled_every_5_seconds() -> None:
    """A still market (no walk, no takers) with a wide spread; the house bids inside it at a
    different price before each 5-second sample, so the premium index moves from sample to
    sample and the time weighting matters. The funding charged at the funding time is the
    position's notional at the mark times the rate computed here from the premium of each
    sample (impact prices read from the book over the wire, index from the spot book)."""
    cfg = _config(
        volatility=0.0, jump_prob=0.0, trades_per_s=0.0, refresh_levels=0, basis_vol=0.0, spread_ticks=1000,
        interval_s=0.02,
    )  # fmt: skip
    funding_at = next_funding_time(int(time.time() * 1000), EIGHT_HOURS) + EIGHT_HOURS
    ex = LocalExchange(cfg)
    ex.state.clock.freeze(funding_at - 62_500)  # no sample yet: the next one is at -60 s
    async with ex, aiohttp.ClientSession() as session:
        api = Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        await _wait_for_book(api, "BTCUSDT")
        buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
        await signed(ex, api, "POST", "/fapi/v1/order", buy)
        depth = await _stable_depth(api)
        ask = D(depth["asks"][0][0])
        offsets = [D(x) for x in (54, 31, 47, 38, 52, 33, 45, 40, 50, 35, 43, 49, 36)]
        samples: list[D] = []
        for i, offset in enumerate(offsets):
            spot = (await api.public("GET", "/api/v3/ticker/bookTicker", {"symbol": "BTCUSDT"})).body
            index = (D(spot["bidPrice"]) + D(spot["askPrice"])) / 2
            ex.futures_cancel_all_liquidity("BTCUSDT")
            price = (index + offset).quantize(D("0.1"))
            assert price < ask
            ex.futures_add_liquidity("BTCUSDT", "BUY", price, "1")  # 60,000 USDT: the impact bid
            depth = (await api.public("GET", "/fapi/v1/depth", {"symbol": "BTCUSDT", "limit": 1000})).body
            samples.append(premium(depth, index))
            ex.state.clock.advance(2_500 if i == 0 else 5_000)
            prem = (await api.public("GET", "/fapi/v1/premiumIndex", {"symbol": "BTCUSDT"})).body
        assert ex.state.now_ms() == funding_at
        mark = D(prem["markPrice"])  # the mark of the funding time: the clock stands still
        income = await signed(ex, api, "GET", "/fapi/v1/income", {"incomeType": "FUNDING_FEE"})
    rate = funding(samples, BTC_CAP)
    assert rate != funding(sorted(samples), BTC_CAP)  # the order of the samples matters here
    assert rate != D("0.0001")  # beyond the interest clamp
    assert [(r["symbol"], D(r["income"]), r["time"]) for r in income] == [
        ("BTCUSDT", (-D("0.01") * mark * rate).quantize(D("0.00000001")), funding_at)
    ]


async def _stable_depth(api: Api) -> dict[str, list[list[str]]]:
    """The book once the maker has refilled what an order took (two reads alike)."""
    deadline = time.monotonic() + WAIT
    last = None
    while True:
        depth = (await api.public("GET", "/fapi/v1/depth", {"symbol": "BTCUSDT", "limit": 1000})).body
        if depth["bids"] == (last or {}).get("bids") and depth["asks"] == (last or {}).get("asks"):
            return dict(depth)
        assert time.monotonic() < deadline
        last = depth
        await asyncio.sleep(0.2)


async def test_a_50x_position_is_liquidated_by_a_seeded_market_move() -> None:
    """Hedge mode, isolated, 50x: a long and a short of 0.1 BTC. The seeded walk moves the
    index until one side's mark crosses its liquidation price: that side is closed at the
    mark in the same step, the account loses exactly its isolated margin (realized loss plus
    the clearance fee), and the other side is untouched."""
    cfg = _config(volatility=0.003, jump_prob=0.0, trades_per_s=2.0)
    ex, market = frozen_exchange(cfg, next_funding_time(1_700_000_000_000, EIGHT_HOURS) + 60_000, seed=5)
    async with ex, aiohttp.ClientSession() as session:
        api = Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        tick(ex, market)
        await signed(ex, api, "POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})
        await signed(ex, api, "POST", "/fapi/v1/marginType", {"symbol": "BTCUSDT", "marginType": "ISOLATED"})
        await signed(ex, api, "POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 50})
        for side, leg in (("BUY", "LONG"), ("SELL", "SHORT")):
            params = {"symbol": "BTCUSDT", "side": side, "positionSide": leg, "type": "MARKET"}
            await signed(ex, api, "POST", "/fapi/v1/order", {**params, "quantity": "0.1"})
        legs = await _legs(ex, api)
        wallet = D((await signed(ex, api, "GET", "/fapi/v3/account", {}))["totalWalletBalance"])
        liq = {leg: D(r["liquidationPrice"]) for leg, r in legs.items()}
        marks = []
        for _ in range(3000):
            tick(ex, market)
            marks.append(ex.state.futures.mark_price("BTCUSDT"))
            if len(ex.state.futures.account(ex.account).open_positions("BTCUSDT")) < 2:
                break
        after = await _legs(ex, api)
        account = await signed(ex, api, "GET", "/fapi/v3/account", {})
        income = await signed(ex, api, "GET", "/fapi/v1/income", {})
    gone = [leg for leg in ("LONG", "SHORT") if leg not in after]  # a closed leg is not listed
    assert len(gone) == 1, "no leg liquidated within 10 minutes of market time"
    (leg,) = gone
    kept = "SHORT" if leg == "LONG" else "LONG"
    mark, before = marks[-1], marks[-2]
    if leg == "LONG":
        assert mark <= liq["LONG"] < before
    else:
        assert mark >= liq["SHORT"] > before
    lost = D(legs[leg]["isolatedWallet"])
    assert D(account["totalWalletBalance"]) == wallet - lost
    closing = [D(r["income"]) for r in income if r["incomeType"] in ("REALIZED_PNL", "INSURANCE_CLEAR")]
    assert sum(closing, D(0)) == -lost and len(closing) >= 1  # a row per fill, and the fee
    assert after[kept]["positionAmt"] == legs[kept]["positionAmt"]
    assert after[kept]["isolatedWallet"] == legs[kept]["isolatedWallet"]


async def _legs(ex: LocalExchange, api: Api) -> dict[str, dict[str, str]]:
    rows = await signed(ex, api, "GET", "/fapi/v3/positionRisk", {"symbol": "BTCUSDT"})
    return {r["positionSide"]: r for r in rows}


def test_the_same_seed_gives_the_same_futures_path_and_leaves_the_spot_path_alone() -> None:
    def path(seed: int, futures: bool) -> list[tuple[object, ...]]:
        ex, market = frozen_exchange(_config(futures=futures, levels=20), 1_700_000_000_000, seed)
        out: list[tuple[object, ...]] = []
        for _ in range(60):
            tick(ex, market)
            f = ex.state.futures
            out.append(
                (
                    ex.state.engine.last_price("BTCUSDT"),
                    f.engine.last_price("BTCUSDT") if futures else None,
                    f.engine.book_ticker("ETHUSDT") if futures else None,
                    f.mark_price("BTCUSDT") if futures else None,
                    f.funding_rate("ETHUSDT") if futures else None,
                )
            )
        return out

    first = path(3, True)
    assert first == path(3, True)
    assert first != path(4, True)
    assert len({row[3] for row in first}) > 10  # the mark moves
    assert [row[0] for row in first] == [row[0] for row in path(3, False)]


def test_the_futures_market_carries_on_after_a_reset() -> None:
    """``reset()`` builds a new futures engine: the market quotes its books and gives it the
    index again (the mark then comes from Binance's rule, not the bare book)."""
    ex, market = frozen_exchange(_config(levels=10), 1_700_000_000_000, seed=9)
    for _ in range(10):
        tick(ex, market)
    old = ex.state.futures
    ex.reset()
    assert ex.state.futures is not old
    for _ in range(10):
        tick(ex, market)
    futures = ex.state.futures
    bid, _, ask, _ = futures.engine.book_ticker("BTCUSDT")
    assert bid and ask and bid < ask
    assert futures.pricing is not None and futures.pricing.mark("BTCUSDT") == futures.mark_price("BTCUSDT")
    assert old.market_listeners == []  # the quoter left the old engine
