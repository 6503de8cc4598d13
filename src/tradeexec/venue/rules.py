"""What the execution core needs of a venue's trading rules, in no venue's words.

The core rounds an order to the symbol's grids, checks the rounded order against the symbol's
rules (with the live market figures some rules need) before journaling it, asks whether a
target's difference is too small to trade (dust), and which symbols are judged at the venue's
own average price. Binance's ``SymbolRules``/``ExchangeRules`` (``tradeexec.binance.rules``)
implement these protocols; the test venue (``tests/execution/fake_venue.py``) implements them
with a handful of numbers, which keeps them from being shaped by Binance's filter list.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from tradeexec.venue.vocab import OrderType, Side, TimeInForce

__all__ = ["MarketFigures", "OrderTerms", "Rounding", "RuleFailure", "SymbolRuleSet", "VenueRules"]


class Rounding(StrEnum):
    """How to bring a number onto a grid. DOWN and UP are floor and ceiling (toward minus and
    plus infinity); NEAREST breaks ties to the even grid step."""

    DOWN = "DOWN"
    UP = "UP"
    NEAREST = "NEAREST"


class OrderTerms(Protocol):
    """An order as the rules judge it: the journaled intent (and any ``PlacementRequest``) is
    one."""

    @property
    def symbol(self) -> str: ...
    @property
    def side(self) -> Side: ...
    @property
    def type(self) -> OrderType: ...
    @property
    def quantity(self) -> Decimal | None: ...
    @property
    def quote_quantity(self) -> Decimal | None: ...
    @property
    def price(self) -> Decimal | None: ...
    @property
    def time_in_force(self) -> TimeInForce | None: ...
    @property
    def stop_price(self) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class MarketFigures:
    """The live figures some rules need: the last (or mark) price, the venue's own average
    price where it judges orders at one (None: unknown, the last price stands in), and the
    symbol's open orders before this one. A rule needing a figure that is None is skipped."""

    last_price: Decimal | None = None
    average_price: Decimal | None = None
    open_orders: int | None = None


class RuleFailure(Protocol):
    """Why a venue would refuse an order: the rule (a filter's name) and the field it judged."""

    @property
    def filter(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def detail(self) -> str: ...


class SymbolRuleSet(Protocol):
    """One symbol's rules, as the core uses them."""

    @property
    def symbol(self) -> str: ...
    @property
    def base_asset(self) -> str: ...
    @property
    def quote_asset(self) -> str: ...
    @property
    def quote_asset_precision(self) -> int:
        """Decimal places of quote amounts (a quote-sized order is cut down to them)."""
        ...

    @property
    def needs_average_price(self) -> bool:
        """Whether a rule of the symbol judges orders at the venue's average price."""
        ...

    def round_qty(self, qty: Decimal, mode: Rounding = Rounding.DOWN, *, market: bool = False) -> Decimal: ...
    def round_price(self, price: Decimal, mode: Rounding = Rounding.DOWN) -> Decimal: ...

    def validate_order(self, order: OrderTerms, market: MarketFigures) -> None:
        """Raise ``OrderRejectedLocally`` (naming the rule and the field) when the venue would
        refuse the rounded ``order`` at ``market``; the one check before the journal."""
        ...

    def below_minimum(self, order: OrderTerms, market: MarketFigures) -> RuleFailure | None:
        """The first minimum (quantity, notional) ``order`` falls short of, or None. Only
        minimums: too big is an error for ``validate_order``, too small is dust."""
        ...

    # What the emergency stop's LIMIT IOC sells need (``execution.emergency_sell``).
    @property
    def qty_step(self) -> Decimal | None:
        """The step quantities are multiples of (None: any), to show them as the venue does."""
        ...

    @property
    def price_tick(self) -> Decimal | None:
        """The step prices are multiples of (None: any), to show them as the venue does."""
        ...

    def lowest_sell_price(self, reference: Decimal) -> Decimal:
        """The lowest price the venue accepts for a sell now, ``reference`` (the last price)
        standing in for the reference price its bands are set around; 0 when it sets none."""
        ...

    def largest_sale(self, held: Decimal, price: Decimal) -> Decimal:
        """The largest quantity of ``held`` one LIMIT sell at ``price`` may carry, or 0 when
        what is held is dust there (below the minimum quantity or value)."""
        ...


class VenueRules(Protocol):
    """Every symbol's rules (``TradingVenue.rules()``)."""

    def __getitem__(self, symbol: str) -> SymbolRuleSet:
        """Raises ``InvalidParameter`` for a symbol the venue does not list."""
        ...

    def __contains__(self, symbol: object) -> bool: ...
    def get(self, symbol: str) -> SymbolRuleSet | None: ...
