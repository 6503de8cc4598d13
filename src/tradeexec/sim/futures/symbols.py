"""The perpetual contracts the local exchange lists, as ``/fapi/v1/exchangeInfo`` entries.

Shape and filter set follow Binance's USDⓈ-M exchangeInfo documentation (PRICE_FILTER,
LOT_SIZE, MARKET_LOT_SIZE, MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS, PERCENT_PRICE, MIN_NOTIONAL
with its ``notional`` field); the figures are one reading of the live BTCUSDT / ETHUSDT
contracts. ``start_price`` is where the mark price starts before any trade or admin setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradeexec.sim.futures.brackets import ALT_TIERS, BTC_TIERS, Bracket, build_brackets

ORDER_TYPES = [
    "LIMIT",
    "MARKET",
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]
TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX", "GTD"]


@dataclass(frozen=True, slots=True)
class Contract:
    symbol: str
    base: str
    quote: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    price_precision: int
    quantity_precision: int
    start_price: Decimal
    brackets: tuple[Bracket, ...]
    # Binance's default; 4- and 1-hour symbols and adjusted caps appear in fundingInfo.
    funding_interval_hours: int = 8
    funding_rate_cap: Decimal | None = None  # None: the rule's cap (``pricing.rate_cap``)

    def info(self) -> dict[str, Any]:
        """The exchangeInfo entry."""
        return {
            "symbol": self.symbol,
            "pair": self.symbol,
            "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000,
            "onboardDate": 1569398400000,
            "status": "TRADING",
            "maintMarginPercent": "2.5000",
            "requiredMarginPercent": "5.0000",
            "baseAsset": self.base,
            "quoteAsset": self.quote,
            "marginAsset": self.quote,
            "pricePrecision": self.price_precision,
            "quantityPrecision": self.quantity_precision,
            "baseAssetPrecision": 8,
            "quotePrecision": 8,
            "underlyingType": "COIN",
            "underlyingSubType": [],
            "settlePlan": 0,
            "triggerProtect": "0.0500",
            "liquidationFee": "0.012500",
            "marketTakeBound": "0.05",
            "maxMoveOrderLimit": 10000,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": str(self.tick),
                    "maxPrice": "4529764",
                    "tickSize": str(self.tick),
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": str(self.min_qty),
                    "maxQty": str(self.max_qty),
                    "stepSize": str(self.step),
                },
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "minQty": str(self.min_qty),
                    "maxQty": str(self.market_max_qty),
                    "stepSize": str(self.step),
                },
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                {"filterType": "MIN_NOTIONAL", "notional": str(self.min_notional)},
                {
                    "filterType": "PERCENT_PRICE",
                    "multiplierUp": "1.0500",
                    "multiplierDown": "0.9500",
                    "multiplierDecimal": "4",
                },
            ],
            "orderTypes": list(ORDER_TYPES),
            "timeInForce": list(TIME_IN_FORCE),
        }


def default_contracts() -> dict[str, Contract]:
    btc = build_brackets(BTC_TIERS)
    alt = build_brackets(ALT_TIERS)
    d = Decimal
    contracts = (
        Contract(
            "BTCUSDT",
            "BTC",
            "USDT",
            d("0.10"),
            d("0.001"),
            d("0.001"),
            d("1000"),
            d("120"),
            d("100"),
            2,
            3,
            d("60000"),
            btc,
        ),
        Contract(
            "ETHUSDT",
            "ETH",
            "USDT",
            d("0.01"),
            d("0.001"),
            d("0.001"),
            d("10000"),
            d("2000"),
            d("20"),
            2,
            3,
            d("3000"),
            alt,
        ),
    )
    return {c.symbol: c for c in contracts}
