"""The Binance Spot API of the local exchange, independent of transport.

REST routes and the WebSocket API both parse a request into ``Params``, call
``authenticate`` for the endpoint's security type, then call one operation method; each
returns what Binance would put in the answer's body (dicts and lists, decimals as strings,
Binance's field names in Binance's order) or raises ``ApiError`` with Binance's code, text
and HTTP status. Every state change is published on the state's event bus before the
operation returns, so stream subscribers hear of it no later than the caller does.

``OPERATIONS`` is the table of endpoints; ``Service`` combines the endpoint families;
``WireState`` is the state the transports are given (the engine state plus this service).
"""

from __future__ import annotations

from tradeexec.binance.enums import SecurityType
from tradeexec.sim.binance.account import AccountOps
from tradeexec.sim.binance.futures_algo import FuturesAlgoOps
from tradeexec.sim.binance.futures_market import FuturesMarketOps, futures_market_operations
from tradeexec.sim.binance.futures_public import FuturesPublicOps, futures_operations
from tradeexec.sim.binance.futures_trade import FuturesTradeOps, trade_operations
from tradeexec.sim.binance.market_data import MarketDataOps
from tradeexec.sim.binance.operation import Operation
from tradeexec.sim.binance.order_lists import OrderListOps
from tradeexec.sim.binance.wallet import WalletOps, wallet_operations
from tradeexec.sim.config import SimConfig
from tradeexec.sim.params import ApiError, Params
from tradeexec.sim.state import SimState

__all__ = ["OPERATIONS", "ApiError", "Operation", "Params", "Service", "WireState"]


_N, _M, _T, _U = SecurityType.NONE, SecurityType.MARKET_DATA, SecurityType.TRADE, SecurityType.USER_DATA
OPERATIONS: tuple[Operation, ...] = (
    Operation("ping", "GET", "/api/v3/ping", _N, 1, "ping"),
    Operation("time", "GET", "/api/v3/time", _N, 1, "time"),
    Operation("exchange_info", "GET", "/api/v3/exchangeInfo", _N, 20, "exchangeInfo"),
    Operation("depth", "GET", "/api/v3/depth", _N, 5, "depth"),
    Operation("trades", "GET", "/api/v3/trades", _N, 25, "trades.recent"),
    Operation("historical_trades", "GET", "/api/v3/historicalTrades", _M, 25, "trades.historical"),
    Operation("agg_trades", "GET", "/api/v3/aggTrades", _N, 4, "trades.aggregate"),
    Operation("klines", "GET", "/api/v3/klines", _N, 2, "klines"),
    Operation("ui_klines", "GET", "/api/v3/uiKlines", _N, 2, "uiKlines"),
    Operation("avg_price", "GET", "/api/v3/avgPrice", _N, 2, "avgPrice"),
    Operation("ticker_24hr", "GET", "/api/v3/ticker/24hr", _N, 2, "ticker.24hr"),
    Operation("ticker_price", "GET", "/api/v3/ticker/price", _N, 2, "ticker.price"),
    Operation("book_ticker", "GET", "/api/v3/ticker/bookTicker", _N, 2, "ticker.book"),
    Operation("rolling_ticker", "GET", "/api/v3/ticker", _N, 4, "ticker"),
    Operation("new_order", "POST", "/api/v3/order", _T, 1, "order.place"),
    Operation("test_order", "POST", "/api/v3/order/test", _T, 1, "order.test"),
    Operation("get_order", "GET", "/api/v3/order", _U, 4, "order.status"),
    Operation("cancel_order", "DELETE", "/api/v3/order", _T, 1, "order.cancel"),
    Operation("cancel_replace", "POST", "/api/v3/order/cancelReplace", _T, 1, "order.cancelReplace"),
    Operation("open_orders", "GET", "/api/v3/openOrders", _U, 6, "openOrders.status"),
    Operation("cancel_all", "DELETE", "/api/v3/openOrders", _T, 1, "openOrders.cancelAll"),
    Operation("all_orders", "GET", "/api/v3/allOrders", _U, 20, "allOrders"),
    Operation("new_oco", "POST", "/api/v3/order/oco", _T, 1, "orderList.place"),
    Operation("new_order_list_oco", "POST", "/api/v3/orderList/oco", _T, 1, "orderList.place.oco"),
    Operation("get_order_list", "GET", "/api/v3/orderList", _U, 4, "orderList.status"),
    Operation("cancel_order_list", "DELETE", "/api/v3/orderList", _T, 1, "orderList.cancel"),
    Operation("all_order_lists", "GET", "/api/v3/allOrderList", _U, 20, "allOrderLists"),
    Operation("open_order_lists", "GET", "/api/v3/openOrderList", _U, 6, "openOrderLists.status"),
    Operation("account", "GET", "/api/v3/account", _U, 20, "account.status"),
    Operation("my_trades", "GET", "/api/v3/myTrades", _U, 20, "myTrades"),
    Operation("rate_limit_order", "GET", "/api/v3/rateLimit/order", _U, 40, "account.rateLimits.orders"),
    Operation("system_status", "GET", "/sapi/v1/system/status", _N, 1),
    Operation("account_status", "GET", "/sapi/v1/account/status", _U, 1),
    Operation("api_trading_status", "GET", "/sapi/v1/account/apiTradingStatus", _U, 1),
    Operation("api_restrictions", "GET", "/sapi/v1/account/apiRestrictions", _U, 1),
    *wallet_operations(),
    Operation("delivery_exchange_info", "GET", "/dapi/v1/exchangeInfo", _N, 1),
    *futures_operations(),
    *futures_market_operations(),
    *trade_operations(),
)


class Service(
    WalletOps,
    AccountOps,
    OrderListOps,
    MarketDataOps,
    FuturesPublicOps,
    FuturesTradeOps,
    FuturesAlgoOps,
    FuturesMarketOps,
):
    """Binance's spot API over one ``SimState``. Operations take ``(params, account)`` where
    ``account`` is what ``authenticate`` returned (None for public endpoints)."""

    def __init__(self, state: SimState) -> None:
        self.state = state
        self.operations: dict[str, Operation] = {op.handler: op for op in OPERATIONS}
        self.by_route: dict[tuple[str, str], Operation] = {(op.method, op.path): op for op in OPERATIONS}
        self.by_ws_method: dict[str, Operation] = {op.ws_method: op for op in OPERATIONS if op.ws_method}


class WireState(SimState):
    """A ``SimState`` with the Binance API over it: what the REST server, the WebSocket API and
    the streams are given. The state below (engine, keys, limits) knows nothing of the API, so
    it is built here, on top, and the dependency points one way."""

    def __init__(self, config: SimConfig) -> None:
        super().__init__(config)
        self.service = Service(self)
