"""Registry of every REST endpoint: method, path, security type, weight rule, order count.

One table answers the questions every request raises before it is sent (does it need a key,
a signature, how much weight and how many order units will it cost) and that the local
exchange asks when a request arrives. Weights are Binance's current ones where they changed
since the 2022 reference (marked "current"); weights that depend on parameters are small
functions of the parameters, the same on both sides of the wire.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from tradeexec.binance.enums import SecurityType as S

WeightRule = Callable[[Mapping[str, object]], int]
WeightKind = Literal["IP", "UID"]
Base = Literal["api", "sapi", "fapi", "dapi"]

IP: Final = "IP"
UID: Final = "UID"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """``orders`` is how many units of the ORDERS budget a call consumes (new orders only)."""

    method: str
    path: str
    security: S
    weight: int | WeightRule
    weight_kind: WeightKind
    orders: int
    base: Base

    def weight_for(self, params: Mapping[str, object]) -> int:
        return self.weight if isinstance(self.weight, int) else self.weight(params)


# --------------------------------------------------------------------------- weight rules


def _int_param(params: Mapping[str, object], name: str, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    try:
        return int(str(value))
    except ValueError:
        return default  # the request will be refused for the bad value; charge the default


def _symbol_count(params: Mapping[str, object]) -> int | None:
    """1 for ``symbol``, the list length for ``symbols`` (a list or its JSON text), None for
    neither (which Binance reads as "all symbols")."""
    if params.get("symbol") is not None:
        return 1
    symbols = params.get("symbols")
    if symbols is None:
        return None
    if isinstance(symbols, list | tuple):
        return len(symbols)
    try:
        decoded = json.loads(str(symbols))
    except ValueError:
        return str(symbols).count(",") + 1
    return len(decoded) if isinstance(decoded, list) else 1


def _by_limit(steps: tuple[tuple[int, int], ...], default_limit: int) -> WeightRule:
    """Weight by ``limit``: the first (upper bound, weight) step whose bound covers it."""

    def rule(params: Mapping[str, object]) -> int:
        limit = _int_param(params, "limit", default_limit)
        for bound, weight in steps:
            if limit <= bound:
                return weight
        return steps[-1][1]

    rule.__qualname__ = rule.__name__ = f"by_limit{steps}"
    return rule


def _one_unless(name: str, without: int) -> WeightRule:
    """1 when ``name`` narrows the request to one item, ``without`` otherwise."""

    def rule(params: Mapping[str, object]) -> int:
        return 1 if params.get(name) is not None else without

    rule.__qualname__ = rule.__name__ = f"one_unless_{name}_else_{without}"
    return rule


# Spot depth, current: 1-100 -> 5, 101-500 -> 25, 501-1000 -> 50, 1001-5000 -> 250.
depth_weight: Final = _by_limit(((100, 5), (500, 25), (1000, 50), (5000, 250)), default_limit=100)


def ticker_24hr_weight(params: Mapping[str, object]) -> int:
    """Current: 2 for one symbol, 80 for all; for ``symbols`` 2 up to 20, 40 up to 100, else 80."""
    count = _symbol_count(params)
    if count is None:
        return 80
    if count <= 20:
        return 2
    return 40 if count <= 100 else 80


def ticker_price_weight(params: Mapping[str, object]) -> int:
    """ticker/price and ticker/bookTicker, current: 2 for ``symbol``, 4 for ``symbols`` or all."""
    return 2 if params.get("symbol") is not None else 4


def rolling_ticker_weight(params: Mapping[str, object]) -> int:
    """ticker (rolling window) and ticker/tradingDay: 4 per symbol, capped at 200 (50 symbols)."""
    return min(4 * (_symbol_count(params) or 1), 200)


def open_orders_weight(params: Mapping[str, object]) -> int:
    """Current: 6 for one symbol, 80 across all symbols."""
    return 6 if params.get("symbol") is not None else 80


def my_trades_weight(params: Mapping[str, object]) -> int:
    """Current: 20, or 5 when narrowed to one ``orderId``."""
    return 5 if params.get("orderId") is not None else 20


def order_test_weight(params: Mapping[str, object]) -> int:
    """Current: 1, or 20 when commission rates are computed too."""
    flag = params.get("computeCommissionRates")
    return 20 if flag is True or str(flag).lower() == "true" else 1


# USDⓈ-M futures: depth 5-50 -> 2, 100 -> 5, 500 -> 10, 1000 -> 20; klines by limit.
futures_depth_weight: Final = _by_limit(((50, 2), (100, 5), (500, 10), (1000, 20)), default_limit=500)
futures_klines_weight: Final = _by_limit(((99, 1), (499, 2), (1000, 5), (1500, 10)), default_limit=500)
futures_open_orders_weight: Final = _one_unless("symbol", 40)


# --------------------------------------------------------------------------- the table

_Row = tuple[str, str, S, int | WeightRule, WeightKind]

# Every endpoint of the 2022 Spot API reference (seeds/spot-api-endpoints.txt), with the
# security type and weight it documents; /api/v3 weights updated to Binance's current ones.
_SPOT_ROWS: Final[tuple[_Row, ...]] = (
    ("DELETE", "/api/v3/openOrders", S.TRADE, 1, IP),
    ("DELETE", "/api/v3/order", S.TRADE, 1, IP),
    ("DELETE", "/api/v3/orderList", S.TRADE, 1, IP),
    ("DELETE", "/api/v3/userDataStream", S.USER_STREAM, 1, IP),
    ("DELETE", "/sapi/v1/algo/futures/order", S.TRADE, 1, IP),
    ("DELETE", "/sapi/v1/margin/isolated/account", S.TRADE, 300, UID),
    ("DELETE", "/sapi/v1/margin/openOrders", S.TRADE, 1, IP),
    ("DELETE", "/sapi/v1/margin/order", S.TRADE, 10, IP),
    ("DELETE", "/sapi/v1/margin/orderList", S.TRADE, 1, UID),
    ("DELETE", "/sapi/v1/sub-account/subAccountApi/ipRestriction/ipList", S.USER_DATA, 3000, UID),
    ("DELETE", "/sapi/v1/userDataStream", S.USER_STREAM, 1, IP),
    ("DELETE", "/sapi/v1/userDataStream/isolated", S.USER_STREAM, 1, IP),
    ("GET", "/api/v3/account", S.USER_DATA, 20, IP),
    ("GET", "/api/v3/aggTrades", S.NONE, 2, IP),
    ("GET", "/api/v3/allOrderList", S.USER_DATA, 20, IP),
    ("GET", "/api/v3/allOrders", S.USER_DATA, 20, IP),
    ("GET", "/api/v3/avgPrice", S.NONE, 2, IP),
    ("GET", "/api/v3/depth", S.NONE, depth_weight, IP),
    ("GET", "/api/v3/exchangeInfo", S.NONE, 20, IP),
    ("GET", "/api/v3/historicalTrades", S.MARKET_DATA, 25, IP),
    ("GET", "/api/v3/klines", S.NONE, 2, IP),
    ("GET", "/api/v3/myTrades", S.USER_DATA, my_trades_weight, IP),
    ("GET", "/api/v3/openOrderList", S.USER_DATA, 6, IP),
    ("GET", "/api/v3/openOrders", S.USER_DATA, open_orders_weight, IP),
    ("GET", "/api/v3/order", S.USER_DATA, 4, IP),
    ("GET", "/api/v3/orderList", S.USER_DATA, 4, IP),
    ("GET", "/api/v3/ping", S.NONE, 1, IP),
    ("GET", "/api/v3/rateLimit/order", S.TRADE, 40, IP),
    ("GET", "/api/v3/ticker", S.NONE, rolling_ticker_weight, IP),
    ("GET", "/api/v3/ticker/24hr", S.NONE, ticker_24hr_weight, IP),
    ("GET", "/api/v3/ticker/bookTicker", S.NONE, ticker_price_weight, IP),
    ("GET", "/api/v3/ticker/price", S.NONE, ticker_price_weight, IP),
    ("GET", "/api/v3/time", S.NONE, 1, IP),
    ("GET", "/api/v3/trades", S.NONE, 25, IP),
    ("GET", "/api/v3/uiKlines", S.NONE, 2, IP),
    ("GET", "/sapi/v1/account/apiRestrictions", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/account/apiTradingStatus", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/account/status", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/accountSnapshot", S.USER_DATA, 2400, IP),
    ("GET", "/sapi/v1/algo/futures/historicalOrders", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/algo/futures/openOrders", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/algo/futures/subOrders", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/asset/assetDetail", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/asset/assetDividend", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/asset/dribblet", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/asset/tradeFee", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/asset/transfer", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/blvt/redeem/record", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/blvt/subscribe/record", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/blvt/tokenInfo", S.MARKET_DATA, 1, IP),
    ("GET", "/sapi/v1/blvt/userLimit", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/bnbBurn", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/bswap/addLiquidityPreview", S.USER_DATA, 150, IP),
    ("GET", "/sapi/v1/bswap/claimedHistory", S.USER_DATA, 1000, UID),
    ("GET", "/sapi/v1/bswap/liquidity", S.USER_DATA, _one_unless("poolId", 10), IP),
    ("GET", "/sapi/v1/bswap/liquidityOps", S.USER_DATA, 3000, UID),
    ("GET", "/sapi/v1/bswap/poolConfigure", S.USER_DATA, 150, IP),
    ("GET", "/sapi/v1/bswap/pools", S.MARKET_DATA, 1, IP),
    ("GET", "/sapi/v1/bswap/quote", S.USER_DATA, 150, UID),
    ("GET", "/sapi/v1/bswap/removeLiquidityPreview", S.USER_DATA, 150, IP),
    ("GET", "/sapi/v1/bswap/swap", S.USER_DATA, 3000, UID),
    ("GET", "/sapi/v1/bswap/unclaimedRewards", S.USER_DATA, 1000, UID),
    ("GET", "/sapi/v1/c2c/orderMatch/listUserOrderHistory", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/capital/config/getall", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/capital/deposit/address", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/capital/deposit/hisrec", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/capital/deposit/subAddress", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/capital/deposit/subHisrec", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/capital/withdraw/history", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/convert/tradeFlow", S.USER_DATA, 3000, UID),
    ("GET", "/sapi/v1/fiat/orders", S.USER_DATA, 90000, UID),
    ("GET", "/sapi/v1/fiat/payments", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/futures/loan/adjustCollateral/history", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/futures/loan/borrow/history", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/futures/loan/interestHistory", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/futures/loan/liquidationHistory", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/futures/loan/repay/history", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/futures/transfer", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/giftcard/cryptography/rsa-public-key", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/giftcard/verify", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/daily/product/list", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/daily/token/position", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/daily/userLeftQuota", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/daily/userRedemptionQuota", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/project/list", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/project/position/list", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/union/account", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/union/interestHistory", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/union/purchaseRecord", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/lending/union/redemptionRecord", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/loan/borrow/history", S.USER_DATA, 400, IP),
    ("GET", "/sapi/v1/loan/income", S.USER_DATA, 6000, UID),
    ("GET", "/sapi/v1/loan/ltv/adjustment/history", S.USER_DATA, 400, IP),
    ("GET", "/sapi/v1/loan/ongoing/orders", S.USER_DATA, 400, IP),
    ("GET", "/sapi/v1/loan/repay/history", S.USER_DATA, 400, IP),
    ("GET", "/sapi/v1/managed-subaccount/accountSnapshot", S.USER_DATA, 2400, IP),
    ("GET", "/sapi/v1/managed-subaccount/asset", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/account", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/allAssets", S.MARKET_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/allOrderList", S.USER_DATA, 200, IP),
    ("GET", "/sapi/v1/margin/allOrders", S.USER_DATA, 200, IP),
    ("GET", "/sapi/v1/margin/allPairs", S.MARKET_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/asset", S.MARKET_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/crossMarginData", S.USER_DATA, _one_unless("coin", 5), IP),
    ("GET", "/sapi/v1/margin/dribblet", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/forceLiquidationRec", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/interestHistory", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/interestRateHistory", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/isolated/account", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/isolated/accountLimit", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/isolated/allPairs", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/isolated/pair", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/isolated/transfer", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/isolatedMarginData", S.USER_DATA, _one_unless("symbol", 10), IP),
    ("GET", "/sapi/v1/margin/isolatedMarginTier", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/margin/loan", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/maxBorrowable", S.USER_DATA, 50, IP),
    ("GET", "/sapi/v1/margin/maxTransferable", S.USER_DATA, 50, IP),
    ("GET", "/sapi/v1/margin/myTrades", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/openOrderList", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/openOrders", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/order", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/orderList", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/pair", S.MARKET_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/priceIndex", S.MARKET_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/rateLimit/order", S.TRADE, 20, IP),
    ("GET", "/sapi/v1/margin/repay", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/tradeCoeff", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/margin/transfer", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/mining/hash-transfer/config/details/list", S.USER_DATA, 5, IP),
    ("GET", "/sapi/v1/mining/hash-transfer/profit/details", S.USER_DATA, 5, IP),
    ("GET", "/sapi/v1/mining/payment/list", S.USER_DATA, 5, IP),
    ("GET", "/sapi/v1/mining/payment/other", S.USER_DATA, 5, IP),
    ("GET", "/sapi/v1/mining/payment/uid", S.USER_DATA, 5, IP),
    ("GET", "/sapi/v1/mining/pub/algoList", S.MARKET_DATA, 1, IP),
    ("GET", "/sapi/v1/mining/pub/coinList", S.MARKET_DATA, 1, IP),
    ("GET", "/sapi/v1/mining/statistics/user/list", S.USER_DATA, 5, IP),
    ("GET", "/sapi/v1/mining/statistics/user/status", S.USER_DATA, 5, IP),
    ("GET", "/sapi/v1/mining/worker/detail", S.USER_DATA, 5, IP),
    ("GET", "/sapi/v1/mining/worker/list", S.USER_DATA, 5, IP),
    ("GET", "/sapi/v1/nft/history/deposit", S.USER_DATA, 3000, UID),
    ("GET", "/sapi/v1/nft/history/transactions", S.USER_DATA, 3000, UID),
    ("GET", "/sapi/v1/nft/history/withdraw", S.USER_DATA, 3000, UID),
    ("GET", "/sapi/v1/nft/user/getAsset", S.USER_DATA, 3000, UID),
    ("GET", "/sapi/v1/pay/transactions", S.USER_DATA, 3000, UID),
    ("GET", "/sapi/v1/portfolio/account", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/portfolio/collateralRate", S.MARKET_DATA, 50, IP),
    ("GET", "/sapi/v1/portfolio/pmLoan", S.USER_DATA, 500, UID),
    ("GET", "/sapi/v1/rebate/taxQuery", S.USER_DATA, 12000, UID),
    ("GET", "/sapi/v1/staking/personalLeftQuota", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/staking/position", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/staking/productList", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/staking/stakingRecord", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/sub-account/futures/account", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/sub-account/futures/accountSummary", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/sub-account/futures/internalTransfer", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/sub-account/futures/positionRisk", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/sub-account/list", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/sub-account/margin/account", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/sub-account/margin/accountSummary", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/sub-account/spotSummary", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/sub-account/status", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v1/sub-account/sub/transfer/history", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/sub-account/subAccountApi/ipRestriction", S.USER_DATA, 3000, UID),
    ("GET", "/sapi/v1/sub-account/transfer/subUserHistory", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/sub-account/universalTransfer", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v1/system/status", S.NONE, 1, IP),
    ("GET", "/sapi/v2/futures/loan/wallet", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v2/sub-account/futures/account", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v2/sub-account/futures/accountSummary", S.USER_DATA, 10, IP),
    ("GET", "/sapi/v2/sub-account/futures/positionRisk", S.USER_DATA, 1, IP),
    ("GET", "/sapi/v3/sub-account/assets", S.USER_DATA, 60, UID),
    ("POST", "/api/v3/order", S.TRADE, 1, IP),
    ("POST", "/api/v3/order/cancelReplace", S.TRADE, 1, IP),
    ("POST", "/api/v3/order/oco", S.TRADE, 1, IP),
    ("POST", "/api/v3/order/test", S.TRADE, order_test_weight, IP),
    ("POST", "/api/v3/userDataStream", S.USER_STREAM, 1, IP),
    ("POST", "/sapi/v1/account/disableFastWithdrawSwitch", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/account/enableFastWithdrawSwitch", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/algo/futures/newOrderTwap", S.TRADE, 3000, UID),
    ("POST", "/sapi/v1/algo/futures/newOrderVp", S.TRADE, 3000, UID),
    ("POST", "/sapi/v1/asset/convert-transfer", S.USER_DATA, 5, UID),
    ("POST", "/sapi/v1/asset/convert-transfer/queryByPage", S.USER_DATA, 5, UID),
    ("POST", "/sapi/v1/asset/dust", S.USER_DATA, 10, UID),
    ("POST", "/sapi/v1/asset/dust-btc", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/asset/get-funding-asset", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/asset/transfer", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/blvt/redeem", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/blvt/subscribe", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/bnbBurn", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/bswap/claimRewards", S.TRADE, 1000, UID),
    ("POST", "/sapi/v1/bswap/liquidityAdd", S.TRADE, 1000, UID),
    ("POST", "/sapi/v1/bswap/liquidityRemove", S.TRADE, 1000, UID),
    ("POST", "/sapi/v1/bswap/swap", S.TRADE, 1000, UID),
    ("POST", "/sapi/v1/capital/withdraw/apply", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/futures/transfer", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/giftcard/createCode", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/giftcard/redeemCode", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/lending/customizedFixed/purchase", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/lending/daily/purchase", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/lending/daily/redeem", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/lending/positionChanged", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/loan/adjust/ltv", S.TRADE, 6000, UID),
    ("POST", "/sapi/v1/loan/borrow", S.TRADE, 6000, UID),
    ("POST", "/sapi/v1/loan/repay", S.TRADE, 6000, UID),
    ("POST", "/sapi/v1/managed-subaccount/deposit", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/managed-subaccount/withdraw", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/margin/isolated/account", S.TRADE, 300, UID),
    ("POST", "/sapi/v1/margin/isolated/transfer", S.MARGIN, 600, UID),
    ("POST", "/sapi/v1/margin/loan", S.MARGIN, 3000, UID),
    ("POST", "/sapi/v1/margin/order", S.TRADE, 6, UID),
    ("POST", "/sapi/v1/margin/order/oco", S.TRADE, 6, UID),
    ("POST", "/sapi/v1/margin/repay", S.MARGIN, 3000, UID),
    ("POST", "/sapi/v1/margin/transfer", S.MARGIN, 600, IP),
    ("POST", "/sapi/v1/mining/hash-transfer/config", S.USER_DATA, 5, IP),
    ("POST", "/sapi/v1/mining/hash-transfer/config/cancel", S.USER_DATA, 5, IP),
    ("POST", "/sapi/v1/portfolio/repay", S.USER_DATA, 3000, UID),
    ("POST", "/sapi/v1/staking/purchase", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/staking/redeem", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/staking/setAutoStaking", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/blvt/enable", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/futures/enable", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/futures/internalTransfer", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/futures/transfer", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/margin/enable", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/margin/transfer", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/subAccountApi/ipRestriction", S.USER_DATA, 3000, UID),
    ("POST", "/sapi/v1/sub-account/subAccountApi/ipRestriction/ipList", S.USER_DATA, 3000, UID),
    ("POST", "/sapi/v1/sub-account/transfer/subToMaster", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/transfer/subToSub", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/universalTransfer", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/sub-account/virtualSubAccount", S.USER_DATA, 1, IP),
    ("POST", "/sapi/v1/userDataStream", S.USER_STREAM, 1, IP),
    ("POST", "/sapi/v1/userDataStream/isolated", S.USER_STREAM, 1, IP),
    ("POST", "/sapi/v3/asset/getUserAsset", S.USER_DATA, 5, IP),
    ("PUT", "/api/v3/userDataStream", S.USER_STREAM, 1, IP),
    ("PUT", "/sapi/v1/userDataStream", S.USER_STREAM, 1, IP),
    ("PUT", "/sapi/v1/userDataStream/isolated", S.USER_STREAM, 1, IP),
)

# Spot endpoints Binance added after the 2022 reference (current docs).
_SPOT_CURRENT_ROWS: Final[tuple[_Row, ...]] = (
    ("POST", "/api/v3/orderList/oco", S.TRADE, 1, IP),
    ("POST", "/api/v3/orderList/oto", S.TRADE, 1, IP),
    ("POST", "/api/v3/orderList/otoco", S.TRADE, 1, IP),
    ("GET", "/api/v3/ticker/tradingDay", S.NONE, rolling_ticker_weight, IP),
    ("GET", "/api/v3/account/commission", S.USER_DATA, 20, IP),
    # Margin, from the Korean guide (replaces /sapi/v1/margin/loan and /repay).
    ("POST", "/sapi/v1/margin/borrow-repay", S.MARGIN, 1500, UID),
    ("GET", "/sapi/v1/margin/borrow-repay", S.USER_DATA, 10, IP),
)

# USDⓈ-M futures, as listed in the Korean guide plus what order management needs.
_FUTURES_ROWS: Final[tuple[_Row, ...]] = (
    ("GET", "/fapi/v1/ping", S.NONE, 1, IP),
    ("GET", "/fapi/v1/time", S.NONE, 1, IP),
    ("GET", "/fapi/v1/exchangeInfo", S.NONE, 1, IP),
    ("GET", "/fapi/v1/depth", S.NONE, futures_depth_weight, IP),
    ("GET", "/fapi/v1/trades", S.NONE, 5, IP),
    ("GET", "/fapi/v1/klines", S.NONE, futures_klines_weight, IP),
    ("GET", "/fapi/v1/premiumIndex", S.NONE, _one_unless("symbol", 10), IP),
    ("GET", "/fapi/v1/fundingRate", S.NONE, 1, IP),
    ("GET", "/fapi/v1/openInterest", S.NONE, 1, IP),
    ("GET", "/fapi/v1/ticker/price", S.NONE, _one_unless("symbol", 2), IP),
    ("GET", "/fapi/v1/ticker/bookTicker", S.NONE, _one_unless("symbol", 5), IP),
    ("GET", "/fapi/v1/ticker/24hr", S.NONE, _one_unless("symbol", 40), IP),
    # Market data pages of the USDⓈ-M docs (read 2026-12): aggTrades 20, mark and index
    # price klines by limit like klines, fundingInfo 0 (fundingRate and fundingInfo share a
    # separate 500 per 5 minutes per IP, not counted in REQUEST_WEIGHT).
    ("GET", "/fapi/v1/aggTrades", S.NONE, 20, IP),
    ("GET", "/fapi/v1/markPriceKlines", S.NONE, futures_klines_weight, IP),
    ("GET", "/fapi/v1/indexPriceKlines", S.NONE, futures_klines_weight, IP),
    ("GET", "/fapi/v1/fundingInfo", S.NONE, 0, IP),
    # Futures order placement costs no IP weight, only order units.
    ("POST", "/fapi/v1/order", S.TRADE, 0, IP),
    ("GET", "/fapi/v1/order", S.USER_DATA, 1, IP),
    ("DELETE", "/fapi/v1/order", S.TRADE, 1, IP),
    ("DELETE", "/fapi/v1/allOpenOrders", S.TRADE, 1, IP),
    ("GET", "/fapi/v1/openOrders", S.USER_DATA, futures_open_orders_weight, IP),
    ("GET", "/fapi/v1/allOrders", S.USER_DATA, 5, IP),
    ("GET", "/fapi/v1/userTrades", S.USER_DATA, 5, IP),
    ("POST", "/fapi/v1/leverage", S.TRADE, 1, IP),
    ("POST", "/fapi/v1/marginType", S.TRADE, 1, IP),
    ("POST", "/fapi/v1/positionSide/dual", S.TRADE, 1, IP),
    ("GET", "/fapi/v1/positionSide/dual", S.USER_DATA, 30, IP),
    ("GET", "/fapi/v2/account", S.USER_DATA, 5, IP),
    ("GET", "/fapi/v3/account", S.USER_DATA, 5, IP),
    ("GET", "/fapi/v2/balance", S.USER_DATA, 5, IP),
    ("GET", "/fapi/v3/balance", S.USER_DATA, 5, IP),
    ("GET", "/fapi/v2/positionRisk", S.USER_DATA, 5, IP),
    ("GET", "/fapi/v3/positionRisk", S.USER_DATA, 5, IP),
    ("GET", "/fapi/v1/income", S.USER_DATA, 30, IP),
    ("GET", "/fapi/v1/leverageBracket", S.USER_DATA, 1, IP),
    ("GET", "/fapi/v1/symbolConfig", S.USER_DATA, 5, IP),  # "Symbol Configuration", read 2026-12
    # The Algo Service (conditional orders since 2025-12-09): "New Algo Order" costs no IP
    # weight, like a plain order; the query and cancel weights follow their plain-order twins.
    ("POST", "/fapi/v1/algoOrder", S.TRADE, 0, IP),
    ("GET", "/fapi/v1/algoOrder", S.USER_DATA, 1, IP),
    ("DELETE", "/fapi/v1/algoOrder", S.TRADE, 1, IP),
    ("GET", "/fapi/v1/openAlgoOrders", S.USER_DATA, futures_open_orders_weight, IP),
    # Modify, batches, the auto-cancel countdown and isolated margin ("Trade" pages).
    ("PUT", "/fapi/v1/order", S.TRADE, 1, IP),
    ("POST", "/fapi/v1/batchOrders", S.TRADE, 5, IP),
    ("PUT", "/fapi/v1/batchOrders", S.TRADE, 5, IP),
    ("DELETE", "/fapi/v1/batchOrders", S.TRADE, 1, IP),
    ("POST", "/fapi/v1/countdownCancelAll", S.TRADE, 10, IP),
    ("POST", "/fapi/v1/positionMargin", S.TRADE, 1, IP),
    ("GET", "/fapi/v1/positionMargin/history", S.TRADE, 1, IP),
    ("POST", "/fapi/v1/multiAssetsMargin", S.TRADE, 1, IP),
    ("GET", "/fapi/v1/multiAssetsMargin", S.USER_DATA, 30, IP),
    ("POST", "/fapi/v1/listenKey", S.USER_STREAM, 1, IP),
    ("PUT", "/fapi/v1/listenKey", S.USER_STREAM, 1, IP),
    ("DELETE", "/fapi/v1/listenKey", S.USER_STREAM, 1, IP),
)

# Units of the ORDERS budget per call: a new order is 1, an order list one per order.
# Cancel-replace counts 1 even when the new order is not attempted (reference, cancelReplace).
_ORDER_UNITS: Final[dict[tuple[str, str], int]] = {
    ("POST", "/api/v3/order"): 1,
    ("POST", "/api/v3/order/cancelReplace"): 1,
    ("POST", "/api/v3/order/oco"): 2,
    ("POST", "/api/v3/orderList/oco"): 2,
    ("POST", "/api/v3/orderList/oto"): 2,
    ("POST", "/api/v3/orderList/otoco"): 3,
    ("POST", "/sapi/v1/margin/order"): 1,
    ("POST", "/sapi/v1/margin/order/oco"): 2,
    ("POST", "/fapi/v1/order"): 1,
    ("POST", "/fapi/v1/algoOrder"): 1,
    # A modify counts 1; a batch 5 on the 10-second window and 1 on the minute one: the
    # client's one unit per call takes the larger, so it never runs ahead of either window.
    ("PUT", "/fapi/v1/order"): 1,
    ("POST", "/fapi/v1/batchOrders"): 5,
    ("PUT", "/fapi/v1/batchOrders"): 5,
}

RETIRED_ON_BINANCE: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        # Spot listenKeys, gone since 2026-02-20 (user data moved to the WebSocket API); the
        # local exchange still serves them for old clients.
        ("POST", "/api/v3/userDataStream"),
        ("PUT", "/api/v3/userDataStream"),
        ("DELETE", "/api/v3/userDataStream"),
    }
)


_BASES: Final[dict[str, Base]] = {"api": "api", "sapi": "sapi", "fapi": "fapi", "dapi": "dapi"}


def _base(path: str) -> Base:
    return _BASES[path.split("/", 2)[1]]


def _build(rows: tuple[_Row, ...]) -> dict[tuple[str, str], Endpoint]:
    registry: dict[tuple[str, str], Endpoint] = {}
    for method, path, security, weight, kind in rows:
        key = (method, path)
        if key in registry:
            raise ValueError(f"endpoint {method} {path} listed twice")
        registry[key] = Endpoint(method, path, security, weight, kind, _ORDER_UNITS.get(key, 0), _base(path))
    return registry


REGISTRY: Final[Mapping[tuple[str, str], Endpoint]] = MappingProxyType(
    _build(_SPOT_ROWS + _SPOT_CURRENT_ROWS + _FUTURES_ROWS)
)


def lookup(method: str, path: str) -> Endpoint:
    """The endpoint for ``method`` and ``path`` (a query string, if any, is ignored)."""
    key = (method.upper(), path.split("?", 1)[0])
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"no Binance endpoint {key[0]} {key[1]} in the registry") from None
