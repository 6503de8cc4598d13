"""Funding: at each funding time of its contract (every 8, 4 or 1 hours from 00:00 UTC,
``funding_schedule.py``) every open position pays or
receives ``position amount * mark price * funding rate`` (Binance FAQ "Introduction to
Binance Futures Funding Rates": funding amount = nominal value of positions * funding rate;
with a positive rate longs pay shorts). A cross position's funding moves the cross wallet;
an isolated position's moves its isolated wallet. Times passed while nobody looked (the
settable clock makes 8 hours pass in seconds) are each settled, in order, at the mark price
of the moment of settlement."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeexec.sim.futures.accounts import ISOLATED, UNIT, FuturesWallet

# Binance's rate when the premium is flat: the interest rate, 0.01 % per 8 hours.
DEFAULT_RATE = Decimal("0.0001")


def default_rate(interval_hours: int) -> Decimal:
    """The flat-premium rate of an interval: the interest rate's share of it (F / (8 / N))."""
    return DEFAULT_RATE * interval_hours / 8


@dataclass(frozen=True, slots=True)
class Income:
    """One ``GET /fapi/v1/income`` row."""

    symbol: str
    income_type: str  # REALIZED_PNL, COMMISSION, FUNDING_FEE, INSURANCE_CLEAR
    income: Decimal
    time: int
    tran_id: int
    trade_id: int = 0


@dataclass(frozen=True, slots=True)
class FundingPayment:
    account: str
    symbol: str
    position_side: str
    amount: Decimal  # signed: what the account received
    time: int


def fund(
    acct: FuturesWallet, marks: dict[str, Decimal], rates: dict[str, Decimal], time: int
) -> list[FundingPayment]:
    """Settle one funding time for one account's open positions on the symbols it settles
    (those of ``rates``: the others' funding times are elsewhere)."""
    out = []
    for pos in acct.open_positions():
        rate = rates.get(pos.symbol)
        if rate is None:
            continue
        amount = (-pos.amt * marks[pos.symbol] * rate).quantize(UNIT)
        if not amount:
            continue
        acct.wallet += amount
        if acct.margin_type_of(pos.symbol) == ISOLATED:
            pos.isolated_wallet += amount
        out.append(FundingPayment(acct.name, pos.symbol, pos.position_side, amount, time))
    return out
