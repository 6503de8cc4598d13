"""Emergency stop: cancel every open order, sell the configured assets down to dust, verify.

It needs nothing but the venue (``TradingVenue``): no journal, no order manager, no state from a previous run,
because it is what runs when those may be broken. Every step reads the exchange afresh, which
makes it idempotent (running it twice sells nothing twice: the second run finds nothing left)
and makes a lost answer harmless (the next pass sees the balance the sale left; the order is
read back afterwards so the report counts what it did). Failures do not stop it; they are
retried a bounded number of times and whatever is left is reported, with the reason.
The sells themselves are in ``emergency_sell``, the report in ``emergency_report``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from tradeexec.execution.emergency_futures import futures_emergency_stop
from tradeexec.execution.emergency_passes import StopContext
from tradeexec.execution.emergency_report import AssetSale, EmergencyReport, LegClose
from tradeexec.execution.emergency_sell import AssetSeller, SellSettings
from tradeexec.execution.policy import ErrorPolicy
from tradeexec.execution.risk import RiskManager
from tradeexec.venue.protocol import TradingVenue, holds_positions
from tradeexec.venue.rules import VenueRules

__all__ = ["AssetSale", "EmergencyReport", "LegClose", "SellSettings", "emergency_stop"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)
# How long a stop waits for orders the manager had already let through (a placement times out
# well before: the client gives up on an answer after its timeout).
PLACEMENTS_SETTLE_S = 15.0


async def emergency_stop(
    venue: TradingVenue,
    *,
    flatten_assets: Sequence[str] | None,
    quote_asset: str = "USDT",
    attempts: int = 3,
    selling: SellSettings | None = None,
    policy: ErrorPolicy | None = None,
    risk: RiskManager | None = None,
) -> EmergencyReport:
    """Cancel all open orders on every symbol, then sell each of ``flatten_assets`` for
    ``quote_asset`` down to dust, then verify with the exchange. On a venue that holds
    positions (a ``DerivativesVenue``) it cancels every order and conditional order and
    closes every position leg instead (``emergency_futures``; ``flatten_assets`` does not
    apply there).

    ``selling`` says how carefully (``SellSettings``): by default each asset is sold in at
    most 5 passes, each a LIMIT IOC at most 50 bps below the best bid the first pass saw,
    the book and balance re-read before each (``emergency_sell`` says why). The report
    counts what the exchange says executed, never what was asked for.

    ``risk``, the order manager's risk manager in the same process, has its kill switch
    tripped first: from then on the manager sends nothing (no new order, no resend of one
    whose answer was lost), so nothing it does can reopen what the stop closes. The stop's
    own sells go straight to the venue."""
    if risk is not None:
        risk.trip("emergency stop", emergency=False)
        # An order past the gate before the trip may still be pacing or signing: cancel and
        # sell after it lands, or it would outlive the stop (seen: signed 1-9 ms after it).
        waited = await risk.placements_settled(PLACEMENTS_SETTLE_S)
        if waited:
            log.warning("emergency stop: waited for %d order(s) already on their way", waited)
    policy = policy or ErrorPolicy(base_delay_s=0.2, max_delay_s=5.0, failure_threshold=10_000)
    if holds_positions(venue):
        report = await futures_emergency_stop(
            venue, attempts=attempts, selling=selling or SellSettings(), policy=policy
        )
        if flatten_assets:
            report.errors.append("flatten_assets ignored: a derivatives account holds positions, all closed")
        _log(report)
        return report
    stop = _Stop(venue, policy, attempts)
    await stop.cancel_everything()
    stop.rules = await stop.attempt("exchange rules", venue.rules)
    for asset in flatten_assets or ():
        await stop.flatten(asset, quote_asset, selling or SellSettings())
    await stop.verify(flatten_assets or (), quote_asset)
    _log(stop.report)
    return stop.report


def _log(report: EmergencyReport) -> None:
    for line in report.lines():
        (log.info if report.ok else log.warning)("emergency stop: %s", line)


class _Stop(StopContext):
    def __init__(self, venue: TradingVenue, policy: ErrorPolicy, attempts: int) -> None:
        super().__init__(venue, policy, attempts)
        self.rules: VenueRules | None = None
        self.sellers: dict[str, AssetSeller] = {}
        self.gave_up: dict[str, str | None] = {}

    async def cancel_everything(self) -> None:
        for _ in range(self.attempts):
            open_orders = await self.attempt("read open orders", self.venue.open_orders)
            if not open_orders:
                return
            for symbol in sorted({o.symbol for o in open_orders}):
                done = await self.attempt(
                    f"cancel all on {symbol}", lambda s=symbol: self.venue.cancel_all(s)
                )
                if done is not None and symbol not in self.report.canceled_symbols:
                    self.report.canceled_symbols.append(symbol)

    async def flatten(self, asset: str, quote: str, settings: SellSettings) -> None:
        symbol = f"{asset}{quote}"
        symbol_rules = self.rules.get(symbol) if self.rules is not None else None
        if symbol_rules is None:
            self.report.not_closed[asset] = f"no symbol {symbol} (or no exchange rules)"
            return
        seller = AssetSeller(self, settings=settings, rules=symbol_rules, asset=asset, quote_asset=quote)
        self.sellers[asset] = seller
        self.gave_up[asset] = await seller.run()

    async def verify(self, assets: Sequence[str], quote_asset: str) -> None:
        """Read open orders and balances afresh: an asset is closed only if what is left of
        it, valued at a real price, is below the minimum order."""
        report = self.report
        open_orders = await self.attempt("verify open orders", self.venue.open_orders)
        if open_orders is None:
            report.open_orders_left.append("could not read open orders to verify")
        else:
            report.open_orders_left = [f"{o.symbol} {o.client_order_id} {o.status}" for o in open_orders]
        account = await self.attempt("verify balances", self.venue.balances)
        if account is None:
            for asset in assets:
                report.not_closed.setdefault(asset, "could not read balances to verify")
            return
        for asset in assets:
            seller = self.sellers.get(asset)
            if seller is None:
                continue  # no symbol: already reported
            bal = next((b for b in account.balances if b.asset == asset), None)
            held = bal.free + bal.locked if bal is not None else ZERO
            if held == 0:
                continue
            bid, last = await seller.prices()
            value = bid or last
            left = f"{seller.amount(held)} {asset} left"
            if value <= 0:
                report.not_closed[asset] = f"{left}: no price (no bid in the book and no last price)"
            elif seller.rules.largest_sale(held, value) > 0:
                report.not_closed[asset] = f"{left}: {self.gave_up.get(asset) or 'still held after the stop'}"
            else:
                report.dust[asset] = held
