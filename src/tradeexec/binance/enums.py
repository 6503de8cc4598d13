"""Binance's enumerations as StrEnums.

They are StrEnums so that a value goes on the wire unchanged (``str(Side.BUY) == "BUY"``)
and msgspec decodes wire strings straight into them.
"""

from __future__ import annotations

from enum import StrEnum

# The order vocabulary every venue shares: defined venue-neutral, the very same classes here,
# so a Binance value needs no mapping on its way to or from the execution core.
from tradeexec.venue.vocab import ExecutionType, OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "ContingencyType",
    "ExecutionType",
    "FilterType",
    "KlineInterval",
    "ListOrderStatus",
    "ListStatusType",
    "OrderResponseType",
    "OrderStatus",
    "OrderType",
    "RateLimitInterval",
    "RateLimitType",
    "SecurityType",
    "SelfTradePreventionMode",
    "Side",
    "SymbolStatus",
    "TimeInForce",
]


class OrderResponseType(StrEnum):
    ACK = "ACK"
    RESULT = "RESULT"
    FULL = "FULL"


class ContingencyType(StrEnum):
    OCO = "OCO"
    OTO = "OTO"


class ListStatusType(StrEnum):
    RESPONSE = "RESPONSE"
    EXEC_STARTED = "EXEC_STARTED"
    ALL_DONE = "ALL_DONE"


class ListOrderStatus(StrEnum):
    EXECUTING = "EXECUTING"
    ALL_DONE = "ALL_DONE"
    REJECT = "REJECT"


class SelfTradePreventionMode(StrEnum):
    NONE = "NONE"
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"


class SymbolStatus(StrEnum):
    PRE_TRADING = "PRE_TRADING"
    TRADING = "TRADING"
    POST_TRADING = "POST_TRADING"
    END_OF_DAY = "END_OF_DAY"
    HALT = "HALT"
    AUCTION_MATCH = "AUCTION_MATCH"
    BREAK = "BREAK"


class FilterType(StrEnum):
    PRICE_FILTER = "PRICE_FILTER"
    PERCENT_PRICE = "PERCENT_PRICE"
    PERCENT_PRICE_BY_SIDE = "PERCENT_PRICE_BY_SIDE"
    LOT_SIZE = "LOT_SIZE"
    MIN_NOTIONAL = "MIN_NOTIONAL"
    NOTIONAL = "NOTIONAL"
    ICEBERG_PARTS = "ICEBERG_PARTS"
    MARKET_LOT_SIZE = "MARKET_LOT_SIZE"
    MAX_NUM_ORDERS = "MAX_NUM_ORDERS"
    MAX_NUM_ALGO_ORDERS = "MAX_NUM_ALGO_ORDERS"
    MAX_NUM_ICEBERG_ORDERS = "MAX_NUM_ICEBERG_ORDERS"
    MAX_POSITION = "MAX_POSITION"
    TRAILING_DELTA = "TRAILING_DELTA"
    EXCHANGE_MAX_NUM_ORDERS = "EXCHANGE_MAX_NUM_ORDERS"
    EXCHANGE_MAX_NUM_ALGO_ORDERS = "EXCHANGE_MAX_NUM_ALGO_ORDERS"
    EXCHANGE_MAX_NUM_ICEBERG_ORDERS = "EXCHANGE_MAX_NUM_ICEBERG_ORDERS"


class RateLimitType(StrEnum):
    REQUEST_WEIGHT = "REQUEST_WEIGHT"
    ORDERS = "ORDERS"
    RAW_REQUESTS = "RAW_REQUESTS"


class RateLimitInterval(StrEnum):
    SECOND = "SECOND"
    MINUTE = "MINUTE"
    DAY = "DAY"

    @property
    def milliseconds(self) -> int:
        return _INTERVAL_MS[self]


_INTERVAL_MS = {
    RateLimitInterval.SECOND: 1_000,
    RateLimitInterval.MINUTE: 60_000,
    RateLimitInterval.DAY: 86_400_000,
}

# Header letter Binance uses for an interval in X-MBX-USED-WEIGHT-(intervalNum)(letter).
INTERVAL_LETTER = {
    RateLimitInterval.SECOND: "S",
    RateLimitInterval.MINUTE: "M",
    RateLimitInterval.DAY: "D",
}


class SecurityType(StrEnum):
    """What an endpoint requires: NONE sends nothing extra; USER_STREAM and MARKET_DATA send
    the API key; TRADE, USER_DATA and MARGIN send the key, a timestamp and a signature."""

    NONE = "NONE"
    USER_STREAM = "USER_STREAM"
    MARKET_DATA = "MARKET_DATA"
    TRADE = "TRADE"
    USER_DATA = "USER_DATA"
    MARGIN = "MARGIN"

    @property
    def needs_key(self) -> bool:
        return self is not SecurityType.NONE

    @property
    def signed(self) -> bool:
        return self in (SecurityType.TRADE, SecurityType.USER_DATA, SecurityType.MARGIN)


class KlineInterval(StrEnum):
    S1 = "1s"
    M1 = "1m"
    M3 = "3m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H2 = "2h"
    H4 = "4h"
    H6 = "6h"
    H8 = "8h"
    H12 = "12h"
    D1 = "1d"
    D3 = "3d"
    W1 = "1w"
    MO1 = "1M"

    @property
    def milliseconds(self) -> int:
        """Nominal length; a month is counted as 30 days, which Binance's own buckets do not
        use (they follow calendar months), so callers bucketing months must not rely on it."""
        unit = self.value[-1]
        n = int(self.value[:-1])
        return n * _UNIT_MS[unit]


_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "M": 2_592_000_000}
