"""Symbol rules that are not Binance's: a few numbers (a quantity step, a price tick, a
minimum quantity and order value) behind the neutral protocols of ``tradeexec.venue.rules``,
for ``FakeVenue``. No filter list, no error codes: if the core leaned on anything of
Binance's rules beyond those protocols, the fake venue's runs would fail."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from tradeexec.errors import InvalidParameter, OrderRejectedLocally
from tradeexec.venue.rules import MarketFigures, OrderTerms, Rounding

_MODES = {Rounding.DOWN: ROUND_FLOOR, Rounding.UP: ROUND_CEILING, Rounding.NEAREST: ROUND_HALF_EVEN}

ZERO = Decimal(0)


@dataclass(frozen=True)
class Shortfall:
    """Why the fake venue would refuse an order as too small."""

    filter: str
    field: str
    detail: str


@dataclass(frozen=True)
class FakeSymbolRules:
    symbol: str = "BTCUSDT"
    base_asset: str = "BTC"
    quote_asset: str = "USDT"
    quote_asset_precision: int = 8
    step: Decimal = Decimal("0.00001")
    tick: Decimal = Decimal("0.01")
    min_qty: Decimal = Decimal("0.00001")
    min_value: Decimal = Decimal("5")
    needs_average_price: bool = True  # market orders are valued at the venue's average

    def round_qty(self, qty: Decimal, mode: Rounding = Rounding.DOWN, *, market: bool = False) -> Decimal:
        return (qty / self.step).to_integral_value(_MODES[mode]) * self.step

    def round_price(self, price: Decimal, mode: Rounding = Rounding.DOWN) -> Decimal:
        return (price / self.tick).to_integral_value(_MODES[mode]) * self.tick

    def below_minimum(self, order: OrderTerms, market: MarketFigures) -> Shortfall | None:
        qty = order.quantity
        if qty is not None and qty < self.min_qty:
            return Shortfall("MIN_QTY", "quantity", f"{qty} is below {self.min_qty}")
        price = order.price or market.average_price or market.last_price
        if qty is not None and price is not None and qty * price < self.min_value:
            return Shortfall("MIN_VALUE", "quantity", f"{qty * price} is below {self.min_value}")
        return None

    def validate_order(self, order: OrderTerms, market: MarketFigures) -> None:
        short = self.below_minimum(order, market)
        if short is not None:
            raise OrderRejectedLocally(short.filter, short.field, short.detail)

    @property
    def qty_step(self) -> Decimal:
        return self.step

    @property
    def price_tick(self) -> Decimal:
        return self.tick

    def lowest_sell_price(self, reference: Decimal) -> Decimal:
        return self.tick  # no price band: any positive tick

    def largest_sale(self, held: Decimal, price: Decimal) -> Decimal:
        qty = self.round_qty(held) if held > 0 else ZERO
        return qty if qty >= self.min_qty and qty * price >= self.min_value else ZERO


class FakeRules:
    """Every symbol's rules: one symbol."""

    def __init__(self, *symbols: FakeSymbolRules) -> None:
        self.symbols = {s.symbol: s for s in symbols or (FakeSymbolRules(),)}

    def __getitem__(self, symbol: str) -> FakeSymbolRules:
        found = self.symbols.get(symbol)
        if found is None:
            raise InvalidParameter("symbol", "not listed on the fake venue", repr(symbol))
        return found

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.symbols

    def get(self, symbol: str) -> FakeSymbolRules | None:
        return self.symbols.get(symbol)
