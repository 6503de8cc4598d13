"""The check each filter makes of an order, with Binance's code and message: price and
percent-price bands, lot sizes, notionals, iceberg parts and trailing delta (static checks,
looked up once per symbol), and the account filters that count open orders and position."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.rules.filters import (
    ExchangeFilter,
    ExchangeMaxNumAlgoOrders,
    ExchangeMaxNumIcebergOrders,
    ExchangeMaxNumOrders,
    IcebergParts,
    LotSize,
    MarketLotSize,
    MaxNumAlgoOrders,
    MaxNumIcebergOrders,
    MaxNumOrders,
    MaxPosition,
    MinNotional,
    Notional,
    PercentPrice,
    PercentPriceBySide,
    PriceFilter,
    SymbolFilter,
    TrailingDelta,
)
from tradeexec.binance.rules.grid import exact_mul, floor_div, on_grid, plain
from tradeexec.binance.rules.order_check import (
    INVALID_MESSAGE,
    NEW_ORDER_REJECTED,
    FilterFailure,
    MarketContext,
    OrderCheck,
)

_ALGO_TYPES = frozenset(
    {OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT}
)
_STOP_TYPES = frozenset({OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT})

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
        or (step > 0 and not on_grid(value, low, step))
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
    whole, rest = floor_div(qty, part)
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
