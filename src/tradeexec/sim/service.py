"""The Binance Spot API of the local exchange, independent of transport.

REST routes and the WebSocket API both parse a request into ``Params``, call
``authenticate`` for the endpoint's security type, then call one operation method; each
returns what Binance would put in the answer's body (dicts and lists, decimals as strings,
Binance's field names in Binance's order) or raises ``ApiError`` with Binance's code, text
and HTTP status. Every state change is published on the state's event bus before the
operation returns, so stream subscribers hear of it no later than the caller does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradeexec.binance.enums import (
    KlineInterval,
    OrderResponseType,
    OrderType,
    SecurityType,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
)
from tradeexec.binance.rest.params import SYMBOL_LEGAL, is_symbol
from tradeexec.sim import checks, views
from tradeexec.sim.engine import EngineReject, ExecutionEvent, Order, OrderRequest
from tradeexec.sim.params import ApiError, Params, illegal, mandatory, not_required
from tradeexec.sim.wallet_ops import WalletOps, wallet_operations

if TYPE_CHECKING:
    from tradeexec.sim.state import ApiAccount, SimState

__all__ = ["OPERATIONS", "ApiError", "Operation", "Params", "Service"]

API_KEY_RE = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
MAX_RECV_WINDOW = 60_000
DEFAULT_RECV_WINDOW = Decimal(5000)
INVALID_SYMBOL = "Invalid symbol."
_SYMBOL_ITEM = SYMBOL_LEGAL[1:-1]
SYMBOLS_LEGAL = f'^\\[("{_SYMBOL_ITEM}"(,"{_SYMBOL_ITEM}"){{0,}}){{0,1}}\\]$'
_NEEDS_TIF = {OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
_NEEDS_PRICE = _NEEDS_TIF | {OrderType.LIMIT_MAKER}
_NEEDS_STOP = {
    OrderType.STOP_LOSS,
    OrderType.STOP_LOSS_LIMIT,
    OrderType.TAKE_PROFIT,
    OrderType.TAKE_PROFIT_LIMIT,
}
_ROLLING_UNITS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}


@dataclass(frozen=True, slots=True)
class Operation:
    """One endpoint: ``handler`` names the ``Service`` method; ``ws_method`` the WebSocket API
    method that maps to it (None when the WebSocket API has none); ``weight`` the fallback
    request weight when the shared endpoint registry does not know the endpoint."""

    handler: str
    method: str
    path: str
    security: SecurityType
    weight: int = 1
    ws_method: str | None = None


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
)


class Service(WalletOps):
    """Binance's spot API over one ``SimState``. Operations take ``(params, account)`` where
    ``account`` is what ``authenticate`` returned (None for public endpoints)."""

    def __init__(self, state: SimState) -> None:
        self.state = state
        self.operations: dict[str, Operation] = {op.handler: op for op in OPERATIONS}
        self.by_route: dict[tuple[str, str], Operation] = {(op.method, op.path): op for op in OPERATIONS}
        self.by_ws_method: dict[str, Operation] = {op.ws_method: op for op in OPERATIONS if op.ws_method}

    # ------------------------------------------------------------------ dispatch and auth

    def call(self, op: Operation, params: Params, account: ApiAccount | None) -> Any:
        """Run one operation; the params must all have been read by it (-1104 otherwise)."""
        handler: Callable[[Params, ApiAccount | None], Any] = getattr(self, op.handler)
        return handler(params, account)

    def authenticate(
        self,
        security: SecurityType,
        api_key: str | None,
        payload: bytes,
        signature: str | None,
        params: Params,
        *,
        client_ip: str | None = None,
    ) -> ApiAccount | None:
        """Binance's checks, in Binance's order: key format (-2014), known key, IP and
        permissions (-2015), timestamp and recvWindow (-1102/-1021), signature (-1022).
        ``payload`` is exactly what was signed (query then body, no separator, signature
        removed). Returns None for NONE security when no key was sent."""
        if not security.needs_key:
            return None
        if not api_key or not API_KEY_RE.match(api_key):
            raise ApiError(-2014, "API-key format invalid.", 401)
        account = self.state.keys.get(api_key)
        if account is None or not account.permissions.ip_allowed(client_ip):
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        if not security.signed:
            return account
        params.mark_read("signature")
        if not signature:
            raise mandatory("signature")
        self.check_timestamp(params)
        if not account.verifier.verify(payload, signature):
            raise ApiError(-1022, "Signature for this request is not valid.")
        self.check_permission(account, security)
        return account

    def check_timestamp(self, params: Params) -> None:
        """The recvWindow rule: ``timestamp < serverTime + 1000`` and
        ``serverTime - timestamp <= recvWindow`` (recvWindow may carry microseconds)."""
        raw_window = params.get("recvWindow")
        window = DEFAULT_RECV_WINDOW
        if raw_window is not None:
            if not re.fullmatch(r"[0-9]{1,20}(\.[0-9]{1,3})?", raw_window):
                raise illegal("recvWindow", "^[0-9]{1,20}(\\.[0-9]{1,3})?$")
            window = Decimal(raw_window)
            if window > MAX_RECV_WINDOW:
                # -1131 (BAD_RECV_WINDOW) left Binance's error list; this is its current answer.
                raise ApiError(
                    -1102,
                    f"'recvWindow' contains unexpected value. Cannot be greater than {MAX_RECV_WINDOW}.",
                )
        raw_ts = params.get("timestamp")
        if raw_ts is None or not re.fullmatch(r"[0-9]{1,20}", raw_ts):
            raise mandatory("timestamp")
        timestamp = int(raw_ts)
        now = self.state.now_ms()
        if timestamp >= now + 1000:
            raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - timestamp > window:
            raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")

    def check_permission(self, account: ApiAccount, security: SecurityType) -> None:
        perms = account.permissions
        if (security is SecurityType.TRADE and not perms.enable_spot_trading) or not perms.enable_reading:
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)

    # ------------------------------------------------------------------ helpers

    def _symbol(self, p: Params, name: str = "symbol") -> str:
        symbol = p.symbol(name)
        assert symbol is not None
        if symbol not in self.state.symbol_info:
            raise ApiError(-1121, INVALID_SYMBOL)
        return symbol

    def _opt_symbol(self, p: Params) -> str | None:
        if p.get("symbol") is None:
            return None
        return self._symbol(p)

    def _symbols(self, p: Params) -> list[str] | None:
        """``symbol`` or ``symbols`` (a JSON array); None when neither was sent."""
        one = p.get("symbol")
        many = p.get("symbols")
        if one is not None and many is not None:
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        if one is not None:
            return [self._symbol(p)]
        if many is None:
            return None
        names = _symbol_list(many)
        if names is None:
            raise illegal("symbols", SYMBOLS_LEGAL)
        if len(names) > 100:
            raise ApiError(-1101, "Too many values sent for parameter 'symbols', maximum allowed up to 100.")
        for name in names:
            if name not in self.state.symbol_info:
                raise ApiError(-1121, INVALID_SYMBOL)
        return list(dict.fromkeys(names))

    def _limit(self, p: Params, default: int, maximum: int) -> int:
        limit = p.integer("limit")
        if limit is None:
            return default
        if limit <= 0:
            raise illegal("limit", "^[0-9]{1,20}$")
        return min(limit, maximum)

    def _order_ref(self, p: Params) -> tuple[int | None, str | None]:
        order_id = p.integer("orderId")
        orig = p.get("origClientOrderId")
        if order_id is None and orig is None:
            raise ApiError(
                -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
            )
        return order_id, orig

    @staticmethod
    def _engine(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except EngineReject as exc:
            raise ApiError(exc.code, exc.msg) from None

    def _now(self) -> int:
        return self.state.now_ms()

    # ------------------------------------------------------------------ general / market data

    def ping(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        return {}

    def time(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        return {"serverTime": self._now()}

    def exchange_info(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        symbols = self._symbols(p)
        permissions = p.get("permissions")
        p.mark_read("showPermissionSets", "symbolStatus")
        p.ensure_all_read()
        infos = [self.state.symbol_info[s] for s in (symbols or self.state.symbol_info)]
        if permissions:
            wanted = set(json.loads(permissions)) if permissions.startswith("[") else {permissions}
            infos = [i for i in infos if wanted & set(_permissions_of(i))]
        return {
            "timezone": "UTC",
            "serverTime": self._now(),
            "rateLimits": self.state.limiter.rate_limits_json(),
            "exchangeFilters": [],
            "symbols": infos,
        }

    def depth(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        symbol = self._symbol(p)
        limit = self._limit(p, 100, 5000)
        p.ensure_all_read()
        snap = self.state.engine.depth(symbol, limit)
        return {
            "lastUpdateId": snap.last_update_id,
            "bids": views.levels(snap.bids),
            "asks": views.levels(snap.asks),
        }

    def trades(self, p: Params, _: ApiAccount | None) -> list[dict[str, Any]]:
        symbol = self._symbol(p)
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        return [views.public_trade(t) for t in self.state.engine.recent_trades(symbol, limit)]

    def historical_trades(self, p: Params, _: ApiAccount | None) -> list[dict[str, Any]]:
        symbol = self._symbol(p)
        limit = self._limit(p, 500, 1000)
        from_id = p.integer("fromId")
        p.ensure_all_read()
        return [views.public_trade(t) for t in self.state.engine.recent_trades(symbol, limit, from_id)]

    def agg_trades(self, p: Params, _: ApiAccount | None) -> list[dict[str, Any]]:
        symbol = self._symbol(p)
        from_id = p.integer("fromId")
        start, end = p.integer("startTime"), p.integer("endTime")
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        if from_id is not None and (start is not None or end is not None):
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        if start is not None or end is not None:
            trades = self.state.tape.trades(symbol, start, end)[:limit]
        elif from_id is not None:
            trades = [t for t in self.state.tape.trades(symbol) if t.trade_id >= from_id][:limit]
        else:
            trades = self.state.tape.trades(symbol)[-limit:]
        return [views.agg_trade(t) for t in trades]

    def klines(self, p: Params, _: ApiAccount | None) -> list[list[Any]]:
        symbol = self._symbol(p)
        raw_interval = p.require("interval")
        try:
            interval = KlineInterval(raw_interval)
        except ValueError:
            raise ApiError(-1120, "Invalid interval.") from None
        start, end = p.integer("startTime"), p.integer("endTime")
        p.mark_read("timeZone")
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        if start is not None and end is not None and start > end:
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        rows = self.state.tape.klines(
            symbol, interval.milliseconds, start=start, end=end, limit=limit, now_ms=self._now()
        )
        return [
            [
                k.open_time,
                views.dec(k.open),
                views.dec(k.high),
                views.dec(k.low),
                views.dec(k.close),
                views.dec(k.volume),
                k.close_time,
                views.dec(k.quote_volume),
                k.count,
                views.dec(k.taker_buy_volume),
                views.dec(k.taker_buy_quote_volume),
                "0",
            ]
            for k in rows
        ]

    ui_klines = klines

    def avg_price(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        symbol = self._symbol(p)
        p.ensure_all_read()
        now = self._now()
        price = self.state.tape.average_price(symbol, now, 5) or Decimal(0)
        last = self.state.tape.last_trade(symbol)
        return {"mins": 5, "price": views.dec(price), "closeTime": last.time if last else now}

    def _ticker(self, symbol: str, start: int, end: int, full: bool) -> dict[str, Any]:
        stats = self.state.tape.window(symbol, start, end)
        last = stats.last.price if stats.last else Decimal(0)
        open_ = stats.open_price if stats.open_price is not None else Decimal(0)
        out: dict[str, Any] = {"symbol": symbol}
        if full:
            change = last - open_
            pct = (change / open_ * 100) if open_ else Decimal(0)
            wavg = stats.quote_volume / stats.volume if stats.volume else Decimal(0)
            out.update(
                priceChange=views.dec(change),
                priceChangePercent=f"{pct:.3f}",
                weightedAvgPrice=views.dec(wavg),
            )
        out.update(
            openPrice=views.dec(open_),
            highPrice=views.dec(stats.high or Decimal(0)),
            lowPrice=views.dec(stats.low or Decimal(0)),
            lastPrice=views.dec(last),
            volume=views.dec(stats.volume),
            quoteVolume=views.dec(stats.quote_volume),
            openTime=start,
            closeTime=end,
            firstId=stats.first_id,
            lastId=stats.last_id,
            count=stats.count,
        )
        return out

    def _ticker_24h(self, symbol: str, full: bool) -> dict[str, Any]:
        now = self._now()
        base = self._ticker(symbol, now - 86_400_000, now, full)
        if not full:
            return base
        stats = self.state.tape.window(symbol, now - 86_400_000, now)
        bid, ask = self._book(symbol)
        out: dict[str, Any] = {
            k: base[k] for k in ("symbol", "priceChange", "priceChangePercent", "weightedAvgPrice")
        }
        out["prevClosePrice"] = base["openPrice"]
        out["lastPrice"] = base["lastPrice"]
        out["lastQty"] = views.dec(stats.last.qty if stats.last else Decimal(0))
        out.update(bidPrice=bid[0], bidQty=bid[1], askPrice=ask[0], askQty=ask[1])
        for k in (
            "openPrice",
            "highPrice",
            "lowPrice",
            "volume",
            "quoteVolume",
            "openTime",
            "closeTime",
            "firstId",
            "lastId",
            "count",
        ):
            out[k] = base[k]
        return out

    def _ticker_type(self, p: Params) -> bool:
        kind = p.get("type") or "FULL"
        if kind not in ("FULL", "MINI"):
            raise ApiError(
                -1100, "Illegal characters found in parameter 'type'; legal range is 'FULL, MINI'."
            )
        return kind == "FULL"

    def ticker_24hr(self, p: Params, _: ApiAccount | None) -> Any:
        symbols = self._symbols(p)
        full = self._ticker_type(p)
        p.ensure_all_read()
        rows = [self._ticker_24h(s, full) for s in (symbols or self.state.symbol_info)]
        return rows[0] if p.get("symbol") else rows

    def rolling_ticker(self, p: Params, _: ApiAccount | None) -> Any:
        symbols = self._symbols(p)
        if symbols is None:
            raise ApiError(-1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")
        window = p.get("windowSize") or "1d"
        full = self._ticker_type(p)
        p.ensure_all_read()
        m = re.fullmatch(r"([0-9]{1,3})([mhd])", window)
        size = int(m.group(1)) * _ROLLING_UNITS[m.group(2)] if m else 0
        if not m or not 60_000 <= size <= 7 * 86_400_000:
            raise illegal("windowSize", "^[0-9]{1,3}[mhd]$")
        now = self._now()
        rows = [self._ticker(s, now - size, now, full) for s in symbols]
        return rows[0] if p.get("symbol") else rows

    def ticker_price(self, p: Params, _: ApiAccount | None) -> Any:
        symbols = self._symbols(p)
        p.ensure_all_read()
        rows = []
        for s in symbols or self.state.symbol_info:
            last = self.state.tape.last_trade(s)
            rows.append({"symbol": s, "price": views.dec(last.price if last else Decimal(0))})
        return rows[0] if p.get("symbol") else rows

    def _book(self, symbol: str) -> tuple[tuple[str, str], tuple[str, str]]:
        snap = self.state.engine.depth(symbol, 1)
        zero = (views.dec(Decimal(0)), views.dec(Decimal(0)))
        bid = (views.dec(snap.bids[0][0]), views.dec(snap.bids[0][1])) if snap.bids else zero
        ask = (views.dec(snap.asks[0][0]), views.dec(snap.asks[0][1])) if snap.asks else zero
        return bid, ask

    def book_ticker(self, p: Params, _: ApiAccount | None) -> Any:
        symbols = self._symbols(p)
        p.ensure_all_read()
        rows = []
        for s in symbols or self.state.symbol_info:
            bid, ask = self._book(s)
            rows.append(
                {"symbol": s, "bidPrice": bid[0], "bidQty": bid[1], "askPrice": ask[0], "askQty": ask[1]}
            )
        return rows[0] if p.get("symbol") else rows

    # ------------------------------------------------------------------ orders

    def _order_request(
        self, p: Params, account: ApiAccount, *, allow_test_extras: bool = False, check: bool = True
    ) -> tuple[OrderRequest, OrderResponseType]:
        """Parse and validate a new order exactly as Binance orders its checks."""
        symbol = self._symbol(p)
        side = p.enum("side", Side, -1117, "Invalid side.", required=True)
        otype = p.enum("type", OrderType, -1116, "Invalid orderType.", required=True)
        assert side is not None and otype is not None
        tif = p.enum("timeInForce", TimeInForce, -1115, "Invalid timeInForce.")
        quantity = p.decimal("quantity")
        quote_qty = p.decimal("quoteOrderQty")
        price = p.decimal("price")
        stop_price = p.decimal("stopPrice")
        trailing = p.integer("trailingDelta")
        iceberg = p.decimal("icebergQty")
        client_id = p.client_id("newClientOrderId")
        resp_type = p.enum(
            "newOrderRespType",
            OrderResponseType,
            -1100,
            "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.",
        )
        stp = p.enum(
            "selfTradePreventionMode",
            SelfTradePreventionMode,
            -1100,
            "Illegal characters found in parameter 'selfTradePreventionMode'; legal range is "
            "'NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH'.",
        )
        p.integer("strategyId")
        p.integer("strategyType")
        if allow_test_extras:
            p.boolean("computeCommissionRates")
        p.ensure_all_read()

        if otype is OrderType.MARKET:
            if quantity is None and quote_qty is None:
                raise ApiError(
                    -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
                )
            if quantity is not None and quote_qty is not None:
                raise ApiError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
            p.reject("timeInForce", "price", "icebergQty")
        else:
            if quote_qty is not None:
                raise not_required("quoteOrderQty")
            if quantity is None:
                raise mandatory("quantity")
        if otype in _NEEDS_TIF and tif is None:
            raise mandatory("timeInForce")
        if otype not in _NEEDS_TIF and tif is not None:
            raise not_required("timeInForce")
        if otype in _NEEDS_PRICE and price is None:
            raise mandatory("price")
        if otype not in _NEEDS_PRICE and price is not None:
            raise not_required("price")
        if otype in _NEEDS_STOP and stop_price is None and trailing is None:
            raise ApiError(
                -1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!"
            )
        if otype not in _NEEDS_STOP and (stop_price is not None or trailing is not None):
            raise not_required("stopPrice" if stop_price is not None else "trailingDelta")
        if iceberg is not None and otype not in _NEEDS_PRICE:
            raise not_required("icebergQty")
        if iceberg is not None and tif not in (None, TimeInForce.GTC):
            raise ApiError(-1130, "Data sent for parameter 'icebergQty' is not valid.")
        req = OrderRequest(
            symbol=symbol,
            side=side,
            type=otype,
            quantity=quantity,
            quote_order_qty=quote_qty,
            price=price,
            time_in_force=tif,
            stop_price=stop_price,
            trailing_delta=trailing,
            iceberg_qty=iceberg,
            client_order_id=client_id,
            stp_mode=stp or SelfTradePreventionMode.NONE,
        )
        if check:
            self._check_filters(account, req)
        default = (
            OrderResponseType.FULL if otype in (OrderType.MARKET, OrderType.LIMIT) else OrderResponseType.ACK
        )
        return req, resp_type or default

    def _check_filters(self, account: ApiAccount, req: OrderRequest) -> None:
        """Precision (-1111) then every symbol and exchange filter (-1013/-2010) through the
        shared rules module, so client and exchange cannot disagree."""
        checks.check_order(self.state, account.account, req)

    def _place(self, account: ApiAccount, req: OrderRequest) -> tuple[Order, list[Any], int]:
        self.state.limiter.charge_order(account.account)
        now = self._now()
        result = self._engine(lambda: self.state.engine.place(account.account, req, now))
        self.state.publish(result.events)
        return result.order, result.fills, now

    @staticmethod
    def _order_answer(order: Order, fills: list[Any], now: int, resp: OrderResponseType) -> dict[str, Any]:
        if resp is OrderResponseType.ACK:
            return views.order_ack(order, now)
        if resp is OrderResponseType.RESULT:
            return views.order_result(order, now)
        return views.order_full(order, now, fills)

    def new_order(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        req, resp = self._order_request(p, account)
        order, fills, now = self._place(account, req)
        return self._order_answer(order, fills, now, resp)

    def test_order(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        compute = p.raw("computeCommissionRates") in ("true", "TRUE", "True")
        self._order_request(p, account, allow_test_extras=True)
        if not compute:
            return {}
        maker, taker = self.state.engine.commissions(account.account)
        zero = views.dec(Decimal(0))
        return {
            "standardCommissionForOrder": {"maker": views.dec(maker), "taker": views.dec(taker)},
            "taxCommissionForOrder": {"maker": zero, "taker": zero},
            "discount": {
                "enabledForAccount": False,
                "enabledForSymbol": False,
                "discountAsset": "BNB",
                "discount": zero,
            },
        }

    def get_order(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        symbol = self._symbol(p)
        order_id, orig = self._order_ref(p)
        p.ensure_all_read()
        order = self._engine(
            lambda: self.state.engine.get_order(
                account.account, symbol, order_id=order_id, client_order_id=orig
            )
        )
        return views.order_query(order)

    def _cancel(
        self, account: ApiAccount, symbol: str, order_id: int | None, orig: str | None, new_id: str | None
    ) -> dict[str, Any]:
        now = self._now()
        order, events = self._engine(
            lambda: self.state.engine.cancel(
                account.account,
                symbol,
                order_id=order_id,
                client_order_id=orig,
                new_client_order_id=new_id,
                now_ms=now,
            )
        )
        self.state.publish(events)
        return views.order_canceled(order, new_id or _cancel_client_id(events, order), now)

    def cancel_order(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        symbol = self._symbol(p)
        order_id, orig = self._order_ref(p)
        new_id = p.client_id("newClientOrderId")
        p.mark_read("cancelRestrictions")
        p.ensure_all_read()
        return self._cancel(account, symbol, order_id, orig, new_id)

    def cancel_all(self, p: Params, account: ApiAccount | None) -> list[dict[str, Any]]:
        assert account is not None
        symbol = self._symbol(p)
        p.ensure_all_read()
        now = self._now()
        orders, events = self._engine(lambda: self.state.engine.cancel_all(account.account, symbol, now))
        self.state.publish(events)
        cancel_ids = {
            e.order.order_id: e.cancel_client_order_id
            for e in events
            if isinstance(e, ExecutionEvent) and e.cancel_client_order_id
        }
        return [views.order_canceled(o, cancel_ids.get(o.order_id, o.client_order_id), now) for o in orders]

    def cancel_replace(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        """Cancel then place; a partial failure is a 409 whose ``data`` carries both halves."""
        assert account is not None
        mode = p.require("cancelReplaceMode")
        if mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise ApiError(
                -1100,
                "Illegal characters found in parameter 'cancelReplaceMode'; legal range is "
                "'STOP_ON_FAILURE, ALLOW_FAILURE'.",
            )
        cancel_id = p.integer("cancelOrderId")
        cancel_orig = p.get("cancelOrigClientOrderId")
        cancel_new_id = p.client_id("cancelNewClientOrderId")
        p.mark_read("cancelRestrictions", "orderRateLimitExceededMode")
        if cancel_id is None and cancel_orig is None:
            raise ApiError(
                -1102,
                "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were empty/null!",
            )
        req, resp = self._order_request(p, account, check=False)
        try:
            self._check_filters(account, req)
        except ApiError as exc:
            return self._cancel_only(account, req.symbol, (cancel_id, cancel_orig, cancel_new_id), exc)
        self.state.limiter.charge_order(account.account)
        now = self._now()
        result = self._engine(
            lambda: self.state.engine.cancel_replace(
                account.account,
                req.symbol,
                cancel_order_id=cancel_id,
                cancel_orig_client_order_id=cancel_orig,
                new=req,
                mode=mode,
                now_ms=now,
                cancel_new_client_order_id=cancel_new_id,
            )
        )
        self.state.publish(result.events)
        cancel_body: dict[str, Any] | None = None
        if result.cancel_order is not None:
            cancel_body = views.order_canceled(
                result.cancel_order, _cancel_client_id(result.events, result.cancel_order), now
            )
        new_body: dict[str, Any] | None = None
        if result.new_result is not None:
            new_body = self._order_answer(result.new_result.order, result.new_result.fills, now, resp)
        if result.ok:
            return {
                "cancelResult": "SUCCESS",
                "newOrderResult": "SUCCESS",
                "cancelResponse": cancel_body,
                "newOrderResponse": new_body,
            }
        new_err = ApiError(result.new_error.code, result.new_error.msg) if result.new_error else None
        cancel_err = (
            ApiError(result.cancel_error.code, result.cancel_error.msg) if result.cancel_error else None
        )
        raise _replace_failure(cancel_body, cancel_err, new_body, new_err, result.new_attempted)

    def _cancel_only(
        self,
        account: ApiAccount,
        symbol: str,
        ref: tuple[int | None, str | None, str | None],
        new_err: ApiError,
    ) -> dict[str, Any]:
        """cancelReplace whose new order fails the filters: the cancel still happens."""
        try:
            cancel_body = self._cancel(account, symbol, *ref)
        except ApiError as cancel_err:
            raise _replace_failure(None, cancel_err, None, new_err, True) from None
        raise _replace_failure(cancel_body, None, None, new_err, True)

    def open_orders(self, p: Params, account: ApiAccount | None) -> list[dict[str, Any]]:
        assert account is not None
        symbol = self._opt_symbol(p)
        p.ensure_all_read()
        return [views.order_query(o) for o in self.state.engine.open_orders(account.account, symbol)]

    def all_orders(self, p: Params, account: ApiAccount | None) -> list[dict[str, Any]]:
        assert account is not None
        symbol = self._symbol(p)
        order_id = p.integer("orderId")
        start, end = p.integer("startTime"), p.integer("endTime")
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        orders = self.state.engine.all_orders(
            account.account, symbol, order_id=order_id, start_time=start, end_time=end, limit=limit
        )
        return [views.order_query(o) for o in orders]

    def my_trades(self, p: Params, account: ApiAccount | None) -> list[dict[str, Any]]:
        assert account is not None
        symbol = self._symbol(p)
        order_id = p.integer("orderId")
        from_id = p.integer("fromId")
        start, end = p.integer("startTime"), p.integer("endTime")
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        if from_id is not None and (start is not None or end is not None):
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        fills = self.state.engine.my_trades(
            account.account,
            symbol,
            from_id=from_id,
            start_time=start,
            end_time=end,
            limit=limit,
            order_id=order_id,
        )
        return [views.my_trade(f) for f in fills]

    # ------------------------------------------------------------------ order lists (OCO)

    def new_oco(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        """POST /api/v3/order/oco (legacy parameter names)."""
        return self._oco(p, account, above_below=False)

    def new_order_list_oco(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        """POST /api/v3/orderList/oco: only the classic LIMIT_MAKER + STOP_LOSS(_LIMIT) shape."""
        return self._oco(p, account, above_below=True)

    def _oco(self, p: Params, account: ApiAccount | None, *, above_below: bool) -> dict[str, Any]:
        assert account is not None
        symbol = self._symbol(p)
        side = p.enum("side", Side, -1117, "Invalid side.", required=True)
        assert side is not None
        quantity = p.req_decimal("quantity")
        list_id = p.client_id("listClientOrderId")
        if above_below:
            price, stop_price, stop_limit_price, stop_tif, limit_id, stop_id = self._above_below(p, side)
        else:
            limit_id = p.client_id("limitClientOrderId")
            stop_id = p.client_id("stopClientOrderId")
            price = p.req_decimal("price")
            stop_price = p.req_decimal("stopPrice")
            stop_limit_price = p.decimal("stopLimitPrice")
            stop_tif = p.enum("stopLimitTimeInForce", TimeInForce, -1115, "Invalid timeInForce.")
            p.decimal("limitIcebergQty")
            p.decimal("stopIcebergQty")
        p.mark_read(
            "newOrderRespType",
            "selfTradePreventionMode",
            "limitStrategyId",
            "limitStrategyType",
            "stopStrategyId",
            "stopStrategyType",
            "trailingDelta",
        )
        p.ensure_all_read()
        if stop_limit_price is not None and stop_tif is None:
            raise mandatory("stopLimitTimeInForce")
        for leg in (
            OrderRequest(symbol, side, OrderType.LIMIT_MAKER, quantity=quantity, price=price),
            OrderRequest(
                symbol,
                side,
                OrderType.STOP_LOSS_LIMIT if stop_limit_price is not None else OrderType.STOP_LOSS,
                quantity=quantity,
                price=stop_limit_price,
                stop_price=stop_price,
                time_in_force=stop_tif,
            ),
        ):
            self._check_filters(account, leg)
        self.state.limiter.charge_order(account.account)
        now = self._now()
        ol, orders, events = self._engine(
            lambda: self.state.engine.place_oco(
                account.account,
                symbol=symbol,
                side=side,
                quantity=quantity,
                price=price,
                stop_price=stop_price,
                stop_limit_price=stop_limit_price,
                stop_limit_time_in_force=stop_tif,
                list_client_order_id=list_id,
                limit_client_order_id=limit_id,
                stop_client_order_id=stop_id,
                now_ms=now,
            )
        )
        self.state.publish(events)
        return views.order_list(ol, orders, [views.order_result(o, now) for o in orders])

    @staticmethod
    def _above_below(
        p: Params, side: Side
    ) -> tuple[Decimal, Decimal, Decimal | None, TimeInForce | None, str | None, str | None]:
        """Map orderList/oco's above/below legs onto the classic limit + stop pair."""
        above_type = p.require("aboveType")
        below_type = p.require("belowType")
        limit_leg, stop_leg = ("above", "below") if side is Side.SELL else ("below", "above")
        limit_type = above_type if limit_leg == "above" else below_type
        stop_type = below_type if limit_leg == "above" else above_type
        if limit_type != "LIMIT_MAKER" or stop_type not in ("STOP_LOSS", "STOP_LOSS_LIMIT"):
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        price = p.req_decimal(f"{limit_leg}Price")
        stop_price = p.req_decimal(f"{stop_leg}StopPrice")
        stop_limit_price = p.decimal(f"{stop_leg}Price")
        stop_tif = p.enum(f"{stop_leg}TimeInForce", TimeInForce, -1115, "Invalid timeInForce.")
        limit_id = p.client_id(f"{limit_leg}ClientOrderId")
        stop_id = p.client_id(f"{stop_leg}ClientOrderId")
        p.mark_read(
            f"{limit_leg}IcebergQty",
            f"{stop_leg}IcebergQty",
            f"{limit_leg}StopPrice",
            f"{limit_leg}TimeInForce",
            f"{limit_leg}StrategyId",
            f"{stop_leg}StrategyId",
            f"{limit_leg}StrategyType",
            f"{stop_leg}StrategyType",
            f"{stop_leg}TrailingDelta",
            f"{limit_leg}TrailingDelta",
            "newOrderRespType",
            "selfTradePreventionMode",
        )
        return price, stop_price, stop_limit_price, stop_tif, limit_id, stop_id

    def _list_lookup(self, account: ApiAccount, p: Params) -> Any:
        list_id = p.integer("orderListId")
        orig = p.get("origClientOrderId") or p.get("listClientOrderId")
        if list_id is None and orig is None:
            raise ApiError(
                -1102, "Param 'origClientOrderId' or 'orderListId' must be sent, but both were empty/null!"
            )
        return list_id, orig

    def get_order_list(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        list_id, orig = self._list_lookup(account, p)
        p.ensure_all_read()
        ol, orders = self._engine(
            lambda: self.state.engine.get_order_list(
                account.account, order_list_id=list_id, list_client_order_id=orig
            )
        )
        return views.order_list(ol, orders)

    def cancel_order_list(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        symbol = self._symbol(p)
        list_id, orig = self._list_lookup(account, p)
        new_id = p.client_id("newClientOrderId")
        p.ensure_all_read()
        now = self._now()
        ol, orders, events = self._engine(
            lambda: self.state.engine.cancel_order_list(
                account.account,
                symbol,
                order_list_id=list_id,
                list_client_order_id=orig,
                new_client_order_id=new_id,
                now_ms=now,
            )
        )
        self.state.publish(events)
        return views.order_list(ol, orders, [views.order_canceled(o, o.client_order_id, now) for o in orders])

    def all_order_lists(self, p: Params, account: ApiAccount | None) -> list[dict[str, Any]]:
        assert account is not None
        p.integer("fromId")
        p.integer("startTime")
        p.integer("endTime")
        self._limit(p, 500, 1000)
        p.ensure_all_read()
        return self._lists(account, open_only=False)

    def open_order_lists(self, p: Params, account: ApiAccount | None) -> list[dict[str, Any]]:
        assert account is not None
        p.ensure_all_read()
        return self._lists(account, open_only=True)

    def _lists(self, account: ApiAccount, *, open_only: bool) -> list[dict[str, Any]]:
        engine = self.state.engine
        out = []
        for summary in engine.order_lists(account.account, open_only=open_only):
            ol, orders = engine.get_order_list(account.account, order_list_id=summary.order_list_id)
            out.append(views.order_list(ol, orders))
        return out

    # ------------------------------------------------------------------ account

    def account(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        omit_zero = p.boolean("omitZeroBalances") or False
        p.ensure_all_read()
        maker, taker = self.state.engine.commissions(account.account)
        balances = [
            {"asset": asset, "free": views.dec(b.free), "locked": views.dec(b.locked)}
            for asset, b in sorted(self.state.engine.balances(account.account).items())
            if not omit_zero or b.free or b.locked
        ]
        perms = account.permissions
        return {
            "makerCommission": int(maker * 10_000),
            "takerCommission": int(taker * 10_000),
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": views.dec(maker),
                "taker": views.dec(taker),
                "buyer": views.dec(Decimal(0)),
                "seller": views.dec(Decimal(0)),
            },
            "canTrade": perms.enable_spot_trading,
            "canWithdraw": perms.enable_withdrawals,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": self._now(),
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": _uid(account.account),
        }

    def rate_limit_order(self, p: Params, account: ApiAccount | None) -> list[dict[str, object]]:
        assert account is not None
        p.ensure_all_read()
        return self.state.limiter.order_usage_json(account.account)

    # ------------------------------------------------------------------ wallet (sapi)

    def system_status(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        if self.state.faults.maintenance:
            return {"status": 1, "msg": "system_maintenance"}
        return {"status": 0, "msg": "normal"}

    def account_status(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        return {"data": "Normal"}

    def api_trading_status(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        return {
            "data": {
                "isLocked": False,
                "plannedRecoverTime": 0,
                "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
                "updateTime": 0,
            }
        }

    def api_restrictions(self, p: Params, account: ApiAccount | None) -> dict[str, Any]:
        assert account is not None
        p.ensure_all_read()
        perms = account.permissions
        return {
            "ipRestrict": perms.ip_restrict,
            "createTime": perms.create_time,
            "enableReading": perms.enable_reading,
            "enableSpotAndMarginTrading": perms.enable_spot_trading,
            "enableWithdrawals": perms.enable_withdrawals,
            "enableInternalTransfer": perms.enable_internal_transfer,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": perms.enable_internal_transfer,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enablePortfolioMarginTrading": False,
        }


def _cancel_client_id(events: list[Any], order: Order) -> str:
    """The client id the engine gave the cancel itself (Binance answers it as clientOrderId)."""
    for e in events:
        if isinstance(e, ExecutionEvent) and e.order.order_id == order.order_id and e.cancel_client_order_id:
            return e.cancel_client_order_id
    return order.client_order_id


def _replace_failure(
    cancel_body: dict[str, Any] | None,
    cancel_err: ApiError | None,
    new_body: dict[str, Any] | None,
    new_err: ApiError | None,
    new_attempted: bool,
) -> ApiError:
    """Binance's answer to a cancelReplace that did not fully succeed: -2022 (400) when
    nothing happened, -2021 (409) when one half did; ``data`` carries both halves."""
    data = {
        "cancelResult": "SUCCESS" if cancel_body is not None else "FAILURE",
        "newOrderResult": "SUCCESS"
        if new_body is not None
        else ("FAILURE" if new_attempted else "NOT_ATTEMPTED"),
        "cancelResponse": cancel_body if cancel_body is not None else _err_body(cancel_err),
        "newOrderResponse": new_body if new_body is not None else _err_body(new_err),
    }
    if cancel_body is None and new_body is None:
        return ApiError(-2022, "Order cancel-replace failed.", 400, data=data)
    return ApiError(-2021, "Order cancel-replace partially failed.", 409, data=data)


def _err_body(err: ApiError | None) -> dict[str, Any] | None:
    return None if err is None else {"code": err.code, "msg": err.msg}


def _symbol_list(raw: str) -> list[str] | None:
    """A JSON array of well-formed symbols (spaces between items allowed), or None."""
    try:
        names = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) and is_symbol(n) for n in names):
        return None
    return names


def _permissions_of(info: dict[str, Any]) -> list[str]:
    perms = info.get("permissions") or []
    for group in info.get("permissionSets") or []:
        perms = [*perms, *group]
    return [str(x) for x in perms]


def _uid(account: str) -> int:
    return int.from_bytes(account.encode()[:6].ljust(6, b"\0"), "big") % 1_000_000_000
