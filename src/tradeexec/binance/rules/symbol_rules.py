r"""Binance's trading rules for a symbol: rounding to its grids and checking an order against
its filters, with Binance's own codes and messages.

The client checks an order here before sending it and the local exchange checks the same
order here before matching it, so both sides refuse the same orders with the same words.

Order of the checks (``SymbolRules.check``), best effort: Binance does not publish the order
in which it evaluates an order, so this follows what its codes say about where a check
happens. Checks the API gateway makes come before checks of the matching engine:

1. the text of each number (-1100, Binance's ``^([0-9]{1,20})(\\.[0-9]{1,20})?$``), in the
   order quantity, quoteOrderQty, price, stopPrice, icebergQty;
2. its precision (-1111): quantity and icebergQty against ``baseAssetPrecision``, price,
   stopPrice and quoteOrderQty against ``quoteAssetPrecision`` (CHANGELOG 2023-12-04);
3. a zero quantity (-1013 "Invalid quantity.");
4. the symbol's static filters (-1013 "Filter failure: X") in the order exchangeInfo lists
   them, which is the same on every symbol (PRICE_FILTER, LOT_SIZE, ICEBERG_PARTS,
   MARKET_LOT_SIZE, TRAILING_DELTA, PERCENT_PRICE_BY_SIDE, NOTIONAL, ...);
5. a zero notional (-1013 "Price * QTY is zero or less.");
6. what the symbol supports (-2010): status, order type, iceberg, quoteOrderQty, trailing stops;
7. the filters that need the account's state (-2010 "Filter failure: X"): MAX_NUM_ORDERS,
   MAX_NUM_ALGO_ORDERS, MAX_NUM_ICEBERG_ORDERS, MAX_POSITION in listed order, then the
   exchange filters. Their -2010 code is what Binance answers for them (observed, e.g.
   ``{"code":-2010,"msg":"Filter failure: MAX_NUM_ORDERS"}``); the static filters answer -1013.

A check that needs a figure the caller did not give (``MarketContext``) is skipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from tradeexec.binance.enums import OrderType, SymbolStatus
from tradeexec.binance.rules.filter_checks import (
    StaticCheck,
    account_filters,
    check_account_filter,
    static_checks,
)
from tradeexec.binance.rules.filters import (
    ExchangeFilter,
    IcebergParts,
    LotSize,
    MarketLotSize,
    MaxNumAlgoOrders,
    MaxNumIcebergOrders,
    MaxNumOrderAmends,
    MaxNumOrderLists,
    MaxNumOrders,
    MaxPosition,
    MinNotional,
    Notional,
    PercentPrice,
    PercentPriceBySide,
    PriceFilter,
    SymbolFilter,
    TrailingDelta,
    filter_to_json,
    split_filters,
)
from tradeexec.binance.rules.grid import Rounding, decimal_places, plain
from tradeexec.binance.rules.minimums import below_minimum
from tradeexec.binance.rules.order_check import (
    INVALID_MESSAGE,
    NO_MARKET,
    FilterFailure,
    MarketContext,
    OrderCheck,
    order_check_of,
)
from tradeexec.binance.rules.order_numbers import (
    BAD_PRECISION,
    ILLEGAL_CHARS,
    LEGAL_NUMBER,
    UNKNOWN_ORDER_COMPOSITION,
    RuleViolation,
    check_finite,
    order_numbers,
    rejection,
    round_checked,
    shown_decimals,
    zero_notional,
)
from tradeexec.binance.rules.sale_limits import largest_sale, lowest_sell_price
from tradeexec.venue.rules import MarketFigures, OrderTerms

# The order in which exchangeInfo lists order types.
_ORDER_TYPES = (
    OrderType.LIMIT,
    OrderType.LIMIT_MAKER,
    OrderType.MARKET,
    OrderType.STOP_LOSS,
    OrderType.STOP_LOSS_LIMIT,
    OrderType.TAKE_PROFIT,
    OrderType.TAKE_PROFIT_LIMIT,
)
_TYPE_NOT_SUPPORTED = {
    OrderType.MARKET: "Market orders are not supported for this symbol.",
    OrderType.STOP_LOSS: "Stop loss orders are not supported for this symbol.",
    OrderType.STOP_LOSS_LIMIT: "Stop loss limit orders are not supported for this symbol.",
    OrderType.TAKE_PROFIT: "Take profit orders are not supported for this symbol.",
    OrderType.TAKE_PROFIT_LIMIT: "Take profit limit orders are not supported for this symbol.",
}

# Symbol and exchange rules


class _SymbolInfoWire(msgspec.Struct, rename="camel"):
    """One exchangeInfo symbol as Binance writes it; field order is Binance's key order. Keys
    a hand-written entry may leave out default to what lets orders through."""

    symbol: str
    status: str = "TRADING"
    base_asset: str = ""
    base_asset_precision: int = 8
    quote_asset: str = ""
    quote_precision: int = 8
    quote_asset_precision: int | None = None
    base_commission_precision: int = 8
    quote_commission_precision: int = 8
    order_types: list[str] = msgspec.field(default_factory=lambda: [str(t) for t in _ORDER_TYPES])
    iceberg_allowed: bool = True
    oco_allowed: bool = True
    oto_allowed: bool = True
    opo_allowed: bool = True
    quote_order_qty_market_allowed: bool = True
    allow_trailing_stop: bool = True
    cancel_replace_allowed: bool = True
    amend_allowed: bool = True
    peg_instructions_allowed: bool = True
    is_spot_trading_allowed: bool = True
    is_margin_trading_allowed: bool = False
    filters: list[dict[str, Any]] = msgspec.field(default_factory=list)
    permissions: list[str] = msgspec.field(default_factory=list)
    permission_sets: list[list[str]] = msgspec.field(default_factory=list)
    default_self_trade_prevention_mode: str = "NONE"
    allowed_self_trade_prevention_modes: list[str] = msgspec.field(default_factory=list)


# The filters Binance judges at its average price over ``avgPriceMins`` (0: the last price).
_PRICED = (PercentPrice, PercentPriceBySide, MinNotional, Notional)
_WIRE_KEYS = frozenset(f.encode_name for f in msgspec.structs.fields(_SymbolInfoWire))
_F = TypeVar("_F")


def _first(filters: Sequence[SymbolFilter], kind: type[_F]) -> _F | None:
    return next((f for f in filters if isinstance(f, kind)), None)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What every order's rounding and checks read of a symbol's filters, found once."""

    price_filter: PriceFilter | None
    lot_size: LotSize | None
    market_lot_size: MarketLotSize | None
    static_checks: tuple[tuple[StaticCheck, SymbolFilter], ...]
    account_filters: tuple[SymbolFilter, ...]
    needs_average_price: bool

    @classmethod
    def of(cls, filters: Sequence[SymbolFilter]) -> _Plan:
        return cls(
            _first(filters, PriceFilter),
            _first(filters, LotSize),
            _first(filters, MarketLotSize),
            static_checks(filters),
            account_filters(filters),
            any(isinstance(f, _PRICED) and f.avg_price_mins > 0 for f in filters),
        )


def _status(text: str) -> SymbolStatus | str:
    try:
        return SymbolStatus(text)
    except ValueError:
        return text


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """The rules of one symbol, from one element of exchangeInfo ``symbols``."""

    symbol: str
    status: SymbolStatus | str
    base_asset: str
    quote_asset: str
    base_asset_precision: int = 8
    quote_precision: int = 8
    quote_asset_precision: int = 8
    base_commission_precision: int = 8
    quote_commission_precision: int = 8
    order_types: frozenset[OrderType] = frozenset(_ORDER_TYPES)
    iceberg_allowed: bool = True
    oco_allowed: bool = True
    oto_allowed: bool = True
    opo_allowed: bool = True
    quote_order_qty_market_allowed: bool = True
    allow_trailing_stop: bool = True
    cancel_replace_allowed: bool = True
    amend_allowed: bool = True
    peg_instructions_allowed: bool = True
    is_spot_trading_allowed: bool = True
    is_margin_trading_allowed: bool = False
    filters: tuple[SymbolFilter, ...] = ()
    permissions: tuple[str, ...] = ()
    permission_sets: tuple[tuple[str, ...], ...] = ()
    default_self_trade_prevention_mode: str = "NONE"
    allowed_self_trade_prevention_modes: tuple[str, ...] = ()
    # Filter entries this version does not know (or could not read), served back unchanged.
    unknown_filters: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    # Top-level keys this version does not know, served back unchanged.
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)
    _plan: _Plan = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_plan", _Plan.of(self.filters))

    # -- construction and serialisation ---------------------------------------------------

    @classmethod
    def from_symbol_info(cls, info: Mapping[str, Any]) -> SymbolRules:
        """Rules from one exchangeInfo symbol entry (decoded JSON). Raises
        ``msgspec.ValidationError`` when a known key has the wrong type."""
        wire = msgspec.convert(dict(info), _SymbolInfoWire, strict=False)
        known, unknown = split_filters(wire.filters)
        known_types = {t.value for t in _ORDER_TYPES}  # spot's (no TRAILING_STOP_MARKET)
        return cls(
            symbol=wire.symbol,
            status=_status(wire.status),
            base_asset=wire.base_asset,
            quote_asset=wire.quote_asset,
            base_asset_precision=wire.base_asset_precision,
            quote_precision=wire.quote_precision,
            quote_asset_precision=(
                wire.quote_precision if wire.quote_asset_precision is None else wire.quote_asset_precision
            ),
            base_commission_precision=wire.base_commission_precision,
            quote_commission_precision=wire.quote_commission_precision,
            order_types=frozenset(OrderType(t) for t in wire.order_types if t in known_types),
            iceberg_allowed=wire.iceberg_allowed,
            oco_allowed=wire.oco_allowed,
            oto_allowed=wire.oto_allowed,
            opo_allowed=wire.opo_allowed,
            quote_order_qty_market_allowed=wire.quote_order_qty_market_allowed,
            allow_trailing_stop=wire.allow_trailing_stop,
            cancel_replace_allowed=wire.cancel_replace_allowed,
            amend_allowed=wire.amend_allowed,
            peg_instructions_allowed=wire.peg_instructions_allowed,
            is_spot_trading_allowed=wire.is_spot_trading_allowed,
            is_margin_trading_allowed=wire.is_margin_trading_allowed,
            filters=tuple(known),
            permissions=tuple(wire.permissions),
            permission_sets=tuple(tuple(s) for s in wire.permission_sets),
            default_self_trade_prevention_mode=wire.default_self_trade_prevention_mode,
            allowed_self_trade_prevention_modes=tuple(wire.allowed_self_trade_prevention_modes),
            unknown_filters=tuple(unknown),
            extra={k: v for k, v in info.items() if k not in _WIRE_KEYS},
        )

    def to_symbol_info(self) -> dict[str, Any]:
        """The exchangeInfo symbol entry, in Binance's key order and number format."""
        wire = _SymbolInfoWire(
            symbol=self.symbol,
            status=str(self.status),
            base_asset=self.base_asset,
            base_asset_precision=self.base_asset_precision,
            quote_asset=self.quote_asset,
            quote_precision=self.quote_precision,
            quote_asset_precision=self.quote_asset_precision,
            base_commission_precision=self.base_commission_precision,
            quote_commission_precision=self.quote_commission_precision,
            order_types=[str(t) for t in _ORDER_TYPES if t in self.order_types],
            iceberg_allowed=self.iceberg_allowed,
            oco_allowed=self.oco_allowed,
            oto_allowed=self.oto_allowed,
            opo_allowed=self.opo_allowed,
            quote_order_qty_market_allowed=self.quote_order_qty_market_allowed,
            allow_trailing_stop=self.allow_trailing_stop,
            cancel_replace_allowed=self.cancel_replace_allowed,
            amend_allowed=self.amend_allowed,
            peg_instructions_allowed=self.peg_instructions_allowed,
            is_spot_trading_allowed=self.is_spot_trading_allowed,
            is_margin_trading_allowed=self.is_margin_trading_allowed,
            filters=[filter_to_json(f) for f in self.filters] + [dict(u) for u in self.unknown_filters],
            permissions=list(self.permissions),
            permission_sets=[list(s) for s in self.permission_sets],
            default_self_trade_prevention_mode=self.default_self_trade_prevention_mode,
            allowed_self_trade_prevention_modes=list(self.allowed_self_trade_prevention_modes),
        )
        out: dict[str, Any] = msgspec.to_builtins(wire)
        out.update(self.extra)
        return out

    # -- typed access to filters ----------------------------------------------------------

    def _first(self, kind: type[_F]) -> _F | None:
        return _first(self.filters, kind)

    @property
    def price_filter(self) -> PriceFilter | None:
        return self._plan.price_filter

    @property
    def percent_price(self) -> PercentPrice | None:
        return self._first(PercentPrice)

    @property
    def percent_price_by_side(self) -> PercentPriceBySide | None:
        return self._first(PercentPriceBySide)

    @property
    def lot_size(self) -> LotSize | None:
        return self._plan.lot_size

    @property
    def market_lot_size(self) -> MarketLotSize | None:
        return self._plan.market_lot_size

    @property
    def min_notional(self) -> MinNotional | None:
        return self._first(MinNotional)

    @property
    def notional(self) -> Notional | None:
        return self._first(Notional)

    @property
    def iceberg_parts(self) -> IcebergParts | None:
        return self._first(IcebergParts)

    @property
    def max_num_orders(self) -> MaxNumOrders | None:
        return self._first(MaxNumOrders)

    @property
    def max_num_algo_orders(self) -> MaxNumAlgoOrders | None:
        return self._first(MaxNumAlgoOrders)

    @property
    def max_num_iceberg_orders(self) -> MaxNumIcebergOrders | None:
        return self._first(MaxNumIcebergOrders)

    @property
    def max_position(self) -> MaxPosition | None:
        return self._first(MaxPosition)

    @property
    def trailing_delta(self) -> TrailingDelta | None:
        return self._first(TrailingDelta)

    @property
    def max_num_order_lists(self) -> MaxNumOrderLists | None:
        return self._first(MaxNumOrderLists)

    @property
    def max_num_order_amends(self) -> MaxNumOrderAmends | None:
        return self._first(MaxNumOrderAmends)

    # -- rounding -------------------------------------------------------------------------

    def round_price(self, price: Decimal, mode: Rounding = Rounding.DOWN) -> Decimal:
        """``price`` on the tick grid that starts at minPrice; unchanged when the symbol has
        no tick. The result may still lie outside [minPrice, maxPrice]."""
        f = self._plan.price_filter
        if f is None:
            return check_finite(price, "price")
        return round_checked(price, "price", f.min_price, f.tick_size, mode)

    def round_qty(self, qty: Decimal, mode: Rounding = Rounding.DOWN, *, market: bool = False) -> Decimal:
        """``qty`` on the step grid that starts at minQty: MARKET_LOT_SIZE's when ``market``
        and its step is set (Binance leaves it 0 on most symbols), else LOT_SIZE's."""
        grid: LotSize | MarketLotSize | None = self._plan.lot_size
        mls = self._plan.market_lot_size
        if market and mls is not None and mls.step_size > 0:
            grid = mls
        if grid is None:
            return check_finite(qty, "quantity")
        return round_checked(qty, "quantity", grid.min_qty, grid.step_size, mode)

    # -- the execution core's interface (``tradeexec.venue.rules.SymbolRuleSet``) -------------

    @property
    def needs_average_price(self) -> bool:
        return self._plan.needs_average_price

    def validate_order(self, order: OrderTerms, market: MarketFigures) -> None:
        """``validate`` of a neutral order at neutral market figures (the core's one check)."""
        ctx = MarketContext(market.last_price, market.average_price, market.open_orders)
        self.validate(order_check_of(order), ctx)

    def below_minimum(self, order: OrderTerms, market: MarketFigures) -> FilterFailure | None:
        ctx = MarketContext(market.last_price, market.average_price, market.open_orders)
        return below_minimum(self.filters, order_check_of(order), ctx)

    @property
    def qty_step(self) -> Decimal | None:
        return self._plan.lot_size.step_size if self._plan.lot_size is not None else None

    @property
    def price_tick(self) -> Decimal | None:
        return self.price_filter.tick_size if self.price_filter is not None else None

    def lowest_sell_price(self, reference: Decimal) -> Decimal:
        return lowest_sell_price(self, reference)

    def largest_sale(self, held: Decimal, price: Decimal) -> Decimal:
        return largest_sale(self, held, price)

    # -- validation -----------------------------------------------------------------------

    def check_precision(self, order: OrderCheck) -> FilterFailure | None:
        """The checks Binance makes on the text of each number before any filter: -1100 for
        a value its pattern refuses (negative, non-finite, over 20 digits either side of the
        point), -1111 for more decimals than the asset's precision."""
        numbers = [(name, value, shown_decimals(value)) for name, value in order_numbers(order)]
        for name, value, shown in numbers:
            if shown < 0:
                return rejection(
                    "ILLEGAL_CHARS",
                    name,
                    f"{value} does not match {LEGAL_NUMBER}",
                    f"Illegal characters found in parameter '{name}'; legal range is '{LEGAL_NUMBER}'.",
                    ILLEGAL_CHARS,
                )
        for name, value, shown in numbers:
            base_side = name in ("quantity", "icebergQty")
            allowed = self.base_asset_precision if base_side else self.quote_asset_precision
            # The text's decimals bound the significant ones; counting those costs more.
            if shown > allowed and (places := decimal_places(value)) > allowed:
                asset = (self.base_asset if base_side else self.quote_asset) or "the asset"
                return rejection(
                    "BAD_PRECISION",
                    name,
                    f"{plain(value)} has {places} decimals, {asset} allows {allowed}",
                    f"Parameter '{name}' has too much precision.",
                    BAD_PRECISION,
                )
        return None

    def _check_support(self, order: OrderCheck) -> FilterFailure | None:
        if self.status != SymbolStatus.TRADING:
            return rejection(
                "MARKET_CLOSED", "symbol", f"{self.symbol} is {self.status}", "Market is closed."
            )
        if order.type not in self.order_types:
            if order.type in _TYPE_NOT_SUPPORTED:
                return rejection(
                    "ORDER_TYPE_NOT_SUPPORTED",
                    "type",
                    f"{order.type} is not enabled on {self.symbol}",
                    _TYPE_NOT_SUPPORTED[order.type],
                )
            return rejection(
                "ORDER_TYPE_NOT_SUPPORTED",
                "type",
                f"{order.type} is not enabled on {self.symbol}",
                "Unsupported order combination.",
                UNKNOWN_ORDER_COMPOSITION,
            )
        iceberg = order.iceberg_qty
        if iceberg and iceberg > 0:
            if not self.iceberg_allowed:
                return rejection(
                    "ICEBERG_NOT_SUPPORTED",
                    "icebergQty",
                    f"icebergQty is not enabled on {self.symbol}",
                    "Iceberg orders are not supported for this symbol.",
                )
            if order.quantity is not None and iceberg > order.quantity:
                return rejection(
                    "ICEBERG_QTY_EXCEEDS_QTY",
                    "icebergQty",
                    f"{plain(iceberg)} is above quantity {plain(order.quantity)}",
                    "IcebergQty exceeds QTY.",
                )
        if order.quote_order_qty is not None and not self.quote_order_qty_market_allowed:
            return rejection(
                "QUOTE_ORDER_QTY_NOT_SUPPORTED",
                "quoteOrderQty",
                f"quoteOrderQty is not enabled on {self.symbol}",
                "Quote order qty market orders are not support for this symbol.",
            )
        if order.trailing_delta is not None and not self.allow_trailing_stop:
            return rejection(
                "TRAILING_STOP_NOT_SUPPORTED",
                "trailingDelta",
                f"trailing stops are not enabled on {self.symbol}",
                "Trailing stop orders are not supported for this symbol.",
            )
        return None

    def check(
        self,
        order: OrderCheck,
        ctx: MarketContext = NO_MARKET,
        exchange_filters: Sequence[ExchangeFilter] = (),
    ) -> FilterFailure | None:
        """The first reason Binance would refuse ``order``, in the order the module docstring
        gives, or None. Pure; never raises."""
        failure = self.check_precision(order)
        if failure:
            return failure
        if order.quantity is not None and order.quantity == 0:
            return rejection(
                "INVALID_QUANTITY", "quantity", "0 is not a quantity", "Invalid quantity.", INVALID_MESSAGE
            )
        for static_check, f in self._plan.static_checks:
            failure = static_check(f, order, ctx)
            if failure:
                return failure
        failure = zero_notional(order) or self._check_support(order)
        if failure:
            return failure
        if ctx is NO_MARKET:
            # Every account filter compares a live count or position, and none is known.
            return None
        for af in (*self._plan.account_filters, *exchange_filters):
            failure = check_account_filter(af, order, ctx)
            if failure:
                return failure
        return None

    def validate(
        self,
        order: OrderCheck,
        ctx: MarketContext = NO_MARKET,
        exchange_filters: Sequence[ExchangeFilter] = (),
    ) -> None:
        """Raise ``RuleViolation`` (an ``OrderRejectedLocally``) if ``check`` finds a failure."""
        failure = self.check(order, ctx, exchange_filters)
        if failure:
            raise RuleViolation(failure)
