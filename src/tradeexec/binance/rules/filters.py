"""Binance's symbol and exchange filters as they appear in exchangeInfo: one struct per filter
type, decoded and written back.

Decoding is per filter, not per list: Binance adds filter types from time to time
(MAX_NUM_ORDER_AMENDS and MAX_NUM_ORDER_LISTS arrived in 2025), and one unknown or malformed
entry must not make a whole exchangeInfo unreadable. Such entries are handed back to the
caller untouched so that they can be served again as they came.

Decimal fields keep the exponent they were decoded with, so ``"0.01000000"`` goes back on the
wire as ``"0.01000000"`` and ``"5"`` as ``"5"`` (Binance writes the multipliers of
PERCENT_PRICE_BY_SIDE without padding)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

import msgspec


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
