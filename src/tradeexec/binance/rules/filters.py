"""Binance's symbol and exchange filters: their wire shape in exchangeInfo, and the check
each one makes of an order, with Binance's code and message.

Decoding is per filter, not per list: Binance adds filter types from time to time
(MAX_NUM_ORDER_AMENDS and MAX_NUM_ORDER_LISTS arrived in 2025), and one unknown or malformed
entry must not make a whole exchangeInfo unreadable. Such entries are handed back to the
caller untouched so that they can be served again as they came.

Decimal fields keep the exponent they were decoded with, so ``"0.01000000"`` goes back on the
wire as ``"0.01000000"`` and ``"5"`` as ``"5"`` (Binance writes the multipliers of
PERCENT_PRICE_BY_SIDE without padding).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from enum import StrEnum
from typing import Any, Final, TypeVar

import msgspec

from tradeexec.binance.enums import OrderType, Side, TimeInForce

__all__ = [
    "INVALID_MESSAGE",
    "NEW_ORDER_REJECTED",
    "NO_MARKET",
    "ExchangeFilter",
    "ExchangeMaxNumAlgoOrders",
    "ExchangeMaxNumIcebergOrders",
    "ExchangeMaxNumOrderLists",
    "ExchangeMaxNumOrders",
    "FilterFailure",
    "IcebergParts",
    "LotSize",
    "MarketContext",
    "MarketLotSize",
    "MaxNumAlgoOrders",
    "MaxNumIcebergOrders",
    "MaxNumOrderAmends",
    "MaxNumOrderLists",
    "MaxNumOrders",
    "MaxPosition",
    "MinNotional",
    "Notional",
    "OrderCheck",
    "PercentPrice",
    "PercentPriceBySide",
    "PriceFilter",
    "Rounding",
    "StaticCheck",
    "SymbolFilter",
    "TrailingDelta",
    "account_filters",
    "check_account_filter",
    "filter_to_json",
    "parse_exchange_filters",
    "parse_filters",
    "split_exchange_filters",
    "split_filters",
    "static_checks",
]


class _Filter(msgspec.Struct, frozen=True, tag_field="filterType", rename="camel"):
    """Common base: refuses values no real exchangeInfo has, so that a check never has to
    reason about a NaN or negative limit."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, Decimal) and (not value.is_finite() or value < 0):
                raise ValueError(f"{name} must be a finite non-negative number, got {value}")
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")


class PriceFilter(_Filter, frozen=True, tag="PRICE_FILTER"):
    min_price: Decimal
    max_price: Decimal
    tick_size: Decimal


class PercentPrice(_Filter, frozen=True, tag="PERCENT_PRICE"):
    multiplier_up: Decimal
    multiplier_down: Decimal
    avg_price_mins: int


class PercentPriceBySide(_Filter, frozen=True, tag="PERCENT_PRICE_BY_SIDE"):
    bid_multiplier_up: Decimal
    bid_multiplier_down: Decimal
    ask_multiplier_up: Decimal
    ask_multiplier_down: Decimal
    avg_price_mins: int


class LotSize(_Filter, frozen=True, tag="LOT_SIZE"):
    min_qty: Decimal
    max_qty: Decimal
    step_size: Decimal


class MinNotional(_Filter, frozen=True, tag="MIN_NOTIONAL"):
    min_notional: Decimal
    apply_to_market: bool
    avg_price_mins: int


class Notional(_Filter, frozen=True, tag="NOTIONAL"):
    min_notional: Decimal
    apply_min_to_market: bool
    max_notional: Decimal
    apply_max_to_market: bool
    avg_price_mins: int


class IcebergParts(_Filter, frozen=True, tag="ICEBERG_PARTS"):
    limit: int


class MarketLotSize(_Filter, frozen=True, tag="MARKET_LOT_SIZE"):
    min_qty: Decimal
    max_qty: Decimal
    step_size: Decimal


class MaxNumOrders(_Filter, frozen=True, tag="MAX_NUM_ORDERS"):
    max_num_orders: int


class MaxNumAlgoOrders(_Filter, frozen=True, tag="MAX_NUM_ALGO_ORDERS"):
    max_num_algo_orders: int


class MaxNumIcebergOrders(_Filter, frozen=True, tag="MAX_NUM_ICEBERG_ORDERS"):
    max_num_iceberg_orders: int


class MaxPosition(_Filter, frozen=True, tag="MAX_POSITION"):
    max_position: Decimal


class TrailingDelta(_Filter, frozen=True, tag="TRAILING_DELTA"):
    min_trailing_above_delta: int
    max_trailing_above_delta: int
    min_trailing_below_delta: int
    max_trailing_below_delta: int


class MaxNumOrderAmends(_Filter, frozen=True, tag="MAX_NUM_ORDER_AMENDS"):
    """Limits amendments of one order (error -2038 when exceeded); not an order-entry check."""

    max_num_order_amends: int


class MaxNumOrderLists(_Filter, frozen=True, tag="MAX_NUM_ORDER_LISTS"):
    """Limits open order lists on a symbol; checked when an order list is placed."""

    max_num_order_lists: int


class ExchangeMaxNumOrders(_Filter, frozen=True, tag="EXCHANGE_MAX_NUM_ORDERS"):
    max_num_orders: int


class ExchangeMaxNumAlgoOrders(_Filter, frozen=True, tag="EXCHANGE_MAX_NUM_ALGO_ORDERS"):
    max_num_algo_orders: int


class ExchangeMaxNumIcebergOrders(_Filter, frozen=True, tag="EXCHANGE_MAX_NUM_ICEBERG_ORDERS"):
    max_num_iceberg_orders: int


class ExchangeMaxNumOrderLists(_Filter, frozen=True, tag="EXCHANGE_MAX_NUM_ORDER_LISTS"):
    max_num_order_lists: int


SymbolFilter = (
    PriceFilter
    | PercentPrice
    | PercentPriceBySide
    | LotSize
    | MinNotional
    | Notional
    | IcebergParts
    | MarketLotSize
    | MaxNumOrders
    | MaxNumAlgoOrders
    | MaxNumIcebergOrders
    | MaxPosition
    | TrailingDelta
    | MaxNumOrderAmends
    | MaxNumOrderLists
)
ExchangeFilter = (
    ExchangeMaxNumOrders | ExchangeMaxNumAlgoOrders | ExchangeMaxNumIcebergOrders | ExchangeMaxNumOrderLists
)

_F = TypeVar("_F")

_SYMBOL_TYPES: dict[str, type[SymbolFilter]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in (
        PriceFilter,
        PercentPrice,
        PercentPriceBySide,
        LotSize,
        MinNotional,
        Notional,
        IcebergParts,
        MarketLotSize,
        MaxNumOrders,
        MaxNumAlgoOrders,
        MaxNumIcebergOrders,
        MaxPosition,
        TrailingDelta,
        MaxNumOrderAmends,
        MaxNumOrderLists,
    )
}
_EXCHANGE_TYPES: dict[str, type[ExchangeFilter]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in (
        ExchangeMaxNumOrders,
        ExchangeMaxNumAlgoOrders,
        ExchangeMaxNumIcebergOrders,
        ExchangeMaxNumOrderLists,
    )
}


def _split(raw: list[dict[str, Any]], known: dict[str, type[_F]]) -> tuple[list[_F], list[dict[str, Any]]]:
    parsed: list[_F] = []
    rest: list[dict[str, Any]] = []
    for entry in raw:
        cls = known.get(entry.get("filterType", "")) if isinstance(entry, dict) else None
        if cls is None:
            rest.append(entry)
            continue
        try:
            parsed.append(msgspec.convert(entry, type=cls))
        except msgspec.ValidationError:
            rest.append(entry)
    return parsed, rest


def split_filters(raw: list[dict[str, Any]]) -> tuple[list[SymbolFilter], list[dict[str, Any]]]:
    """Known symbol filters decoded, and the entries that are unknown or malformed, as given."""
    return _split(raw, _SYMBOL_TYPES)


def split_exchange_filters(
    raw: list[dict[str, Any]],
) -> tuple[list[ExchangeFilter], list[dict[str, Any]]]:
    """Known exchange filters decoded, and the entries that are unknown or malformed, as given."""
    return _split(raw, _EXCHANGE_TYPES)


def parse_filters(raw: list[dict[str, Any]]) -> list[SymbolFilter]:
    """The known symbol filters of an exchangeInfo ``filters`` list; others are dropped."""
    return split_filters(raw)[0]


def parse_exchange_filters(raw: list[dict[str, Any]]) -> list[ExchangeFilter]:
    """The known filters of an exchangeInfo ``exchangeFilters`` list; others are dropped."""
    return split_exchange_filters(raw)[0]


def wire_decimal(value: Decimal) -> str:
    """Binance's text for a decimal: plain digits, never an exponent (``0E-8`` -> ``0.00000000``)."""
    return format(value, "f")


def filter_to_json(f: SymbolFilter | ExchangeFilter) -> dict[str, Any]:
    """A filter back in exchangeInfo's shape, decimals as strings, ``filterType`` first."""
    config = f.__struct_config__
    out: dict[str, Any] = {str(config.tag_field): config.tag}
    for field in msgspec.structs.fields(f):
        value = getattr(f, field.name)
        out[field.encode_name] = wire_decimal(value) if isinstance(value, Decimal) else value
    return out


# ---------------------------------------------------------------------------------------------
# Evaluation

# Binance's codes for filter failures: -1013 when the API refuses the order, -2010 when the
# matching engine does (the filters that need the account's open orders or position).
INVALID_MESSAGE = -1013
NEW_ORDER_REJECTED = -2010

_ALGO_TYPES = frozenset(
    {OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT}
)
_STOP_TYPES = frozenset({OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT})


class Rounding(StrEnum):
    """How to bring a number onto a grid. DOWN and UP are floor and ceiling (toward minus and
    plus infinity); NEAREST breaks ties to the even grid step."""

    DOWN = "DOWN"
    UP = "UP"
    NEAREST = "NEAREST"


@dataclass(frozen=True, slots=True)
class FilterFailure:
    """Why Binance would refuse an order. ``filter`` is the filter's name for filter failures
    and a rule name otherwise (``BAD_PRECISION``, ``ILLEGAL_CHARS``, ...); ``msg`` is set only
    for the latter, whose text is not "Filter failure: X"."""

    filter: str
    field: str
    detail: str
    code: int = INVALID_MESSAGE
    msg: str = ""

    @property
    def message(self) -> str:
        """Binance's text, exactly as its error JSON carries it."""
        return self.msg or f"Filter failure: {self.filter}"

    @property
    def is_filter(self) -> bool:
        return not self.msg


@dataclass(frozen=True, slots=True)
class OrderCheck:
    """What validation needs to know of an order, as it would be sent."""

    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal | None = None
    quote_order_qty: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    iceberg_qty: Decimal | None = None
    trailing_delta: int | None = None
    time_in_force: TimeInForce | None = None


@dataclass(frozen=True, slots=True)
class MarketContext:
    """Live figures some filters need. ``weighted_avg_price`` is the average over the filter's
    ``avgPriceMins`` (GET /api/v3/avgPrice), ``last_price`` the last trade; a filter with
    ``avgPriceMins`` 0 uses the last price, and either stands in for the other when only one
    is known. Order counts are of open orders before this one; ``base_position`` is free plus
    locked base asset plus the quantity of open BUY orders."""

    last_price: Decimal | None = None
    weighted_avg_price: Decimal | None = None
    open_orders: int | None = None
    open_algo_orders: int | None = None
    open_iceberg_orders: int | None = None
    account_open_orders: int | None = None
    account_open_algo_orders: int | None = None
    account_open_iceberg_orders: int | None = None
    base_position: Decimal | None = None


# No live figures: the context of an order checked without ``market``. Checks compare against
# this one object by identity to skip at once every filter that has nothing to check without them.
NO_MARKET: Final = MarketContext()


# ---------------------------------------------------------------------------------------------
# Exact decimal arithmetic. Comparisons of Decimals are exact, but products and remainders
# round to the current context's precision (28 digits by default; Binance's numbers have up to
# 40), so they are computed in a context that cannot round: exact for every finite operand, and
# cheaper than rebuilding the numbers' digits as integers.

_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def _significant_exponent(value: Decimal) -> int:
    """The exponent of ``value`` without its trailing zeros (``0.01000000`` -> -2)."""
    if not value:
        return 0
    exp = _EXACT.normalize(value).as_tuple().exponent
    assert isinstance(exp, int), "only finite values reach here"
    return exp


def exact_mul(a: Decimal, b: Decimal) -> Decimal:
    """``a * b`` without rounding (the default context keeps only 28 digits)."""
    return _EXACT.multiply(a, b)


def _on_grid(value: Decimal, base: Decimal, step: Decimal) -> bool:
    return not _EXACT.remainder(_EXACT.subtract(value, base), step)


def _floor_div(value: Decimal, step: Decimal) -> tuple[int, Decimal]:
    """``value // step`` floored (Decimal's divmod truncates toward zero) and the remainder,
    which is then in ``[0, step)``; ``step`` is positive."""
    k, rest = _EXACT.divmod(value, step)
    if rest < 0:
        return int(k) - 1, _EXACT.add(rest, step)
    return int(k), rest


@dataclass(frozen=True, slots=True)
class _Grid:
    """The points ``base + k * step`` (``step`` positive), with what rounding onto them needs
    worked out once: a symbol's grids are the same for every order."""

    base: Decimal
    step: Decimal
    quantum: Decimal  # 1 at the grid's exponent, so results print like the exchange's numbers
    origin_odd: bool  # whether ``base`` lies an odd (floored) count of steps from zero

    @classmethod
    def of(cls, base: Decimal, step: Decimal) -> _Grid:
        grid_exp = min(_significant_exponent(base), _significant_exponent(step))
        return cls(base, step, Decimal((0, (1,), grid_exp)), _floor_div(base, step)[0] % 2 == 1)

    def round(self, value: Decimal, mode: Rounding) -> Decimal:
        k, rest = _floor_div(_EXACT.subtract(value, self.base), self.step)
        if rest and (mode is Rounding.UP or (mode is Rounding.NEAREST and self._past_half(k, rest))):
            k += 1
        return _EXACT.fma(self.step, k, self.base).quantize(self.quantum, context=_EXACT)

    def _past_half(self, k: int, rest: Decimal) -> bool:
        # A tie goes to the grid point with an even count of steps from zero (from the grid's
        # origin below zero when minPrice/minQty is not itself on the step grid).
        twice = _EXACT.add(rest, rest)
        return twice > self.step or (twice == self.step and (k % 2 == 1) != self.origin_odd)


@functools.lru_cache(maxsize=256)
def _grid(base: Decimal, step: Decimal) -> _Grid:
    return _Grid.of(base, step)


def to_grid(value: Decimal, base: Decimal, step: Decimal, mode: Rounding) -> Decimal:
    """The point ``base + k * step`` chosen by ``mode``, written with the grid's exponent so
    that it prints like the exchange's own numbers (``0.01`` steps give ``123.45``)."""
    return _grid(base, step).round(value, mode)


def plain(value: Decimal) -> str:
    """A number for a human: no exponent, no trailing zeros (``0.00010000`` -> ``0.0001``)."""
    if not value.is_finite():
        return str(value)
    if not value:
        return "0"
    sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)
    trimmed = list(digits)
    while exp < 0 and len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()
        exp += 1
    return format(Decimal((sign, tuple(trimmed), exp)), "f")


def decimal_places(value: Decimal) -> int:
    """Significant decimal places (trailing zeros do not count)."""
    return max(0, -_significant_exponent(value))


# ---------------------------------------------------------------------------------------------
# Notionals


def _reference_price(ctx: MarketContext, avg_price_mins: int) -> Decimal | None:
    """The filter's reference price; a non-finite figure counts as unknown."""
    figures = (ctx.last_price, ctx.weighted_avg_price)
    for figure in figures if avg_price_mins == 0 else reversed(figures):
        if figure is not None and figure.is_finite():
            return figure
    return None


@dataclass(frozen=True, slots=True)
class _Notional:
    field: str  # the parameter to blame
    value: Decimal
    terms: tuple[tuple[str, Decimal], ...]  # the figure, or the two factors, giving the value

    @property
    def how(self) -> str:
        """How the value was reached, for a failure's detail: built only when an order fails,
        since formatting the numbers costs more than checking them."""
        shown = " * ".join(f"{name} {plain(v)}" for name, v in self.terms)
        return shown if len(self.terms) == 1 else f"{shown} = {plain(self.value)}"


def _product(field: str, a: tuple[str, Decimal], b: tuple[str, Decimal]) -> _Notional:
    return _Notional(field, exact_mul(a[1], b[1]), (a, b))


def _notionals(order: OrderCheck, ctx: MarketContext, avg_price_mins: int) -> list[_Notional]:
    """The notionals Binance evaluates: price * quantity, and also stopPrice * quantity for
    algo orders and price * icebergQty for iceberg orders; a MARKET order's is its
    quoteOrderQty, or its quantity at the average (or last) price."""
    qty = order.quantity
    if order.type is OrderType.MARKET:
        if order.quote_order_qty is not None:
            q = order.quote_order_qty
            return [_Notional("quoteOrderQty", q, (("quoteOrderQty", q),))]
        ref = _reference_price(ctx, avg_price_mins)
        if qty is None or ref is None:
            return []
        return [_product("quantity", ("average price", ref), ("quantity", qty))]
    out: list[_Notional] = []
    if qty is not None and order.price is not None:
        out.append(_product("quantity", ("price", order.price), ("quantity", qty)))
    if qty is not None and order.stop_price is not None and order.type in _ALGO_TYPES:
        out.append(_product("stopPrice", ("stopPrice", order.stop_price), ("quantity", qty)))
    if order.iceberg_qty and order.price is not None:
        out.append(_product("icebergQty", ("price", order.price), ("icebergQty", order.iceberg_qty)))
    return out


# ---------------------------------------------------------------------------------------------
# One function per filter; each returns the first failure it finds or None.


def _fail(name: str, field: str, detail: str, code: int = INVALID_MESSAGE) -> FilterFailure:
    return FilterFailure(name, field, detail, code)


def _bounds(f: PriceFilter | LotSize | MarketLotSize) -> tuple[tuple[str, Decimal], ...]:
    if isinstance(f, PriceFilter):
        return (("minPrice", f.min_price), ("maxPrice", f.max_price), ("tickSize", f.tick_size))
    return (("minQty", f.min_qty), ("maxQty", f.max_qty), ("stepSize", f.step_size))


def _within(value: Decimal, low: Decimal, high: Decimal, step: Decimal) -> bool:
    """The shared test of PRICE_FILTER, LOT_SIZE and MARKET_LOT_SIZE; a limit of 0 is off."""
    return not (
        (low > 0 and value < low)
        or (high > 0 and value > high)
        or (step > 0 and not _on_grid(value, low, step))
    )


def _outside(f: PriceFilter | LotSize | MarketLotSize, fld: str, value: Decimal) -> FilterFailure:
    """Why ``value`` fails ``_within`` for ``f``, in words: built only for a failure, since
    formatting the numbers costs more than checking them."""
    name = str(f.__struct_config__.tag)
    (low_name, low), (high_name, high), (step_name, step) = _bounds(f)
    shown = plain(value)
    if low > 0 and value < low:
        return _fail(name, fld, f"{shown} is below {low_name} {plain(low)}")
    if high > 0 and value > high:
        return _fail(name, fld, f"{shown} is above {high_name} {plain(high)}")
    return _fail(name, fld, f"{shown} is not {plain(low)} plus a multiple of {step_name} {plain(step)}")


def _price_filter(f: PriceFilter, order: OrderCheck, _ctx: MarketContext) -> FilterFailure | None:
    for fld, value in (("price", order.price), ("stopPrice", order.stop_price)):
        if value is not None and not _within(value, f.min_price, f.max_price, f.tick_size):
            return _outside(f, fld, value)
    return None


def _percent_band(
    name: str, order: OrderCheck, ctx: MarketContext, band: tuple[str, Decimal, str, Decimal], mins: int
) -> FilterFailure | None:
    """PERCENT_PRICE and PERCENT_PRICE_BY_SIDE; ``band`` names and gives the two multipliers."""
    price = order.price
    ref = None if price is None else _reference_price(ctx, mins)
    if price is None or ref is None:
        return None
    up_name, up, down_name, down = band
    high, low = exact_mul(ref, up), exact_mul(ref, down)
    if up > 0 and price > high:
        how = f"average price {plain(ref)} * {up_name} {plain(up)} = {plain(high)}"
        return _fail(name, "price", f"{plain(price)} is above {how}")
    if price < low:
        how = f"average price {plain(ref)} * {down_name} {plain(down)} = {plain(low)}"
        return _fail(name, "price", f"{plain(price)} is below {how}")
    return None


def _percent_price(f: PercentPrice, order: OrderCheck, ctx: MarketContext) -> FilterFailure | None:
    band = ("multiplierUp", f.multiplier_up, "multiplierDown", f.multiplier_down)
    return _percent_band("PERCENT_PRICE", order, ctx, band, f.avg_price_mins)


def _percent_price_by_side(
    f: PercentPriceBySide, order: OrderCheck, ctx: MarketContext
) -> FilterFailure | None:
    if order.side is Side.BUY:
        band = ("bidMultiplierUp", f.bid_multiplier_up, "bidMultiplierDown", f.bid_multiplier_down)
    else:
        band = ("askMultiplierUp", f.ask_multiplier_up, "askMultiplierDown", f.ask_multiplier_down)
    return _percent_band("PERCENT_PRICE_BY_SIDE", order, ctx, band, f.avg_price_mins)


def _lot_size(f: LotSize, order: OrderCheck, _ctx: MarketContext) -> FilterFailure | None:
    for fld, value in (("quantity", order.quantity), ("icebergQty", order.iceberg_qty)):
        if value is not None and not _within(value, f.min_qty, f.max_qty, f.step_size):
            return _outside(f, fld, value)
    return None


def _market_lot_size(f: MarketLotSize, order: OrderCheck, _ctx: MarketContext) -> FilterFailure | None:
    qty = order.quantity
    if order.type is not OrderType.MARKET or qty is None or _within(qty, f.min_qty, f.max_qty, f.step_size):
        return None
    return _outside(f, "quantity", qty)


def _min_notional(f: MinNotional, order: OrderCheck, ctx: MarketContext) -> FilterFailure | None:
    if order.type is OrderType.MARKET and not f.apply_to_market:
        return None
    for n in _notionals(order, ctx, f.avg_price_mins):
        if n.value < f.min_notional:
            return _fail(
                "MIN_NOTIONAL",
                n.field,
                f"{n.how} is below minNotional {plain(f.min_notional)}",
            )
    return None


def _notional(f: Notional, order: OrderCheck, ctx: MarketContext) -> FilterFailure | None:
    market = order.type is OrderType.MARKET
    check_min = f.min_notional > 0 and (not market or f.apply_min_to_market)
    check_max = f.max_notional > 0 and (not market or f.apply_max_to_market)
    for n in _notionals(order, ctx, f.avg_price_mins):
        if check_min and n.value < f.min_notional:
            return _fail(
                "NOTIONAL",
                n.field,
                f"{n.how} is below minNotional {plain(f.min_notional)}",
            )
        if check_max and n.value > f.max_notional:
            return _fail(
                "NOTIONAL",
                n.field,
                f"{n.how} is above maxNotional {plain(f.max_notional)}",
            )
    return None


def _iceberg_parts(f: IcebergParts, order: OrderCheck, _ctx: MarketContext) -> FilterFailure | None:
    qty, part = order.quantity, order.iceberg_qty
    if qty is None or not part or part <= 0:
        return None
    whole, rest = _floor_div(qty, part)
    parts = whole + (1 if rest else 0)
    if parts > f.limit:
        return _fail(
            "ICEBERG_PARTS",
            "icebergQty",
            f"quantity {plain(qty)} / icebergQty {plain(part)} = {parts} parts, above limit {f.limit}",
        )
    return None


def _trailing_delta(f: TrailingDelta, order: OrderCheck, _ctx: MarketContext) -> FilterFailure | None:
    delta = order.trailing_delta
    if delta is None or order.type not in _ALGO_TYPES:
        return None
    above = (order.type in _STOP_TYPES) == (order.side is Side.BUY)
    kind = "Above" if above else "Below"
    low, high = (
        (f.min_trailing_above_delta, f.max_trailing_above_delta)
        if above
        else (f.min_trailing_below_delta, f.max_trailing_below_delta)
    )
    where = f"for {order.type} {order.side}"
    if delta < low:
        return _fail(
            "TRAILING_DELTA", "trailingDelta", f"{delta} is below minTrailing{kind}Delta {low} {where}"
        )
    if delta > high:
        return _fail(
            "TRAILING_DELTA", "trailingDelta", f"{delta} is above maxTrailing{kind}Delta {high} {where}"
        )
    return None


StaticCheck = Callable[[Any, OrderCheck, MarketContext], FilterFailure | None]
# Looked up by the filter's exact type: a dict lookup instead of a chain of class patterns.
_STATIC_CHECKS: dict[type, StaticCheck] = {
    PriceFilter: _price_filter,
    PercentPrice: _percent_price,
    PercentPriceBySide: _percent_price_by_side,
    LotSize: _lot_size,
    MarketLotSize: _market_lot_size,
    MinNotional: _min_notional,
    Notional: _notional,
    IcebergParts: _iceberg_parts,
    TrailingDelta: _trailing_delta,
}
_ACCOUNT_TYPES = (MaxNumOrders, MaxNumAlgoOrders, MaxNumIcebergOrders, MaxPosition)


def static_checks(filters: Sequence[SymbolFilter]) -> tuple[tuple[StaticCheck, SymbolFilter], ...]:
    """Each filter that has a check of its own (one needing nothing but the order and the
    market) with that check, looked up once: a symbol's filters are the same for every order."""
    return tuple((check, f) for f in filters if (check := _STATIC_CHECKS.get(type(f))) is not None)


def account_filters(filters: Sequence[SymbolFilter]) -> tuple[SymbolFilter, ...]:
    """The filters ``check_account_filter`` checks, in their order."""
    return tuple(f for f in filters if isinstance(f, _ACCOUNT_TYPES))


def _count(name: str, open_now: int | None, limit: int, what: str) -> FilterFailure | None:
    if open_now is not None and open_now >= limit:
        return _fail(name, "symbol", f"{open_now} open {what} already, limit {limit}", NEW_ORDER_REJECTED)
    return None


def check_account_filter(
    f: SymbolFilter | ExchangeFilter, order: OrderCheck, ctx: MarketContext
) -> FilterFailure | None:
    algo = order.type in _ALGO_TYPES
    iceberg = bool(order.iceberg_qty and order.iceberg_qty > 0)
    match f:
        case MaxNumOrders():
            return _count("MAX_NUM_ORDERS", ctx.open_orders, f.max_num_orders, "orders on the symbol")
        case MaxNumAlgoOrders() if algo:
            return _count(
                "MAX_NUM_ALGO_ORDERS",
                ctx.open_algo_orders,
                f.max_num_algo_orders,
                "algo orders on the symbol",
            )
        case MaxNumIcebergOrders() if iceberg:
            return _count(
                "MAX_NUM_ICEBERG_ORDERS",
                ctx.open_iceberg_orders,
                f.max_num_iceberg_orders,
                "iceberg orders on the symbol",
            )
        case MaxPosition() if (
            order.side is Side.BUY and ctx.base_position is not None and ctx.base_position.is_finite()
        ):
            position, qty = ctx.base_position, order.quantity or Decimal(0)
            if position + qty > f.max_position:
                return _fail(
                    "MAX_POSITION",
                    "quantity",
                    f"position {plain(position)} + quantity {plain(qty)} exceeds maxPosition"
                    f" {plain(f.max_position)}",
                    NEW_ORDER_REJECTED,
                )
        case ExchangeMaxNumOrders():
            return _count(
                "EXCHANGE_MAX_NUM_ORDERS", ctx.account_open_orders, f.max_num_orders, "orders on the account"
            )
        case ExchangeMaxNumAlgoOrders() if algo:
            return _count(
                "EXCHANGE_MAX_NUM_ALGO_ORDERS",
                ctx.account_open_algo_orders,
                f.max_num_algo_orders,
                "algo orders on the account",
            )
        case ExchangeMaxNumIcebergOrders() if iceberg:
            return _count(
                "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
                ctx.account_open_iceberg_orders,
                f.max_num_iceberg_orders,
                "iceberg orders on the account",
            )
    return None
