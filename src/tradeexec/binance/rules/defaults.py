"""exchangeInfo symbol entries the local exchange serves when it is given none.

They follow live Binance spot entries of 2025-2026 in shape and values (field set, filter
order, tick and step sizes, notional floors, order-count caps), so that a client tuned
against the local exchange meets the same rules on the real one. MARKET_LOT_SIZE.maxQty is
recomputed by Binance from recent volume; the figures here are one recent reading.
``币安人生USDT`` is one of the non-ASCII symbols Binance lists since its December 2025 change,
so clients meet UTF-8 symbols (percent-encoded in signatures) against the local exchange too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_SYMBOL_INFO"]

_ORDER_TYPES = [
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
]
# Live symbols also list DECREMENT and TRANSFER; the local exchange's matching does the three
# EXPIRE modes only, and exchangeInfo must not offer what an order would be refused for.
_STP_MODES = ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]


def _symbol(
    symbol: str,
    base: str,
    quote: str,
    *,
    price: tuple[str, str, str],
    lot: tuple[str, str, str],
    market_max_qty: str,
    min_notional: str,
) -> dict[str, Any]:
    min_price, max_price, tick = price
    min_qty, max_qty, step = lot
    return {
        "symbol": symbol,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": list(_ORDER_TYPES),
        "icebergAllowed": True,
        "ocoAllowed": True,
        # The local exchange serves OCO but not OTO/OTOCO/OPO lists, order amendment or pegged
        # orders: advertised as off so that no client plans on them.
        "otoAllowed": False,
        "opoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "amendAllowed": False,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True,
        # Margin is not served by the local exchange, so no symbol advertises it.
        "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": min_price, "maxPrice": max_price, "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": min_qty, "maxQty": max_qty, "stepSize": step},
            {"filterType": "ICEBERG_PARTS", "limit": 100},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": "0.00000000",
                "maxQty": market_max_qty,
                "stepSize": "0.00000000",
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": 10,
                "maxTrailingAboveDelta": 2000,
                "minTrailingBelowDelta": 10,
                "maxTrailingBelowDelta": 2000,
            },
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": "5",
                "bidMultiplierDown": "0.2",
                "askMultiplierUp": "5",
                "askMultiplierDown": "0.2",
                "avgPriceMins": 5,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": min_notional,
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ORDER_LISTS", "maxNumOrderLists": 20},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
            {"filterType": "MAX_NUM_ORDER_AMENDS", "maxNumOrderAmends": 10},
        ],
        "permissions": [],
        "permissionSets": [["SPOT", "TRD_GRP_004", "TRD_GRP_005", "TRD_GRP_006"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": list(_STP_MODES),
    }


DEFAULT_SYMBOL_INFO: dict[str, dict[str, Any]] = {
    "BTCUSDT": _symbol(
        "BTCUSDT",
        "BTC",
        "USDT",
        price=("0.01000000", "1000000.00000000", "0.01000000"),
        lot=("0.00001000", "9000.00000000", "0.00001000"),
        market_max_qty="104.34142329",
        min_notional="5.00000000",
    ),
    "ETHUSDT": _symbol(
        "ETHUSDT",
        "ETH",
        "USDT",
        price=("0.01000000", "1000000.00000000", "0.01000000"),
        lot=("0.00010000", "9000.00000000", "0.00010000"),
        market_max_qty="2864.07352080",
        min_notional="5.00000000",
    ),
    "BNBUSDT": _symbol(
        "BNBUSDT",
        "BNB",
        "USDT",
        price=("0.01000000", "100000.00000000", "0.01000000"),
        lot=("0.00100000", "9000.00000000", "0.00100000"),
        market_max_qty="1716.64521569",
        min_notional="5.00000000",
    ),
    "ETHBTC": _symbol(
        "ETHBTC",
        "ETH",
        "BTC",
        price=("0.00001000", "922327.00000000", "0.00001000"),
        lot=("0.00010000", "100000.00000000", "0.00010000"),
        market_max_qty="1855.98432430",
        min_notional="0.00010000",
    ),
    "币安人生USDT": _symbol(
        "币安人生USDT",
        "币安人生",
        "USDT",
        price=("0.00001000", "1000.00000000", "0.00001000"),
        lot=("1.00000000", "92141578.00000000", "1.00000000"),
        market_max_qty="3541224.59000000",
        min_notional="5.00000000",
    ),
}
