"""Typed calls of the Spot API, grouped as Binance's reference groups them: general, market
data, trading, account.

Every argument is checked before anything is sent (see ``params.py``); new orders are, by
default, also checked against the symbol's exchange rules, fetched once and cached, so an
order Binance would refuse for a filter never costs a request or an order-count slot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

import msgspec

from tradeexec.binance.api import RecvWindow, RestApi, decoder_for
from tradeexec.binance.enums import (
    KlineInterval,
    OrderResponseType,
    OrderType,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
)
from tradeexec.binance.models import (
    Account,
    AggTrade,
    AvgPrice,
    BookTicker,
    CancelReplaceResponse,
    ExchangeInfo,
    Kline,
    MyTrade,
    Order,
    OrderAck,
    OrderBook,
    OrderFull,
    OrderList,
    OrderReport,
    RateLimitOrderCount,
    RollingTicker,
    ServerTime,
    TestOrderResponse,
    Ticker24hr,
    TickerPrice,
    Trade,
    decode_cancel_open_orders,
)
from tradeexec.binance.rest.params import (
    ORDER_ID_MAX,
    Number,
    check_client_id,
    check_decimal,
    check_enum,
    check_int,
    check_symbol,
)
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.order_check import NO_MARKET, MarketContext, OrderCheck
from tradeexec.errors import InvalidParameter

__all__ = ["OrderArgs", "SpotApi", "order_args"]

_GET, _POST, _DELETE = "GET", "POST", "DELETE"
_info_decoder = msgspec.json.Decoder(ExchangeInfo)
_raw_decoder = msgspec.json.Decoder(dict[str, Any])
# The order path's decoders, looked up once rather than per call.
_DECODE_ACK = decoder_for(OrderAck)
_DECODE_FULL = decoder_for(OrderFull)
_DECODE_REPORT = decoder_for(OrderReport)

# What each order type needs and refuses (Spot reference, "Other info" of POST /api/v3/order).
_NEEDS_TIF: Final = frozenset({OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT})
_NEEDS_PRICE: Final = _NEEDS_TIF | {OrderType.LIMIT_MAKER}
_NEEDS_STOP: Final = frozenset(
    {OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT}
)


class OrderArgs(msgspec.Struct, frozen=True):
    """An order's checked wire parameters and the same order as the rules see it."""

    params: dict[str, object]
    check: OrderCheck


def _decimal(field: str, value: Number | None) -> Decimal | None:
    return None if value is None else check_decimal(field, value)


def order_args(
    symbol: str,
    side: Side | str,
    type: OrderType | str,
    *,
    quantity: Number | None = None,
    quote_order_qty: Number | None = None,
    price: Number | None = None,
    time_in_force: TimeInForce | str | None = None,
    stop_price: Number | None = None,
    trailing_delta: int | None = None,
    iceberg_qty: Number | None = None,
    new_client_order_id: str | None = None,
    new_order_resp_type: OrderResponseType | str | None = None,
    self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
) -> OrderArgs:
    """Check a new order's arguments and build its parameters: each number positive and
    exact, each mandatory parameter of the order type present, none it refuses sent.

    Every order passes here, so the parameters hold only what was given (an absent field
    costs one comparison) and each value is checked once."""
    symbol = check_symbol(symbol)
    side = check_enum("side", side, Side)
    kind = check_enum("type", type, OrderType)
    params: dict[str, object] = {"symbol": symbol, "side": side, "type": kind}
    tif = qty = quote_qty = px = stop = iceberg = delta = None
    if time_in_force is not None:
        tif = params["timeInForce"] = check_enum("timeInForce", time_in_force, TimeInForce)
    if quantity is not None:
        qty = params["quantity"] = check_decimal("quantity", quantity)
    if quote_order_qty is not None:
        quote_qty = params["quoteOrderQty"] = check_decimal("quoteOrderQty", quote_order_qty)
    if price is not None:
        px = params["price"] = check_decimal("price", price)
    if new_client_order_id is not None:
        params["newClientOrderId"] = check_client_id("newClientOrderId", new_client_order_id)
    if stop_price is not None:
        stop = params["stopPrice"] = check_decimal("stopPrice", stop_price)
    if trailing_delta is not None:
        delta = params["trailingDelta"] = check_int("trailingDelta", trailing_delta, 1)
    if iceberg_qty is not None:
        iceberg = params["icebergQty"] = check_decimal("icebergQty", iceberg_qty)
    if new_order_resp_type is not None:
        params["newOrderRespType"] = check_enum("newOrderRespType", new_order_resp_type, OrderResponseType)
    if self_trade_prevention_mode is not None:
        params["selfTradePreventionMode"] = check_enum(
            "selfTradePreventionMode", self_trade_prevention_mode, SelfTradePreventionMode
        )
    check = OrderCheck(
        symbol, side, kind, quantity=qty, quote_order_qty=quote_qty, price=px, stop_price=stop,
        iceberg_qty=iceberg, trailing_delta=delta, time_in_force=tif,
    )  # fmt: skip
    _check_shape(check)
    return OrderArgs(params, check)


def _check_shape(order: OrderCheck) -> None:
    """Each mandatory parameter of the order type present, none it refuses sent."""
    kind, qty, tif, px = order.type, order.quantity, order.time_in_force, order.price
    if kind is OrderType.MARKET:
        if (qty is None) == (order.quote_order_qty is None):
            raise InvalidParameter(
                "quantity", "MARKET orders need exactly one of quantity or quoteOrderQty", ""
            )
    elif qty is None:
        raise _missing("quantity", kind)
    elif order.quote_order_qty is not None:
        raise _refused("quoteOrderQty", kind)
    if (tif is None) is (kind in _NEEDS_TIF):
        raise _missing("timeInForce", kind) if tif is None else _refused("timeInForce", kind)
    if (px is None) is (kind in _NEEDS_PRICE):
        raise _missing("price", kind) if px is None else _refused("price", kind)
    if kind in _NEEDS_STOP:
        if order.stop_price is None and order.trailing_delta is None:
            raise InvalidParameter(
                "stopPrice", f"{kind.value} orders need stopPrice or trailingDelta", "missing"
            )
    elif order.stop_price is not None:
        raise _refused("stopPrice", kind)
    elif order.trailing_delta is not None:
        raise _refused("trailingDelta", kind)


def _missing(field: str, kind: OrderType) -> InvalidParameter:
    return InvalidParameter(field, f"mandatory for {kind.value} orders", "missing")


def _refused(field: str, kind: OrderType) -> InvalidParameter:
    return InvalidParameter(field, f"not accepted for {kind.value} orders", "sent when not required")


def _client_id(field: str, value: str | None) -> str | None:
    return None if value is None else check_client_id(field, value)


def _order_id(field: str, value: int | None) -> int | None:
    return None if value is None else check_int(field, value, 0, ORDER_ID_MAX)


def _limit(value: int | None, high: int) -> int | None:
    return None if value is None else check_int("limit", value, 1, high)


def _time(field: str, value: int | None) -> int | None:
    return None if value is None else check_int(field, value, 0)


def _symbols(symbols: Sequence[str]) -> list[str]:
    if isinstance(symbols, str) or not symbols:
        raise InvalidParameter("symbols", "must be a non-empty list of symbols", repr(symbols))
    return [check_symbol(s, "symbols") for s in symbols]


class SpotApi(RestApi):
    """Spot general, market data, trading and account calls. The exchangeInfo cache lives
    here because order validation reads it."""

    exchange_info_ttl: float = 300.0
    _info_cache: tuple[float, ExchangeInfo, ExchangeRules] | None = None
    _info_lock: asyncio.Lock | None = None

    # ---------------------------------------------------------------- general

    async def ping(self) -> None:
        await self.request(_GET, "/api/v3/ping")

    async def server_time(self) -> ServerTime:
        return await self.request(_GET, "/api/v3/time", model=ServerTime)

    async def exchange_info(
        self,
        symbol: str | None = None,
        *,
        symbols: Sequence[str] | None = None,
        permissions: Sequence[str] | None = None,
        refresh: bool = False,
    ) -> ExchangeInfo:
        """The whole exchangeInfo is cached for ``exchange_info_ttl`` seconds and its rate
        limits adopted; a filtered answer (symbol, symbols, permissions) is never cached."""
        if symbol is not None or symbols is not None or permissions is not None:
            params = {
                "symbol": None if symbol is None else check_symbol(symbol),
                "symbols": None if symbols is None else _symbols(symbols),
                "permissions": None if permissions is None else list(permissions),
            }
            return await self.request(_GET, "/api/v3/exchangeInfo", params, model=ExchangeInfo)
        return (await self._load_exchange_info(refresh))[0]

    async def rules(self, *, refresh: bool = False) -> ExchangeRules:
        """The exchange rules of the cached exchangeInfo, for validation and rounding."""
        return (await self._load_exchange_info(refresh))[1]

    def cached_rules(self) -> ExchangeRules | None:
        """The rules if exchangeInfo was loaded (even if stale), without any request."""
        return None if self._info_cache is None else self._info_cache[2]

    async def _load_exchange_info(self, refresh: bool) -> tuple[ExchangeInfo, ExchangeRules]:
        if self._info_lock is None:
            self._info_lock = asyncio.Lock()
        async with self._info_lock:
            cache = self._info_cache
            if cache is None or refresh or time.monotonic() - cache[0] > self.exchange_info_ttl:
                info, raw = await self._call(_GET, "/api/v3/exchangeInfo", None, _decode_info, None)
                cache = (time.monotonic(), info, ExchangeRules.from_exchange_info(raw))
                self._info_cache = cache
                if info.rate_limits:
                    self._use_rate_limits("api", info.rate_limits)
            return cache[1], cache[2]

    def _symbol(self, symbol: str) -> str:
        """A well-formed symbol, and a listed one when exchangeInfo is loaded."""
        check_symbol(symbol)
        rules = self.cached_rules()
        if rules is not None and symbol not in rules:
            raise InvalidParameter("symbol", "unknown symbol", f"{symbol!r} is not in exchangeInfo")
        return symbol

    # ---------------------------------------------------------------- market data

    async def depth(self, symbol: str, limit: int | None = None) -> OrderBook:
        params = {"symbol": self._symbol(symbol), "limit": _limit(limit, 5000)}
        return await self.request(_GET, "/api/v3/depth", params, model=OrderBook)

    async def recent_trades(self, symbol: str, limit: int | None = None) -> list[Trade]:
        params = {"symbol": self._symbol(symbol), "limit": _limit(limit, 1000)}
        return await self.request(_GET, "/api/v3/trades", params, model=list[Trade])

    async def historical_trades(
        self, symbol: str, limit: int | None = None, from_id: int | None = None
    ) -> list[Trade]:
        params = {
            "symbol": self._symbol(symbol),
            "limit": _limit(limit, 1000),
            "fromId": _time("fromId", from_id),
        }
        return await self.request(_GET, "/api/v3/historicalTrades", params, model=list[Trade])

    async def agg_trades(
        self,
        symbol: str,
        *,
        from_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[AggTrade]:
        params = {
            "symbol": self._symbol(symbol),
            "fromId": _time("fromId", from_id),
            "startTime": _time("startTime", start_time),
            "endTime": _time("endTime", end_time),
            "limit": _limit(limit, 1000),
        }
        return await self.request(_GET, "/api/v3/aggTrades", params, model=list[AggTrade])

    async def klines(
        self,
        symbol: str,
        interval: KlineInterval | str,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        time_zone: str | None = None,
    ) -> list[Kline]:
        return await self._klines(
            "/api/v3/klines",
            symbol=symbol,
            interval=interval,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
            time_zone=time_zone,
        )

    async def ui_klines(
        self,
        symbol: str,
        interval: KlineInterval | str,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        time_zone: str | None = None,
    ) -> list[Kline]:
        """Klines modified for presentation of candlestick charts (``/api/v3/uiKlines``)."""
        return await self._klines(
            "/api/v3/uiKlines",
            symbol=symbol,
            interval=interval,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
            time_zone=time_zone,
        )

    async def _klines(
        self,
        path: str,
        *,
        symbol: str,
        interval: KlineInterval | str,
        start_time: int | None,
        end_time: int | None,
        limit: int | None,
        time_zone: str | None,
    ) -> list[Kline]:
        params = {
            "symbol": self._symbol(symbol),
            "interval": check_enum("interval", interval, KlineInterval),
            "startTime": _time("startTime", start_time),
            "endTime": _time("endTime", end_time),
            "limit": _limit(limit, 1000),
            "timeZone": time_zone,
        }
        return await self.request(_GET, path, params, model=list[Kline])

    async def avg_price(self, symbol: str) -> AvgPrice:
        return await self.request(_GET, "/api/v3/avgPrice", {"symbol": self._symbol(symbol)}, model=AvgPrice)

    async def ticker_24hr(self, symbol: str) -> Ticker24hr:
        params = {"symbol": self._symbol(symbol)}
        return await self.request(_GET, "/api/v3/ticker/24hr", params, model=Ticker24hr)

    async def tickers_24hr(self, symbols: Sequence[str] | None = None) -> list[Ticker24hr]:
        """Several symbols, or all without ``symbols`` (weight grows with the count)."""
        params = {"symbols": None if symbols is None else _symbols(symbols)}
        return await self.request(_GET, "/api/v3/ticker/24hr", params, model=list[Ticker24hr])

    async def ticker_price(self, symbol: str) -> TickerPrice:
        params = {"symbol": self._symbol(symbol)}
        return await self.request(_GET, "/api/v3/ticker/price", params, model=TickerPrice)

    async def ticker_prices(self, symbols: Sequence[str] | None = None) -> list[TickerPrice]:
        params = {"symbols": None if symbols is None else _symbols(symbols)}
        return await self.request(_GET, "/api/v3/ticker/price", params, model=list[TickerPrice])

    async def book_ticker(self, symbol: str) -> BookTicker:
        params = {"symbol": self._symbol(symbol)}
        return await self.request(_GET, "/api/v3/ticker/bookTicker", params, model=BookTicker)

    async def book_tickers(self, symbols: Sequence[str] | None = None) -> list[BookTicker]:
        params = {"symbols": None if symbols is None else _symbols(symbols)}
        return await self.request(_GET, "/api/v3/ticker/bookTicker", params, model=list[BookTicker])

    async def rolling_ticker(self, symbol: str, window_size: str | None = None) -> RollingTicker:
        """Rolling-window statistics (``/api/v3/ticker``), ``window_size`` like "1d" or "15m"."""
        params = {"symbol": self._symbol(symbol), "windowSize": window_size}
        return await self.request(_GET, "/api/v3/ticker", params, model=RollingTicker)

    async def rolling_tickers(
        self, symbols: Sequence[str], window_size: str | None = None
    ) -> list[RollingTicker]:
        params = {"symbols": _symbols(symbols), "windowSize": window_size}
        return await self.request(_GET, "/api/v3/ticker", params, model=list[RollingTicker])

    # ---------------------------------------------------------------- trading

    async def new_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        quantity: Number | None = None,
        quote_order_qty: Number | None = None,
        price: Number | None = None,
        time_in_force: TimeInForce | str | None = None,
        stop_price: Number | None = None,
        trailing_delta: int | None = None,
        iceberg_qty: Number | None = None,
        new_client_order_id: str | None = None,
        new_order_resp_type: OrderResponseType | str = OrderResponseType.FULL,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: RecvWindow = None,
        validate: bool = True,
        market: MarketContext | None = None,
    ) -> OrderAck | OrderFull:
        """Place an order. ``validate`` checks it first against the symbol's filters
        (``market`` supplies the live figures some filters need; without it those checks
        are skipped) and raises ``OrderRejectedLocally`` instead of sending. A timeout, 5xx
        or -1007 raises ``OrderStatusUnknown``: look the order up, do not resend it. An ACK
        answer decodes as ``OrderAck``, RESULT and FULL as ``OrderFull``."""
        args = order_args(
            symbol,
            side,
            type,
            quantity=quantity,
            quote_order_qty=quote_order_qty,
            price=price,
            time_in_force=time_in_force,
            stop_price=stop_price,
            trailing_delta=trailing_delta,
            iceberg_qty=iceberg_qty,
            new_client_order_id=new_client_order_id,
            new_order_resp_type=new_order_resp_type,
            self_trade_prevention_mode=self_trade_prevention_mode,
        )
        await self._validate(args, validate, market)
        params = args.params
        decode = _DECODE_ACK if params.get("newOrderRespType") == OrderResponseType.ACK else _DECODE_FULL
        return await self._call(_POST, "/api/v3/order", params, decode, recv_window)

    async def test_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        quantity: Number | None = None,
        quote_order_qty: Number | None = None,
        price: Number | None = None,
        time_in_force: TimeInForce | str | None = None,
        stop_price: Number | None = None,
        trailing_delta: int | None = None,
        iceberg_qty: Number | None = None,
        compute_commission_rates: bool = False,
        recv_window: RecvWindow = None,
        validate: bool = True,
        market: MarketContext | None = None,
    ) -> TestOrderResponse:
        """``POST /api/v3/order/test``: Binance checks the order without placing it."""
        args = order_args(
            symbol,
            side,
            type,
            quantity=quantity,
            quote_order_qty=quote_order_qty,
            price=price,
            time_in_force=time_in_force,
            stop_price=stop_price,
            trailing_delta=trailing_delta,
            iceberg_qty=iceberg_qty,
        )
        if not isinstance(compute_commission_rates, bool):
            raise InvalidParameter("computeCommissionRates", "must be a bool", repr(compute_commission_rates))
        await self._validate(args, validate, market)
        params = {**args.params, "computeCommissionRates": compute_commission_rates or None}
        return await self.request(
            _POST, "/api/v3/order/test", params, model=TestOrderResponse, recv_window=recv_window
        )

    async def _validate(self, args: OrderArgs, validate: bool, market: MarketContext | None) -> None:
        if validate:
            rules = self._fresh_rules()
            if rules is None:
                rules = await self.rules()
            rules.validate(args.check, market or NO_MARKET)
        else:
            self._symbol(args.check.symbol)

    def _fresh_rules(self) -> ExchangeRules | None:
        """The cached rules while they are fresh: every order reads them, and reading needs
        no lock (only a reload does)."""
        cache = self._info_cache
        if cache is not None and time.monotonic() - cache[0] <= self.exchange_info_ttl:
            return cache[2]
        return None

    async def get_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> Order:
        params = _one_order(self._symbol(symbol), order_id, orig_client_order_id)
        return await self.request(_GET, "/api/v3/order", params, model=Order, recv_window=recv_window)

    async def cancel_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        new_client_order_id: str | None = None,
        cancel_restrictions: str | None = None,
        recv_window: RecvWindow = None,
    ) -> OrderReport:
        params = {
            **_one_order(self._symbol(symbol), order_id, orig_client_order_id),
            "newClientOrderId": _client_id("newClientOrderId", new_client_order_id),
            "cancelRestrictions": cancel_restrictions,
        }
        if cancel_restrictions not in (None, "ONLY_NEW", "ONLY_PARTIALLY_FILLED"):
            raise InvalidParameter(
                "cancelRestrictions", "must be ONLY_NEW or ONLY_PARTIALLY_FILLED", repr(cancel_restrictions)
            )
        return await self._call(_DELETE, "/api/v3/order", params, _DECODE_REPORT, recv_window)

    async def cancel_all_orders(
        self, symbol: str, *, recv_window: RecvWindow = None
    ) -> list[OrderReport | OrderList]:
        """Cancel every open order and order list on ``symbol``."""
        params = {"symbol": self._symbol(symbol)}
        return await self._call(_DELETE, "/api/v3/openOrders", params, decode_cancel_open_orders, recv_window)

    async def cancel_replace(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        cancel_order_id: int | None = None,
        cancel_orig_client_order_id: str | None = None,
        cancel_new_client_order_id: str | None = None,
        cancel_replace_mode: str = "STOP_ON_FAILURE",
        quantity: Number | None = None,
        quote_order_qty: Number | None = None,
        price: Number | None = None,
        time_in_force: TimeInForce | str | None = None,
        stop_price: Number | None = None,
        trailing_delta: int | None = None,
        iceberg_qty: Number | None = None,
        new_client_order_id: str | None = None,
        new_order_resp_type: OrderResponseType | str = OrderResponseType.FULL,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: RecvWindow = None,
        validate: bool = True,
        market: MarketContext | None = None,
    ) -> CancelReplaceResponse:
        """Cancel an order and place a new one in one request. A half success answers 409
        (``CancelReplacePartialSuccess``)."""
        if cancel_replace_mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise InvalidParameter(
                "cancelReplaceMode", "must be STOP_ON_FAILURE or ALLOW_FAILURE", cancel_replace_mode
            )
        if new_order_resp_type == OrderResponseType.ACK:
            raise InvalidParameter("newOrderRespType", "must be RESULT or FULL here", "ACK")
        args = order_args(
            symbol,
            side,
            type,
            quantity=quantity,
            quote_order_qty=quote_order_qty,
            price=price,
            time_in_force=time_in_force,
            stop_price=stop_price,
            trailing_delta=trailing_delta,
            iceberg_qty=iceberg_qty,
            new_client_order_id=new_client_order_id,
            new_order_resp_type=new_order_resp_type,
            self_trade_prevention_mode=self_trade_prevention_mode,
        )
        if (cancel_order_id is None) == (cancel_orig_client_order_id is None):
            raise InvalidParameter(
                "cancelOrderId", "give exactly one of cancelOrderId or cancelOrigClientOrderId", ""
            )
        await self._validate(args, validate, market)
        params = {
            **args.params,
            "cancelReplaceMode": cancel_replace_mode,
            "cancelOrderId": _order_id("cancelOrderId", cancel_order_id),
            "cancelOrigClientOrderId": _client_id("cancelOrigClientOrderId", cancel_orig_client_order_id),
            "cancelNewClientOrderId": _client_id("cancelNewClientOrderId", cancel_new_client_order_id),
        }
        return await self.request(
            _POST, "/api/v3/order/cancelReplace", params, model=CancelReplaceResponse, recv_window=recv_window
        )

    async def open_orders(self, symbol: str | None = None, *, recv_window: RecvWindow = None) -> list[Order]:
        params = {"symbol": None if symbol is None else self._symbol(symbol)}
        return await self.request(
            _GET, "/api/v3/openOrders", params, model=list[Order], recv_window=recv_window
        )

    async def all_orders(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[Order]:
        params = {
            "symbol": self._symbol(symbol),
            "orderId": _time("orderId", order_id),
            "startTime": _time("startTime", start_time),
            "endTime": _time("endTime", end_time),
            "limit": _limit(limit, 1000),
        }
        return await self.request(
            _GET, "/api/v3/allOrders", params, model=list[Order], recv_window=recv_window
        )

    async def new_oco(
        self,
        symbol: str,
        side: Side | str,
        quantity: Number,
        price: Number,
        stop_price: Number,
        *,
        stop_limit_price: Number | None = None,
        stop_limit_time_in_force: TimeInForce | str | None = None,
        list_client_order_id: str | None = None,
        limit_client_order_id: str | None = None,
        stop_client_order_id: str | None = None,
        limit_iceberg_qty: Number | None = None,
        stop_iceberg_qty: Number | None = None,
        new_order_resp_type: OrderResponseType | str = OrderResponseType.FULL,
        self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
        recv_window: RecvWindow = None,
        validate: bool = True,
        market: MarketContext | None = None,
    ) -> OrderList:
        """An OCO pair (``POST /api/v3/order/oco``): a LIMIT_MAKER at ``price`` and a stop at
        ``stop_price`` (STOP_LOSS_LIMIT when ``stop_limit_price`` is given). ``validate``
        checks both legs against the symbol's filters first, as ``new_order`` does."""
        limit_price = _decimal("stopLimitPrice", stop_limit_price)
        tif = (
            None
            if stop_limit_time_in_force is None
            else check_enum("stopLimitTimeInForce", stop_limit_time_in_force, TimeInForce)
        )
        if (limit_price is None) != (tif is None):
            raise InvalidParameter(
                "stopLimitTimeInForce",
                "stopLimitPrice and stopLimitTimeInForce go together",
                "one is missing",
            )
        params = {
            "symbol": self._symbol(symbol),
            "listClientOrderId": _client_id("listClientOrderId", list_client_order_id),
            "side": check_enum("side", side, Side),
            "quantity": check_decimal("quantity", quantity),
            "limitClientOrderId": _client_id("limitClientOrderId", limit_client_order_id),
            "price": check_decimal("price", price),
            "limitIcebergQty": _decimal("limitIcebergQty", limit_iceberg_qty),
            "stopClientOrderId": _client_id("stopClientOrderId", stop_client_order_id),
            "stopPrice": check_decimal("stopPrice", stop_price),
            "stopLimitPrice": limit_price,
            "stopIcebergQty": _decimal("stopIcebergQty", stop_iceberg_qty),
            "stopLimitTimeInForce": tif,
            "newOrderRespType": check_enum("newOrderRespType", new_order_resp_type, OrderResponseType),
            "selfTradePreventionMode": (
                None
                if self_trade_prevention_mode is None
                else check_enum(
                    "selfTradePreventionMode", self_trade_prevention_mode, SelfTradePreventionMode
                )
            ),
        }
        if validate:
            rules = await self.rules()
            for leg in _oco_legs(params):
                rules.validate(leg, market or NO_MARKET)
        return await self.request(
            _POST, "/api/v3/order/oco", params, model=OrderList, recv_window=recv_window
        )

    async def get_order_list(
        self,
        *,
        order_list_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> OrderList:
        if (order_list_id is None) == (orig_client_order_id is None):
            raise InvalidParameter("orderListId", "give exactly one of orderListId or origClientOrderId", "")
        params = {
            "orderListId": _order_id("orderListId", order_list_id),
            "origClientOrderId": _client_id("origClientOrderId", orig_client_order_id),
        }
        return await self.request(_GET, "/api/v3/orderList", params, model=OrderList, recv_window=recv_window)

    async def cancel_order_list(
        self,
        symbol: str,
        *,
        order_list_id: int | None = None,
        list_client_order_id: str | None = None,
        new_client_order_id: str | None = None,
        recv_window: RecvWindow = None,
    ) -> OrderList:
        if (order_list_id is None) == (list_client_order_id is None):
            raise InvalidParameter("orderListId", "give exactly one of orderListId or listClientOrderId", "")
        params = {
            "symbol": self._symbol(symbol),
            "orderListId": _order_id("orderListId", order_list_id),
            "listClientOrderId": _client_id("listClientOrderId", list_client_order_id),
            "newClientOrderId": _client_id("newClientOrderId", new_client_order_id),
        }
        return await self.request(
            _DELETE, "/api/v3/orderList", params, model=OrderList, recv_window=recv_window
        )

    async def all_order_lists(
        self,
        *,
        from_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[OrderList]:
        params = {
            "fromId": _time("fromId", from_id),
            "startTime": _time("startTime", start_time),
            "endTime": _time("endTime", end_time),
            "limit": _limit(limit, 1000),
        }
        return await self.request(
            _GET, "/api/v3/allOrderList", params, model=list[OrderList], recv_window=recv_window
        )

    async def open_order_lists(self, *, recv_window: RecvWindow = None) -> list[OrderList]:
        return await self.request(
            _GET, "/api/v3/openOrderList", model=list[OrderList], recv_window=recv_window
        )

    # ---------------------------------------------------------------- account

    async def account(
        self, *, omit_zero_balances: bool | None = None, recv_window: RecvWindow = None
    ) -> Account:
        params = {"omitZeroBalances": omit_zero_balances}
        return await self.request(_GET, "/api/v3/account", params, model=Account, recv_window=recv_window)

    async def my_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[MyTrade]:
        params = {
            "symbol": self._symbol(symbol),
            "orderId": _time("orderId", order_id),
            "startTime": _time("startTime", start_time),
            "endTime": _time("endTime", end_time),
            "fromId": _time("fromId", from_id),
            "limit": _limit(limit, 1000),
        }
        return await self.request(
            _GET, "/api/v3/myTrades", params, model=list[MyTrade], recv_window=recv_window
        )

    async def rate_limit_order(self, *, recv_window: RecvWindow = None) -> list[RateLimitOrderCount]:
        """The account's current order-count usage per ORDERS window."""
        return await self.request(
            _GET, "/api/v3/rateLimit/order", model=list[RateLimitOrderCount], recv_window=recv_window
        )


def _decode_info(body: bytes) -> tuple[ExchangeInfo, dict[str, Any]]:
    # The rules are built from the raw answer (they keep filters Binance adds later).
    return _info_decoder.decode(body), _raw_decoder.decode(body)


def _one_order(symbol: str, order_id: int | None, orig_client_order_id: str | None) -> dict[str, object]:
    if order_id is None and orig_client_order_id is None:
        raise InvalidParameter("orderId", "give orderId or origClientOrderId", "both missing")
    return {
        "symbol": symbol,
        "orderId": _order_id("orderId", order_id),
        "origClientOrderId": _client_id("origClientOrderId", orig_client_order_id),
    }


def _oco_legs(params: dict[str, Any]) -> tuple[OrderCheck, OrderCheck]:
    """The two orders of an OCO as the filters see them: the LIMIT_MAKER and the stop."""
    symbol, side, qty = params["symbol"], params["side"], params["quantity"]
    limit_price = params["stopLimitPrice"]
    return (
        OrderCheck(symbol, side, OrderType.LIMIT_MAKER, quantity=qty, price=params["price"],
                   iceberg_qty=params["limitIcebergQty"]),
        OrderCheck(symbol, side, OrderType.STOP_LOSS if limit_price is None else OrderType.STOP_LOSS_LIMIT,
                   quantity=qty, price=limit_price, stop_price=params["stopPrice"],
                   iceberg_qty=params["stopIcebergQty"], time_in_force=params["stopLimitTimeInForce"]),
    )  # fmt: skip
