"""What an emergency stop did, in the exchange's own figures.

The report is built from the exchange's answers only: the executed quantity, the quote
proceeds and the fills (price, commission) of each placement's answer, or, when an answer
was lost, from the order and its trades read back afterwards (the venue's neutral
``PlacementFill`` and ``TradeRecord``). It never counts the quantity
the stop *asked* for: an IOC sell that the book filled by half sold half, and the owner
deciding what to do next must see that half.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradeexec.venue.records import PlacementFill, TradeRecord

__all__ = ["AssetSale", "EmergencyReport", "ExecutedOrders", "LegClose", "plain_qty"]

ZERO = Decimal(0)


def plain_qty(qty: Decimal, step: Decimal | None = None) -> str:
    """``qty`` in plain notation (never ``1E-7``); with ``step``, shown to the step's
    decimals when it lies on that grid (``0.50000`` for a step of ``0.00001``)."""
    if step is not None and step > 0:
        grid = step.normalize()
        if qty == qty.quantize(grid):
            return f"{qty.quantize(grid):f}"
    return f"{qty.normalize():f}" if qty else "0"


@dataclass(slots=True, kw_only=True)
class ExecutedOrders:
    """What a run of the stop's orders executed, summed over its orders: the quantity, the
    quote it moved (``proceeds``: received for a sale, paid for a buy) and the fees per asset,
    each order counted once from the exchange's answer or its record."""

    symbol: str
    step: Decimal | None = None
    quantity: Decimal = ZERO
    proceeds: Decimal = ZERO
    fees: dict[str, Decimal] = field(default_factory=dict)
    orders: int = 0

    @property
    def average_price(self) -> Decimal | None:
        return self.proceeds / self.quantity if self.quantity else None

    def add_order(
        self, executed_qty: Decimal, quote_qty: Decimal, fills: Iterable[PlacementFill | TradeRecord]
    ) -> None:
        """Count one order the exchange accepted: its executed quantity, its quote value and
        the commission of each of its fills."""
        self.orders += 1
        self.quantity += executed_qty
        self.proceeds += quote_qty
        for fill in fills:
            if fill.commission:
                self.fees[fill.commission_asset] = (
                    self.fees.get(fill.commission_asset, ZERO) + fill.commission
                )

    def _figures(self) -> tuple[str, str]:
        """(average price, fees) as the report shows them."""
        avg = self.average_price
        shown_avg = f"{avg.quantize(Decimal('0.00000001')).normalize():f}" if avg is not None else "-"
        fees = ", ".join(f"{plain_qty(v)} {a}" for a, v in sorted(self.fees.items())) or "none"
        return shown_avg, fees

    def _counts(self) -> str:
        return f"{self.orders} order{'s' if self.orders != 1 else ''}"


@dataclass(slots=True, kw_only=True)
class AssetSale(ExecutedOrders):
    """What the stop's sells of one asset executed."""

    asset: str
    quote_asset: str

    def line(self) -> str:
        shown_avg, fees = self._figures()
        return (
            f"sold {plain_qty(self.quantity, self.step)} {self.asset} on {self.symbol} at average "
            f"{shown_avg} for {plain_qty(self.proceeds)} {self.quote_asset}, fees {fees}, {self._counts()}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "quantity": self.quantity,
            "average_price": self.average_price,
            "proceeds": self.proceeds,
            "quote_asset": self.quote_asset,
            "fees": dict(self.fees),
            "orders": self.orders,
        }


@dataclass(slots=True, kw_only=True)
class LegClose(ExecutedOrders):
    """What the stop's closing orders of one position leg executed (a derivatives venue):
    ``side`` is the closing side (SELL closes a long, BUY a short), ``proceeds`` the notional
    traded, ``realized_pnl`` the profit or loss the venue booked on the closing trades."""

    leg: str
    side: str
    margin_asset: str
    realized_pnl: Decimal = ZERO

    def add_order(
        self, executed_qty: Decimal, quote_qty: Decimal, fills: Iterable[PlacementFill | TradeRecord]
    ) -> None:
        fills = list(fills)
        ExecutedOrders.add_order(self, executed_qty, quote_qty, fills)
        for fill in fills:
            self.realized_pnl += getattr(fill, "realized_pnl", None) or ZERO

    def line(self) -> str:
        shown_avg, fees = self._figures()
        return (
            f"closed {plain_qty(self.quantity, self.step)} of {self.symbol} {self.leg} ({self.side}) at "
            f"average {shown_avg} for {plain_qty(self.proceeds)} {self.margin_asset}, realized PnL "
            f"{plain_qty(self.realized_pnl)} {self.margin_asset}, fees {fees}, {self._counts()}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "leg": self.leg,
            "side": self.side,
            "quantity": self.quantity,
            "average_price": self.average_price,
            "notional": self.proceeds,
            "realized_pnl": self.realized_pnl,
            "margin_asset": self.margin_asset,
            "fees": dict(self.fees),
            "orders": self.orders,
        }


@dataclass(slots=True)
class EmergencyReport:
    """``sold`` holds an entry for every asset the stop sent at least one order for, even one
    that filled nothing (its ``orders`` count shows the attempts); ``closed`` the same for
    every position leg (key ``"BTCUSDT LONG"``) of a derivatives venue, and
    ``canceled_conditional`` how many conditional orders each symbol had open. A leg left
    open is in ``not_closed`` under its key, with the reason."""

    canceled_symbols: list[str] = field(default_factory=list)
    sold: dict[str, AssetSale] = field(default_factory=dict)
    closed: dict[str, LegClose] = field(default_factory=dict)
    canceled_conditional: dict[str, int] = field(default_factory=dict)
    dust: dict[str, Decimal] = field(default_factory=dict)
    open_orders_left: list[str] = field(default_factory=list)
    not_closed: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No open order left, every configured asset sold down to dust, and the figures
        complete: an order whose outcome could not be read back leaves the report open."""
        return not self.open_orders_left and not self.not_closed and not self.unconfirmed

    def lines(self) -> list[str]:
        out = [f"canceled open orders on: {', '.join(self.canceled_symbols) or 'none'}"]
        out += [f"canceled {n} conditional order(s) on {s}" for s, n in self.canceled_conditional.items()]
        out += [sale.line() for sale in self.sold.values()]
        out += [leg.line() for leg in self.closed.values()]
        out += [f"dust left: {plain_qty(qty)} {asset}" for asset, qty in self.dust.items()]
        out += [f"OPEN ORDER LEFT: {o}" for o in self.open_orders_left]
        out += [f"NOT CLOSED: {asset}: {why}" for asset, why in self.not_closed.items()]
        out += [f"UNCONFIRMED: {u}" for u in self.unconfirmed]
        out += [f"error: {e}" for e in self.errors]
        out.append("EMERGENCY STOP COMPLETE" if self.ok else "EMERGENCY STOP INCOMPLETE")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "canceled_symbols": self.canceled_symbols,
            "sold": {asset: sale.as_dict() for asset, sale in self.sold.items()},
            "closed": {key: leg.as_dict() for key, leg in self.closed.items()},
            "canceled_conditional": self.canceled_conditional,
            "dust": self.dust,
            "open_orders_left": self.open_orders_left,
            "not_closed": self.not_closed,
            "errors": self.errors,
            "unconfirmed": self.unconfirmed,
            "lines": self.lines(),
        }
