"""The checks on an order's numbers that come before any filter: their text (-1100) and
precision (-1111), a zero notional, finiteness before rounding; the codes Binance gives these
refusals, and ``RuleViolation``, the error that carries a failure to the caller."""

from __future__ import annotations

from decimal import Decimal

from tradeexec.binance.enums import OrderType
from tradeexec.binance.rules.grid import Rounding, exact_mul, plain, to_grid
from tradeexec.binance.rules.order_check import (
    INVALID_MESSAGE,
    NEW_ORDER_REJECTED,
    FilterFailure,
    OrderCheck,
)
from tradeexec.errors import InvalidParameter, OrderRejectedLocally

# Binance's error codes for the refusals made here (the filters' own are in order_check.py).
ILLEGAL_CHARS = -1100
BAD_PRECISION = -1111
BAD_SYMBOL = -1121
UNKNOWN_ORDER_COMPOSITION = -1014

# The pattern Binance gives in its -1100 message for decimal parameters.
LEGAL_NUMBER = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
_MAX_DIGITS = 20


class RuleViolation(OrderRejectedLocally):
    """OrderRejectedLocally carrying the failure, so a caller can read Binance's code."""

    def __init__(self, failure: FilterFailure) -> None:
        super().__init__(failure.filter, failure.field, failure.detail)
        self.failure = failure

    def __str__(self) -> str:
        return f"{self.failure.message} ({self.field}: {self.detail})"

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.failure,))


def shown_decimals(value: Decimal) -> int:
    """How many digits follow the point in ``format(value, "f")``, trailing zeros included,
    or -1 when that text would not match LEGAL_NUMBER (signed, not finite, or more than 20
    digits either side of the point). Read off the digit tuple: every order checks each of
    its numbers, and formatting them as text costs several times more."""
    sign, digits, exponent = value.as_tuple()
    if sign or not isinstance(exponent, int) or not -_MAX_DIGITS <= len(digits) + exponent - 1 < _MAX_DIGITS:
        return -1
    shown = -exponent if exponent < 0 else 0
    return shown if shown <= _MAX_DIGITS else -1


# ---------------------------------------------------------------------------------------------
# The order's numbers


def order_numbers(order: OrderCheck) -> list[tuple[str, Decimal]]:
    return [
        (name, value)
        for name, value in (
            ("quantity", order.quantity),
            ("quoteOrderQty", order.quote_order_qty),
            ("price", order.price),
            ("stopPrice", order.stop_price),
            ("icebergQty", order.iceberg_qty),
        )
        if value is not None
    ]


def rejection(rule: str, fld: str, detail: str, msg: str, code: int = NEW_ORDER_REJECTED) -> FilterFailure:
    return FilterFailure(rule, fld, detail, code, msg)


def zero_notional(order: OrderCheck) -> FilterFailure | None:
    if order.type is OrderType.MARKET:
        qoq = order.quote_order_qty
        if qoq is not None and qoq <= 0:
            return rejection(
                "ZERO_NOTIONAL",
                "quoteOrderQty",
                f"quoteOrderQty {plain(qoq)} is not positive",
                "Price * QTY is zero or less.",
                INVALID_MESSAGE,
            )
        return None
    if order.price is not None and order.quantity is not None and exact_mul(order.price, order.quantity) <= 0:
        return rejection(
            "ZERO_NOTIONAL",
            "price",
            f"price {plain(order.price)} * quantity {plain(order.quantity)} is not positive",
            "Price * QTY is zero or less.",
            INVALID_MESSAGE,
        )
    return None


def check_finite(value: Decimal, name: str) -> Decimal:
    if not value.is_finite():
        raise InvalidParameter(name, "not a finite number", f"cannot round {value}")
    # Beyond the 20+20 digits of Binance's number format nothing can be sent, and the grid
    # arithmetic on such exponents would build integers of millions of digits.
    if value and not -40 <= value.adjusted() < 20:
        raise InvalidParameter(name, "out of the exchange's number range", f"cannot round {value:.3E}")
    return value


def round_checked(value: Decimal, name: str, base: Decimal, step: Decimal, mode: Rounding) -> Decimal:
    check_finite(value, name)
    if step <= 0:
        return value
    return to_grid(value, base, step, mode if type(mode) is Rounding else Rounding(mode))
