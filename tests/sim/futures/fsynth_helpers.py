"""Binance's USDⓈ-M formulas written again, independently of ``sim/futures/pricing.py``, for
the futures market tests to judge the exchange by, and a driver that steps the synthetic
market on a frozen clock (a seed then gives one path)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tests.sim.conftest import Api
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.sim.market import SyntheticMarket, synthetic_market

EIGHT_HOURS = 8 * 3_600_000
# Binance: 0.03 % a day of interest, premium clamp +-0.05 %, Impact Margin Notional 200 USDT
# over the initial margin rate of the highest leverage (BTCUSDT 125x: 25,000 USDT).
INTEREST = Decimal("0.0001")
CLAMP = Decimal("0.0005")
BTC_IMPACT_NOTIONAL = Decimal(25_000)
BTC_CAP = Decimal("0.75") * (Decimal("0.008") - Decimal("0.004"))


def impact(levels: Sequence[Sequence[str]], notional: Decimal) -> Decimal:
    """Average fill price of ``notional`` quote against depth rows ``[[price, qty], ...]``."""
    spent = bought = Decimal(0)
    for price_s, qty_s in levels:
        price, qty = Decimal(price_s), Decimal(qty_s)
        take_qty = min(qty, (notional - spent) / price)
        spent += take_qty * price
        bought += take_qty
        if spent >= notional:
            return spent / bought
    raise AssertionError("book too thin for the impact notional")


def premium(depth: dict[str, Any], index: Decimal) -> Decimal:
    bid = impact(depth["bids"], BTC_IMPACT_NOTIONAL)
    ask = impact(depth["asks"], BTC_IMPACT_NOTIONAL)
    return (max(Decimal(0), bid - index) - max(Decimal(0), index - ask)) / index


def funding(samples: Sequence[Decimal], cap: Decimal, hours: int = 8) -> Decimal:
    """Time-weighted average (weights 1..n), interest clamp, the interval's share, the cap;
    published with 8 decimals."""
    n = len(samples)
    avg = sum((w * p for w, p in zip(range(1, n + 1), samples, strict=True)), Decimal(0)) / (n * (n + 1) // 2)
    rate = (avg + min(max(INTEREST - avg, -CLAMP), CLAMP)) * hours / 8
    return min(max(rate, -cap), cap).quantize(Decimal("0.00000001"))


def frozen_exchange(cfg: SimConfig, at_ms: int, seed: int) -> tuple[LocalExchange, SyntheticMarket]:
    """An exchange with no market task of its own and its synthetic market (spot and futures)
    to be stepped by the test, on a clock frozen at ``at_ms``."""
    ex = LocalExchange(cfg, market=False)
    ex.state.clock.freeze(at_ms)
    return ex, synthetic_market(ex.state, seed)


def tick(ex: LocalExchange, market: SyntheticMarket, ms: int = 200) -> None:
    ex.state.clock.advance(ms)
    market.step()


async def signed(ex: LocalExchange, api: Api, method: str, path: str, params: dict[str, Any]) -> Any:
    """A signed request stamped with the exchange's (frozen, moved) clock."""
    reply = await api.signed(method, path, params, timestamp=ex.state.now_ms())
    assert reply.status == 200, reply.body
    return reply.body
