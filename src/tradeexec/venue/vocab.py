"""The order vocabulary the execution core and every venue adapter share: side, order type,
time in force, order status, execution type.

The values are Binance's wire strings (the first venue): the Binance adapter then maps
nothing on the hot path, and ``tradeexec.binance.enums`` re-exports these very classes.
Another venue maps its own words to these at its edge (e.g. Upbit's ``bid``/``ask`` to
``Side``), and refuses, before sending, what it does not support.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ExecutionType", "OrderStatus", "OrderType", "Side", "TimeInForce"]


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    STOP_LOSS = "STOP_LOSS"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"
    # A stop that follows the price (a derivatives venue's: Binance USDⓈ-M's Algo Service):
    # it fires a market order once the price comes back ``callback_rate`` percent from its
    # best since ``activation_price`` was reached.
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    NEW = "NEW"
    PENDING_NEW = "PENDING_NEW"  # pending leg of an OTO/OTOCO list, not yet on the book
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    PENDING_CANCEL = "PENDING_CANCEL"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
        OrderStatus.EXPIRED_IN_MATCH,
    }
)


class ExecutionType(StrEnum):
    NEW = "NEW"
    CANCELED = "CANCELED"
    REPLACED = "REPLACED"
    REJECTED = "REJECTED"
    TRADE = "TRADE"
    EXPIRED = "EXPIRED"
    TRADE_PREVENTION = "TRADE_PREVENTION"
