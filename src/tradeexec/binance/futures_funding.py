"""Funding payments of the USDⓈ-M user stream, attributed to their symbol.

Binance's ACCOUNT_UPDATE of reason FUNDING_FEE ("Event: Balance and Position Update") names
the position only for an isolated one: "When FUNDING FEE occurs in a crossed position,
ACCOUNT_UPDATE will be pushed with only the balance B ... without any position P message";
for an isolated position, the balance and that position alone. So:

* an event naming one position is that position's payment: ``FundingSettled`` for its symbol;
* an event naming none is a cross payment: its symbol is read from the income history
  (``GET /fapi/v1/income``, incomeType FUNDING_FEE, around the event's time), whose rows each
  carry the symbol: the one unclaimed row of a cross symbol with the event's amount, else the
  unclaimed cross rows of that time when together they make the amount (one event for several
  positions). Each row is claimed once (its ``tranId``). When the history does not answer or
  does not account for the amount, the payment is passed on for no symbol, as before, so the
  total is never lost; the core keeps it apart (``LegBook.unattributed_funding``).

One read (weight 30) per cross payment: funding comes every few hours, never on a hot path.
"""

from __future__ import annotations

import logging
from collections import deque
from decimal import Decimal

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.models import FuturesAccountUpdate
from tradeexec.binance.models.futures_positions import FuturesIncome
from tradeexec.errors import TradeexecError
from tradeexec.venue.positions import FundingSettled, MarginMode

__all__ = ["FundingAttribution"]

log = logging.getLogger(__name__)

WINDOW_MS = 60_000  # the income rows read on each side of the event's time


class FundingAttribution:
    """``margin_modes`` is the venue's map (symbolConfig and what it set): rows of isolated
    symbols are never taken for a cross payment."""

    def __init__(self, client: BinanceClient, margin_modes: dict[str, MarginMode]) -> None:
        self.client = client
        self.margin_modes = margin_modes
        self._claimed: deque[int] = deque(maxlen=4096)  # income rows already attributed

    async def settled(self, event: FuturesAccountUpdate) -> list[FundingSettled]:
        account, when = event.account, event.transaction_time
        if account.reason != "FUNDING_FEE":
            return []
        out: list[FundingSettled] = []
        for b in account.balances:
            if not b.balance_change:
                continue
            if len(account.positions) == 1:  # an isolated position's own payment
                out.append(FundingSettled(account.positions[0].symbol, b.asset, b.balance_change, when))
            else:
                out += await self._cross(b.asset, b.balance_change, when)
        return out

    async def _cross(self, asset: str, amount: Decimal, when: int) -> list[FundingSettled]:
        rows = await self._rows(when)
        fresh = [
            r
            for r in rows
            if r.asset == asset
            and r.tran_id not in self._claimed
            and self.margin_modes.get(r.symbol) is not MarginMode.ISOLATED
        ]
        one = [r for r in fresh if r.income == amount][:1]
        chosen = one or (fresh if fresh and sum((r.income for r in fresh), Decimal(0)) == amount else [])
        if not chosen:
            log.warning("cross funding of %s %s at %d not found in the income history", amount, asset, when)
            return [FundingSettled("", asset, amount, when)]
        self._claimed.extend(r.tran_id for r in chosen)
        return [FundingSettled(r.symbol, asset, r.income, when) for r in chosen]

    async def _rows(self, when: int) -> list[FuturesIncome]:
        try:
            return await self.client.futures_income(
                income_type="FUNDING_FEE", start_time=when - WINDOW_MS, end_time=when + WINDOW_MS, limit=1000
            )
        except TradeexecError as exc:
            log.warning("funding not attributed (income history not read): %s", exc)
            return []
