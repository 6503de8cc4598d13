"""The emergency stop of a derivatives account (Binance USDT-M futures): cancel every open
order and conditional order, close every position leg, verify flat.

Like the spot stop it needs nothing but the venue (no journal, no order manager), reads the
exchange afresh at every step (so it is idempotent: a second run finds nothing to do) and
keeps going when calls fail, reporting what is left and why. The order matters:

1. conditional orders first, then plain ones, on every symbol that has either (a stop that
   triggers during the closes would trade against them), read again until none is listed;
2. every non-flat leg closed with reduce-only LIMIT IOC passes (``emergency_close``), both
   legs of a symbol in hedge mode, each with its own ``position_leg``; then the positions are
   read again and a leg still open that its closer believed flat (a fill or a trigger that
   raced the cancels) gets one more round; a leg whose closer gave up does not (its passes
   are spent, and a new band measured from the book it emptied would walk the book down);
3. verification against ``open_orders``, ``open_conditional`` and ``positions``: a leg is
   closed only when the venue lists it flat (or not at all).
"""

from __future__ import annotations

from tradeexec.execution.emergency_close import LegCloser
from tradeexec.execution.emergency_passes import SellSettings, StopContext
from tradeexec.execution.emergency_report import EmergencyReport, plain_qty
from tradeexec.execution.policy import ErrorPolicy
from tradeexec.venue.positions import PositionSnapshot
from tradeexec.venue.protocol import DerivativesVenue
from tradeexec.venue.rules import VenueRules

__all__ = ["futures_emergency_stop"]

# A leg still open after a round of closes gets one more: a fill or a trigger that raced the
# cancels can reopen or grow it once; more than that is reported, not chased.
ROUNDS = 2


async def futures_emergency_stop(
    venue: DerivativesVenue, *, attempts: int, selling: SellSettings, policy: ErrorPolicy
) -> EmergencyReport:
    """Cancel, close and verify as the module says; the report lists per leg what was
    closed (quantity, average price, realized PnL, fees) from the exchange's answers and
    trades, and what is left, with the reason."""
    stop = _FuturesStop(venue, policy, attempts)
    await stop.cancel_everything()
    stop.rules = await stop.attempt("exchange rules", venue.rules)
    for _ in range(ROUNDS):
        # A leg its closer gave up on is not tried again: its passes are spent, and a fresh
        # closer would measure its price band from the depleted book (walking it down).
        legs = [p for p in await stop.open_legs() or () if stop.gave_up.get(_key(p)) is None]
        if not legs:
            break
        for leg in legs:
            await stop.close(leg, selling)
    await stop.verify()
    return stop.report


def _key(leg: PositionSnapshot) -> str:
    return f"{leg.symbol} {leg.leg.value}"


class _FuturesStop(StopContext):
    venue: DerivativesVenue

    def __init__(self, venue: DerivativesVenue, policy: ErrorPolicy, attempts: int) -> None:
        super().__init__(venue, policy, attempts)
        self.rules: VenueRules | None = None
        self.gave_up: dict[str, str | None] = {}

    async def cancel_everything(self) -> None:
        """Until both lists read empty (at most ``attempts`` rounds): conditional orders,
        then plain ones, of every symbol listing either."""
        report = self.report
        for _ in range(self.attempts):
            conditional = await self.attempt("read open conditional orders", self.venue.open_conditional)
            plain = await self.attempt("read open orders", self.venue.open_orders)
            with_conditional = sorted({o.symbol for o in conditional or ()})
            with_plain = sorted({o.symbol for o in plain or ()})
            if conditional is not None and plain is not None and not with_conditional and not with_plain:
                return
            for symbol in with_conditional:
                count = await self.attempt(
                    f"cancel conditional orders on {symbol}",
                    lambda s=symbol: self.venue.cancel_conditional(s),
                )
                if count is not None:
                    report.canceled_conditional[symbol] = report.canceled_conditional.get(symbol, 0) + count
            for symbol in with_plain:
                done = await self.attempt(
                    f"cancel all on {symbol}", lambda s=symbol: self.venue.cancel_all(s)
                )
                if done is not None and symbol not in report.canceled_symbols:
                    report.canceled_symbols.append(symbol)

    async def open_legs(self) -> list[PositionSnapshot] | None:
        """Every non-flat leg, read now; None when the positions cannot be read."""
        found = await self.attempt("read positions", self.venue.positions)
        if found is None:
            return None
        return [p for p in found if p.quantity != 0]

    async def close(self, leg: PositionSnapshot, selling: SellSettings) -> None:
        symbol_rules = self.rules.get(leg.symbol) if self.rules is not None else None
        if symbol_rules is None:
            self.gave_up[_key(leg)] = f"no exchange rules for {leg.symbol}"
            return
        closer = LegCloser(self, self.venue, settings=selling, rules=symbol_rules, leg=leg)
        self.gave_up[_key(leg)] = await closer.run()

    async def verify(self) -> None:
        """Read open orders, conditional orders and positions afresh: what they list is what
        is left, whatever the passes believed."""
        report = self.report
        lists = (
            ("open orders", "", self.venue.open_orders),
            ("conditional orders", "conditional ", self.venue.open_conditional),
        )
        for what, kind, call in lists:
            found = await self.attempt(f"verify {what}", call)
            if found is None:
                report.open_orders_left.append(f"could not read {what} to verify")
            else:
                report.open_orders_left += [f"{o.symbol} {kind}{o.client_order_id} {o.status}" for o in found]
        legs = await self.open_legs()
        if legs is None:
            report.not_closed["positions"] = "could not read the positions to verify"
            return
        for leg in legs:
            left = f"{plain_qty(abs(leg.quantity))} left ({'long' if leg.quantity > 0 else 'short'})"
            why = self.gave_up.get(_key(leg)) or "still open after the stop"
            report.not_closed[_key(leg)] = f"{left}: {why}"
