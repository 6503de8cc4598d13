# ruff: noqa: E501  (the reference payloads are copied verbatim, comments and all)
"""Decode the reference's example payloads (copied with their comments, which ``j()`` strips)
into the models: exact Decimals, enums, optional fields, tagged unions, and no float anywhere."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeexec.binance import models as m
from tradeexec.binance.enums import (
    ContingencyType,
    ExecutionType,
    KlineInterval,
    ListOrderStatus,
    ListStatusType,
    OrderStatus,
    OrderType,
    RateLimitInterval,
    RateLimitType,
    Side,
    TimeInForce,
)
from tradeexec.binance.models import futures as mf
from tradeexec.binance.models import margin as mm
from tradeexec.binance.models import market_events
from tradeexec.binance.models import wallet as mw
from tradeexec.binance.net.ratelimit import RateLimitRule

_COMMENT = re.compile(r"\s*//[^\n]*")


def j(text: str) -> bytes:
    """The reference's examples carry ``//`` comments; none of them has ``//`` in a string."""
    return _COMMENT.sub("", text).encode()


def no_floats(value: Any, path: str = "$") -> None:
    """Walk a decoded value and fail on any float, however deeply nested."""
    assert not isinstance(value, float), f"float at {path}: {value!r}"
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            no_floats(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            no_floats(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            no_floats(item, f"{path}[{i}]")


def dec(type_: Any, text: str) -> Any:
    value = msgspec.json.decode(j(text), type=type_)
    no_floats(value)
    return value


def exact(value: Decimal, text: str) -> None:
    assert type(value) is Decimal
    assert value.as_tuple() == Decimal(text).as_tuple()  # same digits and scale as on the wire


def test_no_floats_walker_catches_a_nested_float() -> None:
    with pytest.raises(AssertionError, match=r"float at \$\.bids\[0\]\[1\]"):
        no_floats(m.OrderBook(last_update_id=1, bids=[(Decimal(1), 2.0)], asks=[]))  # type: ignore[list-item]


# --------------------------------------------------------------------------- general / market


def test_server_time_and_empty() -> None:
    assert dec(m.ServerTime, '{"serverTime": 1499827319559}').server_time == 1499827319559
    assert dec(m.EmptyResponse, "{}") == m.EmptyResponse()
    assert dec(m.TestOrderResponse, "{}").standard_commission_for_order is None


EXCHANGE_INFO = """{
  "timezone": "UTC",
  "serverTime": 1565246363776,
  "rateLimits": [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}
  ],
  "exchangeFilters": [{"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000}],
  "symbols": [
    {
      "symbol": "ETHBTC",
      "status": "TRADING",
      "baseAsset": "ETH",
      "baseAssetPrecision": 8,
      "quoteAsset": "BTC",
      "quotePrecision": 8,
      "quoteAssetPrecision": 8,
      "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                     "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
      "icebergAllowed": true,
      "ocoAllowed": true,
      "quoteOrderQtyMarketAllowed": true,
      "allowTrailingStop": false,
      "cancelReplaceAllowed": false,
      "isSpotTradingAllowed": true,
      "isMarginTradingAllowed": true,
      "filters": [
        {"filterType": "PRICE_FILTER", "minPrice": "0.00000100", "maxPrice": "100000.00000000",
         "tickSize": "0.00000100"},
        {"filterType": "LOT_SIZE", "minQty": "0.00100000", "maxQty": "100000.00000000",
         "stepSize": "0.00100000"}
      ],
      "permissions": ["SPOT", "MARGIN"],
      "permissionSets": [["SPOT", "MARGIN"]],
      "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
      "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"],
      "someFieldFrom2030": {"nested": [1, 2]}
    },
    {
      "symbol": "NEWCOIN",
      "status": "SOME_STATUS_BINANCE_INVENTS_LATER",
      "baseAsset": "NEW", "baseAssetPrecision": 8, "quoteAsset": "USDT",
      "quotePrecision": 8, "quoteAssetPrecision": 8
    }
  ],
  "sors": [{"baseAsset": "BTC", "symbols": ["BTCUSDT", "BTCUSDC"]}]
}"""


def test_exchange_info() -> None:
    info = msgspec.json.decode(j(EXCHANGE_INFO), type=m.ExchangeInfo)
    assert info.timezone == "UTC" and info.server_time == 1565246363776
    assert info.rate_limits[0] == RateLimitRule(
        RateLimitType.REQUEST_WEIGHT, RateLimitInterval.MINUTE, 1, 6000
    )
    assert info.rate_limits[3].rate_limit_type is RateLimitType.RAW_REQUESTS
    assert info.exchange_filters == [{"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000}]
    eth, new = info.symbols
    assert eth.symbol == "ETHBTC" and eth.base_asset_precision == 8
    assert eth.order_types[0] == "LIMIT" and eth.oco_allowed and not eth.oto_allowed
    # Filters stay raw (binance/rules/ converts them), with their strings untouched.
    assert eth.filters[0] == {
        "filterType": "PRICE_FILTER",
        "minPrice": "0.00000100",
        "maxPrice": "100000.00000000",
        "tickSize": "0.00000100",
    }
    assert eth.permission_sets == [["SPOT", "MARGIN"]]
    assert "DECREMENT" in eth.allowed_self_trade_prevention_modes
    # An unknown symbol status does not break the whole exchangeInfo.
    assert new.status == "SOME_STATUS_BINANCE_INVENTS_LATER" and new.filters == []


def test_order_book_levels_are_exact_decimal_pairs() -> None:
    book = dec(
        m.OrderBook,
        """{
  "lastUpdateId": 1027024,
  "bids": [
    [
      "4.00000000",     // PRICE
      "431.00000000"    // QTY
    ]
  ],
  "asks": [
    [
      "4.00000200",
      "12.00000000"
    ]
  ]
}""",
    )
    assert book.last_update_id == 1027024
    (price, qty), (ask_price, _) = book.bids[0], book.asks[0]
    exact(price, "4.00000000")
    exact(qty, "431.00000000")
    exact(ask_price, "4.00000200")
    assert m.PartialDepthEvent is m.OrderBook


def test_fast_order_book_decoder_matches_the_typed_one() -> None:
    typed = msgspec.json.Decoder(m.OrderBook)
    levels = [[f"{100 - i}.{i:08d}", f"0.{i + 1:08d}"] for i in range(50)]
    body = msgspec.json.encode({"lastUpdateId": 7, "bids": levels, "asks": levels[::-1]})
    for _ in range(2):  # the second pass answers from the memos
        book = m.decode_order_book(body)
        assert book == typed.decode(body)
        exact(book.bids[3][0], "97.00000003")
        exact(book.bids[3][1], "0.00000004")
    # Numbers sent as JSON numbers are still accepted, exactly as the typed decoder does.
    numeric = b'{"lastUpdateId":1,"bids":[[4.5,1.25]],"asks":[]}'
    assert m.decode_order_book(numeric) == typed.decode(numeric)
    exact(m.decode_order_book(numeric).bids[0][0], "4.5")
    # A bad number is refused with the field named, never turned into a float or dropped.
    with pytest.raises(msgspec.ValidationError, match=r"bids\[0\]\[1\]"):
        m.decode_order_book(b'{"lastUpdateId":1,"bids":[["4.5","x"]],"asks":[]}')


TRADES = """[
  {
    "id": 28457,
    "price": "4.00000100",
    "qty": "12.00000000",
    "quoteQty": "48.000012",
    "time": 1499865549590, // Trade executed timestamp, as same as `T` in the stream
    "isBuyerMaker": true,
    "isBestMatch": true
  }
]"""


def test_trades() -> None:
    (trade,) = dec(list[m.Trade], TRADES)
    assert trade.id == 28457 and trade.time == 1499865549590
    exact(trade.price, "4.00000100")
    exact(trade.quote_qty, "48.000012")
    assert trade.is_buyer_maker and trade.is_best_match


def test_agg_trades_short_keys() -> None:
    (agg,) = dec(
        list[m.AggTrade],
        """[
  {
    "a": 26129,         // Aggregate tradeId
    "p": "0.01633102",  // Price
    "q": "4.70443515",  // Quantity
    "f": 27781,         // First tradeId
    "l": 27781,         // Last tradeId
    "T": 1498793709153, // Timestamp
    "m": true,          // Was the buyer the maker?
    "M": true           // Was the trade the best price match?
  }
]""",
    )
    assert (agg.agg_trade_id, agg.first_trade_id, agg.last_trade_id) == (26129, 27781, 27781)
    exact(agg.price, "0.01633102")
    exact(agg.qty, "4.70443515")
    assert agg.time == 1498793709153 and agg.is_buyer_maker and agg.is_best_match


def test_klines_positional() -> None:
    (kline,) = dec(
        list[m.Kline],
        """[
  [
    1499040000000,      // Kline open time
    "0.01634790",       // Open price
    "0.80000000",       // High price
    "0.01575800",       // Low price
    "0.01577100",       // Close price
    "148976.11427815",  // Volume
    1499644799999,      // Kline Close time
    "2434.19055334",    // Quote asset volume
    308,                // Number of trades
    "1756.87402397",    // Taker buy base asset volume
    "28.46694368",      // Taker buy quote asset volume
    "0"                 // Unused field, ignore.
  ]
]""",
    )
    assert kline.open_time == 1499040000000 and kline.close_time == 1499644799999
    exact(kline.open, "0.01634790")
    exact(kline.high, "0.80000000")
    exact(kline.volume, "148976.11427815")
    exact(kline.taker_buy_quote, "28.46694368")
    assert kline.trades == 308


def test_avg_price() -> None:
    avg = dec(m.AvgPrice, '{"mins": 5, "price": "9.35751834"}')
    exact(avg.price, "9.35751834")
    assert avg.close_time is None
    assert (
        dec(m.AvgPrice, '{"mins": 5, "price": "1", "closeTime": 1694061154503}').close_time == 1694061154503
    )


TICKER_24HR_FULL = """{
  "symbol": "BNBBTC",
  "priceChange": "-94.99999800",
  "priceChangePercent": "-95.960",
  "weightedAvgPrice": "0.29628482",
  "prevClosePrice": "0.10002000",
  "lastPrice": "4.00000200",
  "lastQty": "200.00000000",
  "bidPrice": "4.00000000",
  "bidQty": "100.00000000",
  "askPrice": "4.00000200",
  "askQty": "100.00000000",
  "openPrice": "99.00000000",
  "highPrice": "100.00000000",
  "lowPrice": "0.10000000",
  "volume": "8913.30000000",
  "quoteVolume": "15.30000000",
  "openTime": 1499783499040,
  "closeTime": 1499869899040,
  "firstId": 28385,   // First tradeId
  "lastId": 28460,    // Last tradeId
  "count": 76         // Trade count
}"""

TICKER_MINI = """{
  "symbol":      "BNBBTC",          // Symbol Name
  "openPrice":   "99.00000000",     // Opening price of the Interval
  "highPrice":   "100.00000000",    // Highest price in the interval
  "lowPrice":    "0.10000000",      // Lowest  price in the interval
  "lastPrice":   "4.00000200",      // Closing price of the interval
  "volume":      "8913.30000000",   // Total trade volume (in base asset)
  "quoteVolume": "15.30000000",     // Total trade volume (in quote asset)
  "openTime":    1499783499040,     // Start of the ticker interval
  "closeTime":   1499869899040,     // End of the ticker interval
  "firstId":     28385,             // First tradeId considered
  "lastId":      28460,             // Last tradeId considered
  "count":       76                 // Total trade count
}"""


def test_ticker_24hr_full_and_mini() -> None:
    full = dec(m.Ticker24hr, TICKER_24HR_FULL)
    exact(full.price_change, "-94.99999800")
    exact(full.price_change_percent, "-95.960")
    exact(full.prev_close_price, "0.10002000")
    exact(full.ask_qty, "100.00000000")
    assert (full.first_id, full.last_id, full.count) == (28385, 28460, 76)
    (listed,) = dec(list[m.Ticker24hr], f"[{TICKER_24HR_FULL}]")
    assert listed == full
    mini = dec(m.TickerMini, TICKER_MINI)
    exact(mini.last_price, "4.00000200")
    assert mini.close_time == 1499869899040
    with pytest.raises(msgspec.ValidationError, match="priceChange"):
        msgspec.json.decode(j(TICKER_MINI), type=m.Ticker24hr)


def test_rolling_ticker() -> None:
    full = dec(
        m.RollingTicker,
        """{
  "symbol":             "BNBBTC",
  "priceChange":        "-8.00000000",  // Absolute price change
  "priceChangePercent": "-88.889",      // Relative price change in percent
  "weightedAvgPrice":   "2.60427807",   // QuoteVolume / Volume
  "openPrice":          "9.00000000",
  "highPrice":          "9.00000000",
  "lowPrice":           "1.00000000",
  "lastPrice":          "1.00000000",
  "volume":             "187.00000000",
  "quoteVolume":        "487.00000000", // Sum of (price * volume) for all trades
  "openTime":           1641859200000,  // Open time for ticker window
  "closeTime":          1642031999999,  // Current Time of the Request
  "firstId":            0,              // Trade IDs
  "lastId":             60,
  "count":              61              // Number of trades in the interval
}""",
    )
    exact(full.weighted_avg_price, "2.60427807")
    exact(full.price_change_percent, "-88.889")
    assert full.count == 61


def test_ticker_price_and_book_ticker() -> None:
    prices = dec(
        list[m.TickerPrice],
        """[
  {"symbol": "LTCBTC", "price": "4.00000200"},
  {"symbol": "ETHBTC", "price": "0.07946600"}
]""",
    )
    exact(prices[1].price, "0.07946600")
    book = dec(
        m.BookTicker,
        """{
  "symbol": "LTCBTC",
  "bidPrice": "4.00000000",
  "bidQty": "431.00000000",
  "askPrice": "4.00000200",
  "askQty": "9.00000000"
}""",
    )
    exact(book.bid_qty, "431.00000000")
    exact(book.ask_price, "4.00000200")


# --------------------------------------------------------------------------- orders


ORDER_FULL = """{
  "symbol": "BTCUSDT",
  "orderId": 28,
  "orderListId": -1, //Unless OCO, value will be -1
  "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
  "transactTime": 1507725176595,
  "price": "0.00000000",
  "origQty": "10.00000000",
  "executedQty": "10.00000000",
  "cummulativeQuoteQty": "10.00000000",
  "status": "FILLED",
  "timeInForce": "GTC",
  "type": "MARKET",
  "side": "SELL",
  "strategyId": 1,               // This is only visible if the field was populated on order placement.
  "strategyType": 1000000,       // (the reference's example lacks this comma)
  "workingTime": 1507725176595,
  "selfTradePreventionMode": "NONE",
  "fills": [
    {
      "price": "4000.00000000",
      "qty": "1.00000000",
      "commission": "4.00000000",
      "commissionAsset": "USDT",
      "tradeId": 56
    },
    {
      "price": "3999.00000000",
      "qty": "5.00000000",
      "commission": "19.99500000",
      "commissionAsset": "USDT",
      "tradeId": 57
    },
    {
      "price": "3998.00000000",
      "qty": "2.00000000",
      "commission": "7.99600000",
      "commissionAsset": "USDT",
      "tradeId": 58
    },
    {
      "price": "3997.00000000",
      "qty": "1.00000000",
      "commission": "3.99700000",
      "commissionAsset": "USDT",
      "tradeId": 59
    },
    {
      "price": "3995.00000000",
      "qty": "1.00000000",
      "commission": "3.99500000",
      "commissionAsset": "USDT",
      "tradeId": 60
    }
  ]
}"""


def test_new_order_ack_result_full() -> None:
    ack = dec(
        m.OrderAck,
        """{
  "symbol": "BTCUSDT",
  "orderId": 28,
  "orderListId": -1, //Unless OCO, value will be -1
  "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
  "transactTime": 1507725176595
}""",
    )
    assert ack == m.OrderAck(
        symbol="BTCUSDT",
        order_id=28,
        order_list_id=-1,
        client_order_id="6gCrw2kRUAF9CvJDGP16IP",
        transact_time=1507725176595,
    )
    full = dec(m.OrderFull, ORDER_FULL)
    assert full.status is OrderStatus.FILLED and full.status.is_final
    assert full.type is OrderType.MARKET and full.side is Side.SELL
    assert full.time_in_force is TimeInForce.GTC
    assert (full.strategy_id, full.strategy_type, full.working_time) == (1, 1000000, 1507725176595)
    assert full.self_trade_prevention_mode == "NONE"
    assert [f.trade_id for f in full.fills] == [56, 57, 58, 59, 60]
    exact(full.fills[1].commission, "19.99500000")
    assert sum(f.qty for f in full.fills) == full.executed_qty
    result = dec(m.OrderResult, ORDER_FULL)
    exact(result.cummulative_quote_qty, "10.00000000")
    # A RESULT body decodes as OrderFull with no fills.
    without_fills = ORDER_FULL[: ORDER_FULL.index('  "fills"')].rstrip().rstrip(",") + "\n}"
    assert dec(m.OrderFull, without_fills).fills == []


QUERY_ORDER = """{
  "symbol": "LTCBTC",
  "orderId": 1,
  "orderListId": -1, //Unless OCO, value will be -1
  "clientOrderId": "myOrder1",
  "price": "0.1",
  "origQty": "1.0",
  "executedQty": "0.0",
  "cummulativeQuoteQty": "0.0",
  "status": "NEW",
  "timeInForce": "GTC",
  "type": "LIMIT",
  "side": "BUY",
  "stopPrice": "0.0",
  "icebergQty": "0.0",
  "time": 1499827319559,
  "updateTime": 1499827319559,
  "isWorking": true,
  "origQuoteOrderQty": "0.000000"
}"""


def test_query_open_and_all_orders() -> None:
    (order,) = dec(list[m.Order], f"[{QUERY_ORDER}]")
    assert order.status is OrderStatus.NEW and not order.status.is_final
    exact(order.price, "0.1")
    exact(order.orig_quote_order_qty, "0.000000")
    assert order.is_working and order.update_time == 1499827319559
    pending = QUERY_ORDER.replace('"NEW"', '"PENDING_NEW"')
    assert dec(m.Order, pending).status is OrderStatus.PENDING_NEW


def test_unknown_status_fails_loudly() -> None:
    """Documented trade-off: order state enums are strict, a new value is an error."""
    with pytest.raises(msgspec.ValidationError, match="status"):
        msgspec.json.decode(j(QUERY_ORDER.replace('"NEW"', '"SOMETHING_NEW"')), type=m.Order)


def test_cancel_order() -> None:
    cancel = dec(
        m.CancelResponse,
        """{
  "symbol": "LTCBTC",
  "origClientOrderId": "myOrder1",
  "orderId": 4,
  "orderListId": -1, //Unless part of an OCO, the value will always be -1.
  "clientOrderId": "cancelMyOrder1",
  "price": "2.00000000",
  "origQty": "1.00000000",
  "executedQty": "0.00000000",
  "cummulativeQuoteQty": "0.00000000",
  "status": "CANCELED",
  "timeInForce": "GTC",
  "type": "LIMIT",
  "side": "BUY"
}""",
    )
    assert cancel.orig_client_order_id == "myOrder1" and cancel.client_order_id == "cancelMyOrder1"
    assert cancel.status is OrderStatus.CANCELED
    exact(cancel.price, "2.00000000")


CANCEL_ALL = """[
  {
    "symbol": "BTCUSDT",
    "origClientOrderId": "E6APeyTJvkMvLMYMqu1KQ4",
    "orderId": 11,
    "orderListId": -1,
    "clientOrderId": "pXLV6Hz6mprAcVYpVMTGgx",
    "price": "0.089853",
    "origQty": "0.178622",
    "executedQty": "0.000000",
    "cummulativeQuoteQty": "0.000000",
    "status": "CANCELED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY"
  },
  {
    "orderListId": 1929,
    "contingencyType": "OCO",
    "listStatusType": "ALL_DONE",
    "listOrderStatus": "ALL_DONE",
    "listClientOrderId": "2inzWQdDvZLHbbAmAozX2N",
    "transactionTime": 1585230948299,
    "symbol": "BTCUSDT",
    "orders": [
      {"symbol": "BTCUSDT", "orderId": 20, "clientOrderId": "CwOOIPHSmYywx6jZX77TdL"},
      {"symbol": "BTCUSDT", "orderId": 21, "clientOrderId": "461cPg51vQjV3zIMOXNz39"}
    ],
    "orderReports": [
      {
        "symbol": "BTCUSDT",
        "origClientOrderId": "CwOOIPHSmYywx6jZX77TdL",
        "orderId": 20,
        "orderListId": 1929,
        "clientOrderId": "pXLV6Hz6mprAcVYpVMTGgx",
        "price": "0.668611",
        "origQty": "0.690354",
        "executedQty": "0.000000",
        "cummulativeQuoteQty": "0.000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "STOP_LOSS_LIMIT",
        "side": "BUY",
        "stopPrice": "0.378131",
        "icebergQty": "0.017083"
      },
      {
        "symbol": "BTCUSDT",
        "origClientOrderId": "461cPg51vQjV3zIMOXNz39",
        "orderId": 21,
        "orderListId": 1929,
        "clientOrderId": "pXLV6Hz6mprAcVYpVMTGgx",
        "price": "0.008791",
        "origQty": "0.690354",
        "executedQty": "0.000000",
        "cummulativeQuoteQty": "0.000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "LIMIT_MAKER",
        "side": "BUY",
        "icebergQty": "0.639962"
      }
    ]
  }
]"""


def test_cancel_open_orders_mixes_orders_and_lists() -> None:
    single, order_list = m.decode_cancel_open_orders(j(CANCEL_ALL))
    no_floats([single, order_list])
    assert isinstance(single, m.OrderReport) and single.order_id == 11
    assert isinstance(order_list, m.OrderList)
    assert order_list.contingency_type is ContingencyType.OCO
    assert order_list.list_status_type is ListStatusType.ALL_DONE
    assert order_list.list_order_status is ListOrderStatus.ALL_DONE
    stop = order_list.order_reports[0]
    assert stop.type is OrderType.STOP_LOSS_LIMIT
    exact(stop.stop_price, "0.378131")  # type: ignore[arg-type]
    exact(order_list.order_reports[1].iceberg_qty, "0.639962")  # type: ignore[arg-type]


def test_cancel_replace_success_and_error_data() -> None:
    ok = dec(
        m.CancelReplaceResponse,
        """{
  "cancelResult": "SUCCESS",
  "newOrderResult": "SUCCESS",
  "cancelResponse": {
    "symbol": "BTCUSDT",
    "origClientOrderId": "DnLo3vTAQcjha43lAZhZ0y",
    "orderId": 9,
    "orderListId": -1,
    "clientOrderId": "osxN3JXAtJvKvCqGeMWMVR",
    "price": "0.01000000",
    "origQty": "0.000100",
    "executedQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "CANCELED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "SELL"
  },
  "newOrderResponse": {
    "symbol": "BTCUSDT",
    "orderId": 10,
    "orderListId": -1,
    "clientOrderId": "wOceeeOzNORyLiQfw7jd8S",
    "transactTime": 1652928801803,
    "price": "0.02000000",
    "origQty": "0.040000",
    "executedQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "fills": []
  }
}""",
    )
    assert ok.cancel_response.status is OrderStatus.CANCELED
    exact(ok.cancel_response.orig_qty, "0.000100")
    assert ok.new_order_response.order_id == 10 and ok.new_order_response.fills == []
    error = msgspec.json.decode(
        j("""{
  "code": -2021,
  "msg": "Order cancel-replace partially failed.",
  "data": {
    "cancelResult": "FAILURE",
    "newOrderResult": "SUCCESS",
    "cancelResponse": {
      "code": -2011,
      "msg": "Unknown order sent."
    },
    "newOrderResponse": {
      "symbol": "BTCUSDT",
      "orderId": 11,
      "orderListId": -1,
      "clientOrderId": "pfojJMg6IMNDKuJqDxvoxN",
      "transactTime": 1648540168818
    }
  }
}"""),
        type=dict[str, Any],
    )
    data = msgspec.convert(error["data"], m.CancelReplaceErrorData)
    assert data.cancel_response == {"code": -2011, "msg": "Unknown order sent."}
    assert msgspec.convert(data.new_order_response, m.OrderAck).order_id == 11
    not_attempted = msgspec.convert(
        {"cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED", "newOrderResponse": None},
        m.CancelReplaceErrorData,
    )
    assert not_attempted.new_order_response is None


def test_new_oco_and_query_order_lists() -> None:
    oco = dec(
        m.OcoResponse,
        """{
  "orderListId": 0,
  "contingencyType": "OCO",
  "listStatusType": "EXEC_STARTED",
  "listOrderStatus": "EXECUTING",
  "listClientOrderId": "JYVpp3F0f5CAG15DhtrqLp",
  "transactionTime": 1563417480525,
  "symbol": "LTCBTC",
  "orders": [
    {"symbol": "LTCBTC", "orderId": 2, "clientOrderId": "Kk7sqHb9J6mJWTMDVW7Vos"},
    {"symbol": "LTCBTC", "orderId": 3, "clientOrderId": "xTXKaGYd4bluPVp78IVRvl"}
  ],
  "orderReports": [
    {
      "symbol": "LTCBTC",
      "orderId": 2,
      "orderListId": 0,
      "clientOrderId": "Kk7sqHb9J6mJWTMDVW7Vos",
      "transactTime": 1563417480525,
      "price": "0.000000",
      "origQty": "0.624363",
      "executedQty": "0.000000",
      "cummulativeQuoteQty": "0.000000",
      "status": "NEW",
      "timeInForce": "GTC",
      "type": "STOP_LOSS",
      "side": "BUY",
      "stopPrice": "0.960664"
    },
    {
      "symbol": "LTCBTC",
      "orderId": 3,
      "orderListId": 0,
      "clientOrderId": "xTXKaGYd4bluPVp78IVRvl",
      "transactTime": 1563417480525,
      "price": "0.036435",
      "origQty": "0.624363",
      "executedQty": "0.000000",
      "cummulativeQuoteQty": "0.000000",
      "status": "NEW",
      "timeInForce": "GTC",
      "type": "LIMIT_MAKER",
      "side": "BUY"
    }
  ]
}""",
    )
    assert oco.list_status_type is ListStatusType.EXEC_STARTED
    assert oco.list_order_status is ListOrderStatus.EXECUTING
    assert [o.order_id for o in oco.orders] == [2, 3]
    assert oco.order_reports[0].transact_time == 1563417480525
    assert oco.order_reports[0].orig_client_order_id is None
    exact(oco.order_reports[1].price, "0.036435")
    (queried,) = dec(
        list[m.OrderList],
        """[{
  "orderListId": 31,
  "contingencyType": "OCO",
  "listStatusType": "EXEC_STARTED",
  "listOrderStatus": "EXECUTING",
  "listClientOrderId": "wuB13fmulKj3YjdqWEcsnp",
  "transactionTime": 1565246080644,
  "symbol": "LTCBTC",
  "orders": [
    {"symbol": "LTCBTC", "orderId": 4, "clientOrderId": "r3EH2N76dHfLoSZWIUw1bT"},
    {"symbol": "LTCBTC", "orderId": 5, "clientOrderId": "Cv1SnyPD3qhqpbjpYEHbd2"}
  ]
}]""",
    )
    assert queried.order_reports == [] and queried.orders[1].client_order_id == "Cv1SnyPD3qhqpbjpYEHbd2"


# --------------------------------------------------------------------------- account


def test_account() -> None:
    account = dec(
        m.Account,
        """{
  "makerCommission": 15,
  "takerCommission": 15,
  "buyerCommission": 0,
  "sellerCommission": 0,
  "commissionRates": {"maker": "0.00150000", "taker": "0.00150000", "buyer": "0.00000000",
                      "seller": "0.00000000"},
  "canTrade": true,
  "canWithdraw": true,
  "canDeposit": true,
  "brokered": false,
  "requireSelfTradePrevention": false,
  "preventSor": false,
  "updateTime": 123456789,
  "accountType": "SPOT",
  "balances": [
    {
      "asset": "BTC",
      "free": "4723846.89208129",
      "locked": "0.00000000"
    },
    {
      "asset": "LTC",
      "free": "4763368.68006011",
      "locked": "0.00000000"
    }
  ],
  "permissions": [
    "SPOT"
  ],
  "uid": 354937868
}""",
    )
    assert account.can_trade and account.account_type == "SPOT" and account.permissions == ["SPOT"]
    exact(account.balances[0].free, "4723846.89208129")
    exact(account.balances[1].locked, "0.00000000")
    assert account.commission_rates is not None
    exact(account.commission_rates.maker, "0.00150000")
    assert account.uid == 354937868


def test_my_trades() -> None:
    (trade,) = dec(
        list[m.MyTrade],
        """[
  {
    "symbol": "BNBBTC",
    "id": 28457,
    "orderId": 100234,
    "orderListId": -1, //Unless OCO, the value will always be -1
    "price": "4.00000100",
    "qty": "12.00000000",
    "quoteQty": "48.000012",
    "commission": "10.10000000",
    "commissionAsset": "BNB",
    "time": 1499865549590,
    "isBuyer": true,
    "isMaker": false,
    "isBestMatch": true
  }
]""",
    )
    exact(trade.price, "4.00000100")
    exact(trade.commission, "10.10000000")
    assert trade.commission_asset == "BNB" and trade.is_buyer and not trade.is_maker


def test_rate_limit_order_count() -> None:
    counts = dec(
        list[m.RateLimitOrderCount],
        """[
  {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 10000, "count": 0},
  {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 20000, "count": 0}
]""",
    )
    assert counts[1].interval is RateLimitInterval.DAY and counts[1].count == 0
    assert isinstance(counts[0], RateLimitRule)


def test_listen_key() -> None:
    key = dec(
        m.ListenKey, '{"listenKey": "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}'
    )
    assert key.listen_key.startswith("pqia91")


def test_test_order_with_commission_preview() -> None:
    preview = dec(
        m.TestOrderResponse,
        """{
  "standardCommissionForOrder": {"maker": "0.00000112", "taker": "0.00000114"},
  "taxCommissionForOrder": {"maker": "0.00000112", "taker": "0.00000114"},
  "discount": {"enabledForAccount": true, "enabledForSymbol": true, "discountAsset": "BNB",
               "discount": "0.25000000"}
}""",
    )
    assert preview.standard_commission_for_order is not None
    exact(preview.standard_commission_for_order["taker"], "0.00000114")


# --------------------------------------------------------------------------- wallet


def test_wallet_models() -> None:
    status = dec(
        mw.SystemStatus,
        """{
    "status": 0,              // 0: normal,1:system maintenance
    "msg": "normal"           // "normal", "system_maintenance"
}""",
    )
    assert status.is_normal
    assert not dec(mw.SystemStatus, '{"status": 1, "msg": "system_maintenance"}').is_normal
    assert dec(mw.AccountStatus, '{"data": "Normal"}').data == "Normal"
    trading = dec(
        mw.ApiTradingStatus,
        """{
    "data": {          // API trading status detail
            "isLocked": false,   // API trading function is locked or not
            "plannedRecoverTime": 0,  // If API trading function is locked, this is the planned recover time
            "triggerCondition": {
                    "GCR": 150,  // Number of GTC orders
                    "IFER": 150, // Number of FOK/IOC orders
                    "UFR": 300   // Number of orders
            },
            "updateTime": 1547630471725
    }
}""",
    )
    assert not trading.data.is_locked and trading.data.trigger_condition["UFR"] == 300
    restrictions = dec(
        mw.ApiRestrictions,
        """{
   "ipRestrict": false,
   "createTime": 1623840271000,
   "enableWithdrawals": false,   // This option allows you to withdraw via API.
   "enableInternalTransfer": true,  // This option authorizes this key to transfer funds
   "permitsUniversalTransfer": true,  // Authorizes this key to be used for universal transfer
   "enableVanillaOptions": false,  //  Authorizes this key to Vanilla options trading
   "enableReading": true,
   "enableFutures": false,  //  API Key created before your futures account opened
   "enableMargin": false,   //  This option can be adjusted after the Cross Margin transfer
   "enableSpotAndMarginTrading": false, // Spot and margin trading
   "tradingAuthorityExpirationTime": 1628985600000  // Expiration time for trading permission
}""",
    )
    assert restrictions.enable_reading and restrictions.permits_universal_transfer
    assert not restrictions.enable_spot_and_margin_trading and not restrictions.enable_fix_api_trade
    assert restrictions.trading_authority_expiration_time == 1628985600000


# --------------------------------------------------------------------------- margin


def test_margin_models() -> None:
    for kind in (mm.MarginLoanResponse, mm.MarginRepayResponse, mm.MarginTransferResponse):
        assert dec(kind, '{\n    //transaction id\n    "tranId": 100000001\n}').tran_id == 100000001
    account = dec(
        mm.MarginAccount,
        """{
      "borrowEnabled": true,
      "marginLevel": "11.64405625",
      "totalAssetOfBtc": "6.82728457",
      "totalLiabilityOfBtc": "0.58633215",
      "totalNetAssetOfBtc": "6.24095242",
      "tradeEnabled": true,
      "transferEnabled": true,
      "userAssets": [
          {
              "asset": "BTC",
              "borrowed": "0.00000000",
              "free": "0.00499500",
              "interest": "0.00000000",
              "locked": "0.00000000",
              "netAsset": "0.00499500"
          },
          {
              "asset": "BNB",
              "borrowed": "201.66666672",
              "free": "2346.50000000",
              "interest": "0.00000000",
              "locked": "0.00000000",
              "netAsset": "2144.83333328"
          }
      ]
}""",
    )
    exact(account.margin_level, "11.64405625")
    bnb = account.user_assets[1]
    exact(bnb.borrowed, "201.66666672")
    assert bnb.free - bnb.borrowed == bnb.net_asset  # exact arithmetic, no float drift
    order = dec(
        mm.MarginOrderResponse,
        """{
  "symbol": "BTCUSDT",
  "orderId": 28,
  "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
  "transactTime": 1507725176595,
  "price": "1.00000000",
  "origQty": "10.00000000",
  "executedQty": "10.00000000",
  "cummulativeQuoteQty": "10.00000000",
  "status": "FILLED",
  "timeInForce": "GTC",
  "type": "MARKET",
  "side": "SELL",
  "marginBuyBorrowAmount": 5,       // will not return if no margin trade happens
  "marginBuyBorrowAsset": "BTC",    // will not return if no margin trade happens
  "isIsolated": true,       // if isolated margin
  "fills": [
    {
      "price": "4000.00000000",
      "qty": "1.00000000",
      "commission": "4.00000000",
      "commissionAsset": "USDT"
    }
  ]
}""",
    )
    assert order.order_list_id == -1 and order.is_isolated
    # A JSON number here still decodes to an exact Decimal, never a float.
    assert order.margin_buy_borrow_amount == Decimal(5)
    assert type(order.margin_buy_borrow_amount) is Decimal
    assert order.fills[0].trade_id is None
    queried = dec(
        mm.MarginOrder,
        """{
   "clientOrderId": "ZwfQzuDIGpceVhKW5DvCmO",
   "cummulativeQuoteQty": "0.00000000",
   "executedQty": "0.00000000",
   "icebergQty": "0.00000000",
   "isWorking": true,
   "orderId": 213205622,
   "origQty": "0.30000000",
   "price": "0.00493630",
   "side": "SELL",
   "status": "NEW",
   "stopPrice": "0.00000000",
   "symbol": "BNBBTC",
   "isIsolated": true,
   "time": 1562133008725,
   "timeInForce": "GTC",
   "type": "LIMIT",
   "updateTime": 1562133008725
}""",
    )
    exact(queried.price, "0.00493630")
    assert queried.is_isolated and queried.status is OrderStatus.NEW


# --------------------------------------------------------------------------- USDT-M futures


def test_futures_models() -> None:
    order = dec(
        mf.FuturesOrder,
        """{
    "clientOrderId": "testOrder", "cumQty": "0", "cumQuote": "0", "executedQty": "0",
    "orderId": 22542179, "avgPrice": "0.00000", "origQty": "10", "price": "0",
    "reduceOnly": false, "side": "BUY", "positionSide": "SHORT", "status": "NEW",
    "stopPrice": "9300", "closePosition": false, "symbol": "BTCUSDT", "timeInForce": "GTD",
    "type": "TRAILING_STOP_MARKET", "origType": "TRAILING_STOP_MARKET", "activatePrice": "9020",
    "priceRate": "0.3", "updateTime": 1566818724722, "workingType": "CONTRACT_PRICE",
    "priceProtect": false, "priceMatch": "NONE", "selfTradePreventionMode": "NONE",
    "goodTillDate": 1693207680000
}""",
    )
    assert order.type == "TRAILING_STOP_MARKET" and order.time_in_force == "GTD"
    assert order.side is Side.BUY and order.position_side == "SHORT"
    exact(order.price_rate, "0.3")
    (position,) = dec(
        list[mf.FuturesPosition],
        """[{
    "entryPrice": "0.00000", "breakEvenPrice": "0.0", "marginType": "isolated",
    "isAutoAddMargin": "false", "isolatedMargin": "0.00000000", "leverage": "10",
    "liquidationPrice": "0", "markPrice": "6679.50671178", "maxNotionalValue": "20000000",
    "positionAmt": "0.000", "notional": "0", "isolatedWallet": "0", "symbol": "BTCUSDT",
    "unRealizedProfit": "0.00000000", "positionSide": "BOTH", "updateTime": 0
}]""",
    )
    assert position.leverage == 10 and position.margin_type == "isolated"
    exact(position.mark_price, "6679.50671178")
    exact(position.position_amt, "0.000")
    account = dec(
        mf.FuturesAccount,
        """{
    "feeTier": 0, "canTrade": true, "canDeposit": true, "canWithdraw": true, "updateTime": 0,
    "multiAssetsMargin": false, "tradeGroupId": -1,
    "totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000",
    "totalWalletBalance": "23.72469206", "totalUnrealizedProfit": "0.00000000",
    "totalMarginBalance": "23.72469206", "totalPositionInitialMargin": "0.00000000",
    "totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": "23.72469206",
    "totalCrossUnPnl": "0.00000000", "availableBalance": "23.72469206",
    "maxWithdrawAmount": "23.72469206",
    "assets": [{
        "asset": "USDT", "walletBalance": "23.72469206", "unrealizedProfit": "0.00000000",
        "marginBalance": "23.72469206", "maintMargin": "0.00000000", "initialMargin": "0.00000000",
        "positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
        "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000",
        "availableBalance": "23.72469206", "maxWithdrawAmount": "23.72469206",
        "marginAvailable": true, "updateTime": 1625474304765
    }],
    "positions": [{
        "symbol": "BTCUSDT", "initialMargin": "0", "maintMargin": "0", "unrealizedProfit": "0.00000000",
        "positionInitialMargin": "0", "openOrderInitialMargin": "0", "leverage": "100",
        "isolated": true, "entryPrice": "0.00000", "maxNotional": "250000", "bidNotional": "0",
        "askNotional": "0", "positionSide": "BOTH", "positionAmt": "0", "updateTime": 0
    }]
}""",
    )
    exact(account.total_wallet_balance, "23.72469206")
    assert account.assets[0].margin_available and account.positions[0].leverage == 100
    (balance,) = dec(
        list[mf.FuturesBalance],
        """[{
    "accountAlias": "SgsR", "asset": "USDT", "balance": "122607.35137903",
    "crossWalletBalance": "23.72469206", "crossUnPnl": "0.00000000",
    "availableBalance": "23.72469206", "maxWithdrawAmount": "23.72469206",
    "marginAvailable": true, "updateTime": 1617939110373
}]""",
    )
    exact(balance.balance, "122607.35137903")
    leverage = dec(
        mf.LeverageResponse, '{"leverage": 21, "maxNotionalValue": "1000000", "symbol": "BTCUSDT"}'
    )
    assert leverage.leverage == 21
    exact(leverage.max_notional_value, "1000000")
    assert dec(mf.MarginTypeResponse, '{"code": 200, "msg": "success"}').code == 200


# --------------------------------------------------------------------------- market stream events

AGG_TRADE_EVENT = """{
  "e": "aggTrade",  // Event type
  "E": 123456789,   // Event time
  "s": "BNBBTC",    // Symbol
  "a": 12345,       // Aggregate trade ID
  "p": "0.001",     // Price
  "q": "100",       // Quantity
  "f": 100,         // First trade ID
  "l": 105,         // Last trade ID
  "T": 123456785,   // Trade time
  "m": true,        // Is the buyer the market maker?
  "M": true         // Ignore
}"""

TRADE_EVENT = """{
  "e": "trade",     // Event type
  "E": 123456789,   // Event time
  "s": "BNBBTC",    // Symbol
  "t": 12345,       // Trade ID
  "p": "0.001",     // Price
  "q": "100",       // Quantity
  "b": 88,          // Buyer order ID
  "a": 50,          // Seller order ID
  "T": 123456785,   // Trade time
  "m": true,        // Is the buyer the market maker?
  "M": true         // Ignore
}"""

KLINE_EVENT = """{
  "e": "kline",     // Event type
  "E": 123456789,   // Event time
  "s": "BNBBTC",    // Symbol
  "k": {
    "t": 123400000, // Kline start time
    "T": 123460000, // Kline close time
    "s": "BNBBTC",  // Symbol
    "i": "1m",      // Interval
    "f": 100,       // First trade ID
    "L": 200,       // Last trade ID
    "o": "0.0010",  // Open price
    "c": "0.0020",  // Close price
    "h": "0.0025",  // High price
    "l": "0.0015",  // Low price
    "v": "1000",    // Base asset volume
    "n": 100,       // Number of trades
    "x": false,     // Is this kline closed?
    "q": "1.0000",  // Quote asset volume
    "V": "500",     // Taker buy base asset volume
    "Q": "0.500",   // Taker buy quote asset volume
    "B": "123456"   // Ignore
  }
}"""

MINI_TICKER_EVENT = """{
    "e": "24hrMiniTicker",  // Event type
    "E": 123456789,         // Event time
    "s": "BNBBTC",          // Symbol
    "c": "0.0025",          // Close price
    "o": "0.0010",          // Open price
    "h": "0.0025",          // High price
    "l": "0.0010",          // Low price
    "v": "10000",           // Total traded base asset volume
    "q": "18"               // Total traded quote asset volume
  }"""

TICKER_EVENT = """{
  "e": "24hrTicker",  // Event type
  "E": 123456789,     // Event time
  "s": "BNBBTC",      // Symbol
  "p": "0.0015",      // Price change
  "P": "250.00",      // Price change percent
  "w": "0.0018",      // Weighted average price
  "x": "0.0009",      // First trade(F)-1 price (first trade before the 24hr rolling window)
  "c": "0.0025",      // Last price
  "Q": "10",          // Last quantity
  "b": "0.0024",      // Best bid price
  "B": "10",          // Best bid quantity
  "a": "0.0026",      // Best ask price
  "A": "100",         // Best ask quantity
  "o": "0.0010",      // Open price
  "h": "0.0025",      // High price
  "l": "0.0010",      // Low price
  "v": "10000",       // Total traded base asset volume
  "q": "18",          // Total traded quote asset volume
  "O": 0,             // Statistics open time
  "C": 86400000,      // Statistics close time
  "F": 0,             // First trade ID
  "L": 18150,         // Last trade Id
  "n": 18151          // Total number of trades
}"""

ROLLING_TICKER_EVENT = """{
  "e": "1hTicker",    // Event type
  "E": 123456789,     // Event time
  "s": "BNBBTC",      // Symbol
  "p": "0.0015",      // Price change
  "P": "250.00",      // Price change percent
  "o": "0.0010",      // Open price
  "h": "0.0025",      // High price
  "l": "0.0010",      // Low price
  "c": "0.0025",      // Last price
  "w": "0.0018",      // Weighted average price
  "v": "10000",       // Total traded base asset volume
  "q": "18",          // Total traded quote asset volume
  "O": 0,             // Statistics open time
  "C": 86400000,      // Statistics close time
  "F": 0,             // First trade ID
  "L": 18150,         // Last trade Id
  "n": 18151          // Total number of trades
}"""

BOOK_TICKER_EVENT = """{
  "u":400900217,     // order book updateId
  "s":"BNBUSDT",     // symbol
  "b":"25.35190000", // best bid price
  "B":"31.21000000", // best bid qty
  "a":"25.36520000", // best ask price
  "A":"40.66000000"  // best ask qty
}"""

PARTIAL_DEPTH_EVENT = """{
  "lastUpdateId": 160,  // Last update ID
  "bids": [             // Bids to be updated
    [
      "0.0024",         // Price level to be updated
      "10"              // Quantity
    ]
  ],
  "asks": [             // Asks to be updated
    [
      "0.0026",         // Price level to be updated
      "100"             // Quantity
    ]
  ]
}"""

DEPTH_UPDATE_EVENT = """{
  "e": "depthUpdate", // Event type
  "E": 123456789,     // Event time
  "s": "BNBBTC",      // Symbol
  "U": 157,           // First update ID in event
  "u": 160,           // Final update ID in event
  "b": [              // Bids to be updated
    [
      "0.0024",       // Price level to be updated
      "10"            // Quantity
    ]
  ],
  "a": [              // Asks to be updated
    [
      "0.0026",       // Price level to be updated
      "100"           // Quantity
    ]
  ]
}"""


def market(text: str) -> m.MarketEvent:
    event = m.MARKET_EVENT_DECODER.decode(j(text))
    no_floats(event)
    return event


def test_agg_trade_and_trade_events() -> None:
    agg = market(AGG_TRADE_EVENT)
    assert isinstance(agg, m.AggTradeEvent)
    assert (agg.event_time, agg.symbol, agg.agg_trade_id) == (123456789, "BNBBTC", 12345)
    exact(agg.price, "0.001")
    assert agg.first_trade_id == 100 and agg.last_trade_id == 105 and agg.is_buyer_maker
    trade = market(TRADE_EVENT)
    assert isinstance(trade, m.TradeEvent)
    assert (trade.trade_id, trade.buyer_order_id, trade.seller_order_id) == (12345, 88, 50)
    exact(trade.quantity, "100")
    current = market(TRADE_EVENT.replace('"b": 88,', "").replace('"a": 50,', ""))
    assert isinstance(current, m.TradeEvent) and current.buyer_order_id is None


def test_kline_event() -> None:
    event = market(KLINE_EVENT)
    assert isinstance(event, m.KlineEvent)
    k = event.kline
    assert k.interval is KlineInterval.M1 and not k.is_closed
    assert (k.start_time, k.close_time, k.first_trade_id, k.last_trade_id, k.trades) == (
        123400000,
        123460000,
        100,
        200,
        100,
    )
    exact(k.open, "0.0010")
    exact(k.taker_buy_quote, "0.500")


def test_ticker_events() -> None:
    mini = market(MINI_TICKER_EVENT)
    assert isinstance(mini, m.MiniTickerEvent)
    exact(mini.close, "0.0025")
    exact(mini.quote_volume, "18")
    ticker = market(TICKER_EVENT)
    assert isinstance(ticker, m.TickerEvent)
    exact(ticker.price_change_percent, "250.00")
    exact(ticker.prev_close_price, "0.0009")
    exact(ticker.bid_price, "0.0024")
    exact(ticker.ask_qty, "100")
    assert (ticker.open_time, ticker.close_time, ticker.trades) == (0, 86400000, 18151)
    for tag, cls in (
        ("1hTicker", m.RollingWindowTicker1hEvent),
        ("4hTicker", m.RollingWindowTicker4hEvent),
        ("1dTicker", m.RollingWindowTicker1dEvent),
    ):
        rolling = market(ROLLING_TICKER_EVENT.replace('"1hTicker"', f'"{tag}"'))
        assert type(rolling) is cls and isinstance(rolling, m.RollingWindowTickerEvent)
        assert rolling.window == tag[:2]
        exact(rolling.weighted_avg_price, "0.0018")
    assert not isinstance(ticker, m.RollingWindowTickerEvent)


def test_depth_events() -> None:
    diff = market(DEPTH_UPDATE_EVENT)
    assert isinstance(diff, m.DepthUpdateEvent)
    assert (diff.first_update_id, diff.final_update_id, diff.prev_final_update_id) == (157, 160, None)
    exact(diff.bids[0][0], "0.0024")
    exact(diff.asks[0][1], "100")
    partial = m.market_decoder("bnbbtc@depth5@100ms").decode(j(PARTIAL_DEPTH_EVENT))
    assert isinstance(partial, m.OrderBook) and partial.last_update_id == 160
    exact(partial.asks[0][0], "0.0026")


_TYPED_DEPTH = msgspec.json.Decoder(m.DepthUpdateEvent)
# Binance sends fixed-point text ("0.00100000"); the rest is what Decimal also reads, and the
# fast decoder must read (or refuse) each exactly as the typed decoder does.
_EDGE_NUMBERS = ["0.00000000", "0", "-0", "1e-8", "1E+3", "+1.5", " 1", "1_000", "NaN", "-inf", "", "x", "1.2.3"]
_wire_numbers = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=8, min_value=0, max_value=10**7).map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(_EDGE_NUMBERS),
)
_levels = st.lists(st.lists(_wire_numbers, min_size=2, max_size=2), max_size=6)


def _outcome(decode: Any, data: bytes) -> str:
    """What a decoder made of ``data``, as text: Decimal('NaN') is not equal to itself, and
    the repr also tells ``1.0`` from ``1.00``; or the error's kind and message."""
    try:
        return repr(decode(data))
    except msgspec.DecodeError as exc:
        return f"{type(exc).__name__}: {exc}"


@settings(max_examples=150, deadline=None)
@given(bids=_levels, asks=_levels, pu=st.none() | st.integers(0, 2**40))
def test_fast_depth_decoder_equals_the_typed_one(
    bids: list[list[str]], asks: list[list[str]], pu: int | None
) -> None:
    event: dict[str, Any] = {"e": "depthUpdate", "E": 5, "s": "BTCUSDT", "U": 10, "u": 12, "b": bids, "a": asks}
    if pu is not None:
        event["pu"] = pu
    data = msgspec.json.encode(event)
    expected = _outcome(_TYPED_DEPTH.decode, data)
    for _ in range(2):  # the second pass answers from the memo
        assert _outcome(m.decode_depth_update, data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b'{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[[4.5,1.25]],"a":[]}',  # unquoted numbers
        b'{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[["4.5","x"]],"a":[]}',
        b'{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[["4.5"]],"a":[]}',
        b'{"e":"depthUpdate","E":1,"s":"X","U":"1","u":2,"b":[],"a":[]}',
        b'{"e":"trade","E":1,"s":"X","U":1,"u":2,"b":[],"a":[]}',
        b'{"E":1,"s":"X","U":1,"u":2,"b":[],"a":[]}',
        b'{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[],"a":[]',
        b"",
    ],
)
def test_fast_depth_decoder_accepts_and_refuses_as_the_typed_one(data: bytes) -> None:
    assert _outcome(m.decode_depth_update, data) == _outcome(_TYPED_DEPTH.decode, data)


def test_fast_depth_decoder_keeps_wire_exponents_and_a_bounded_memo() -> None:
    event = m.decode_depth_update(
        b'{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[["1.0","1.00"]],"a":[["1.00","0.00000000"]]}'
    )
    exact(event.bids[0][0], "1.0")
    exact(event.bids[0][1], "1.00")
    exact(event.asks[0][1], "0.00000000")
    assert m.DEPTH_UPDATE_DECODER.decode(j(DEPTH_UPDATE_EVENT)) == market(DEPTH_UPDATE_EVENT)
    # More distinct numbers than the memo holds: it starts over instead of growing.
    levels = [[f"{i}.5", f"0.{i:08d}"] for i in range(market_events._MEMO_SIZE // 2 + 10)]
    many = msgspec.json.encode({"e": "depthUpdate", "E": 1, "s": "X", "U": 1, "u": 2, "b": levels, "a": []})
    assert m.decode_depth_update(many) == _TYPED_DEPTH.decode(many)
    assert 0 < len(market_events._DECIMALS) <= market_events._MEMO_SIZE


def test_book_ticker_event() -> None:
    book = m.market_decoder("bnbusdt@bookTicker").decode(j(BOOK_TICKER_EVENT))
    assert isinstance(book, m.BookTickerEvent)
    assert book.update_id == 400900217
    exact(book.bid_price, "25.35190000")
    exact(book.ask_qty, "40.66000000")
    assert m.market_decoder("!bookTicker") is m.BOOK_TICKER_DECODER


def test_market_decoder_by_stream_name() -> None:
    assert m.market_decoder("btcusdt@depth") is m.DEPTH_UPDATE_DECODER
    assert m.market_decoder("btcusdt@depth@100ms") is m.DEPTH_UPDATE_DECODER
    assert m.market_decoder("btcusdt@trade") is m.MARKET_EVENT_DECODER
    assert m.market_decoder("btcusdt@depth20") is m.PARTIAL_DEPTH_DECODER
    assert m.market_decoder("btcusdt@kline_1m") is m.MARKET_EVENT_DECODER
    arr = m.market_decoder("!ticker_4h@arr").decode(
        j(f"[{ROLLING_TICKER_EVENT.replace('1hTicker', '4hTicker')}, {ROLLING_TICKER_EVENT}]")
    )
    assert [type(e) for e in arr] == [m.RollingWindowTicker4hEvent, m.RollingWindowTicker1hEvent]
    minis = m.market_decoder("!miniTicker@arr").decode(j(f"[{MINI_TICKER_EVENT}]"))
    assert isinstance(minis[0], m.MiniTickerEvent)


def test_combined_stream_message() -> None:
    raw = j(f'{{"stream": "bnbbtc@aggTrade", "data": {AGG_TRADE_EVENT}}}')
    message = m.COMBINED_STREAM_DECODER.decode(raw)
    assert message.stream == "bnbbtc@aggTrade"
    event = m.market_decoder(message.stream).decode(message.data)
    assert isinstance(event, m.AggTradeEvent) and event.agg_trade_id == 12345
    depth = m.COMBINED_STREAM_DECODER.decode(
        j(f'{{"stream": "bnbbtc@depth10", "data": {PARTIAL_DEPTH_EVENT}}}')
    )
    assert m.market_decoder(depth.stream).decode(depth.data).last_update_id == 160


def test_unknown_event_type_and_extra_fields() -> None:
    with pytest.raises(msgspec.ValidationError, match="Invalid value 'avgPrice'"):
        m.MARKET_EVENT_DECODER.decode(b'{"e": "avgPrice", "E": 1, "s": "X"}')
    extra = AGG_TRADE_EVENT.replace('"M": true', '"M": true, "newIn2027": [1.5, {"x": 2}]')
    assert isinstance(market(extra), m.AggTradeEvent)


def test_stream_control_responses() -> None:
    ok = msgspec.json.decode(b'{"result": null, "id": 312}', type=m.StreamResponse)
    assert ok.id == 312 and ok.result is None and ok.code is None
    listing = msgspec.json.decode(b'{"result": ["btcusdt@aggTrade"], "id": 3}', type=m.StreamResponse)
    assert listing.result == ["btcusdt@aggTrade"]
    error = msgspec.json.decode(b'{"code": 0, "msg": "Unknown property", "id": "%s"}', type=m.StreamResponse)
    assert error.code == 0 and error.msg == "Unknown property"


# --------------------------------------------------------------------------- user data events

EXECUTION_REPORT = """{
  "e": "executionReport",        // Event type
  "E": 1499405658658,            // Event time
  "s": "ETHBTC",                 // Symbol
  "c": "mUvoqJxFIILMdfAW5iGSOW", // Client order ID
  "S": "BUY",                    // Side
  "o": "LIMIT",                  // Order type
  "f": "GTC",                    // Time in force
  "q": "1.00000000",             // Order quantity
  "p": "0.10264410",             // Order price
  "P": "0.00000000",             // Stop price
  "d": 4,                        // Trailing Delta; This is only visible if the order was a trailing stop order.
  "F": "0.00000000",             // Iceberg quantity
  "g": -1,                       // OrderListId
  "C": "",                       // Original client order ID; This is the ID of the order being canceled
  "x": "NEW",                    // Current execution type
  "X": "NEW",                    // Current order status
  "r": "NONE",                   // Order reject reason; will be an error code.
  "i": 4293153,                  // Order ID
  "l": "0.00000000",             // Last executed quantity
  "z": "0.00000000",             // Cumulative filled quantity
  "L": "0.00000000",             // Last executed price
  "n": "0",                      // Commission amount
  "N": null,                     // Commission asset
  "T": 1499405658657,            // Transaction time
  "t": -1,                       // Trade ID
  "I": 8641984,                  // Ignore
  "w": true,                     // Is the order on the book?
  "m": false,                    // Is this trade the maker side?
  "M": false,                    // Ignore
  "O": 1499405658657,            // Order creation time
  "Z": "0.00000000",             // Cumulative quote asset transacted quantity
  "Y": "0.00000000",             // Last quote asset transacted quantity (i.e. lastPrice * lastQty)
  "Q": "0.00000000",             // Quote Order Qty
  "j": 1,                        // Strategy ID; This is only visible if the strategyId parameter was provided upon order placement
  "J": 1000000                   // Strategy Type; This is only visible if the strategyType parameter was provided upon order placement
}"""


def user(text: str) -> m.UserEvent:
    event = m.USER_EVENT_DECODER.decode(j(text))
    no_floats(event)
    return event


def test_execution_report() -> None:
    report = user(EXECUTION_REPORT)
    assert isinstance(report, m.ExecutionReport)
    assert report.event_time == 1499405658658 and report.symbol == "ETHBTC"
    assert report.client_order_id == "mUvoqJxFIILMdfAW5iGSOW" and report.orig_client_order_id == ""
    assert report.side is Side.BUY and report.order_type is OrderType.LIMIT
    assert report.time_in_force is TimeInForce.GTC
    assert report.execution_type is ExecutionType.NEW and report.order_status is OrderStatus.NEW
    exact(report.quantity, "1.00000000")
    exact(report.price, "0.10264410")
    exact(report.commission, "0")
    assert report.commission_asset is None and report.trade_id == -1
    assert (report.trailing_delta, report.strategy_id, report.strategy_type) == (4, 1, 1000000)
    assert report.order_list_id == -1 and report.order_id == 4293153 and report.execution_id == 8641984
    assert report.is_working and not report.is_maker and report.working_time is None


def test_execution_report_trade_with_newer_fields() -> None:
    text = (
        EXECUTION_REPORT.replace('"x": "NEW"', '"x": "TRADE"')
        .replace('"X": "NEW"', '"X": "PARTIALLY_FILLED"')
        .replace('"l": "0.00000000"', '"l": "0.50000000"')
        .replace('"L": "0.00000000"', '"L": "0.10264410"')
        .replace('"N": null', '"N": "BNB"')
        .replace(
            '"J": 1000000',
            '"J": 1000000, "W": 1499405658657, "V": "EXPIRE_MAKER", "b": "ONE_PARTY_TRADE_REPORT", '
            '"uS": true, "k": "SOR", "a": 1234, "eR": "NONE", "Cs": "ETHUSDT", "u": 1, "v": 9, "A": "0.1"',
        )
    )
    report = user(text)
    assert isinstance(report, m.ExecutionReport)
    assert report.execution_type is ExecutionType.TRADE
    assert report.order_status is OrderStatus.PARTIALLY_FILLED
    exact(report.last_executed_qty, "0.50000000")
    assert report.commission_asset == "BNB" and report.self_trade_prevention_mode == "EXPIRE_MAKER"
    assert (report.working_time, report.used_sor, report.working_floor, report.alloc_id) == (
        1499405658657,
        True,
        "SOR",
        1234,
    )
    assert report.match_type == "ONE_PARTY_TRADE_REPORT" and report.counter_symbol == "ETHUSDT"
    exact(report.prevented_quantity, "0.1")  # type: ignore[arg-type]


def test_account_balance_list_and_key_events() -> None:
    position = user(
        """{
  "e": "outboundAccountPosition", //Event type
  "E": 1564034571105,             //Event Time
  "u": 1564034571073,             //Time of last account update
  "B": [                          //Balances Array
    {
      "a": "ETH",                 //Asset
      "f": "10000.000000",        //Free
      "l": "0.000000"             //Locked
    }
  ]
}"""
    )
    assert isinstance(position, m.OutboundAccountPosition)
    assert position.last_update_time == 1564034571073
    (balance,) = position.balances
    assert balance.asset == "ETH"
    exact(balance.free, "10000.000000")
    exact(balance.locked, "0.000000")
    update = user(
        """{
  "e": "balanceUpdate",         //Event Type
  "E": 1573200697110,           //Event Time
  "a": "BTC",                   //Asset
  "d": "100.00000000",          //Balance Delta
  "T": 1573200697068            //Clear Time
}"""
    )
    assert isinstance(update, m.BalanceUpdate) and update.clear_time == 1573200697068
    exact(update.delta, "100.00000000")
    status = user(
        """{
  "e": "listStatus",                //Event Type
  "E": 1564035303637,               //Event Time
  "s": "ETHBTC",                    //Symbol
  "g": 2,                           //OrderListId
  "c": "OCO",                       //Contingency Type
  "l": "EXEC_STARTED",              //List Status Type
  "L": "EXECUTING",                 //List Order Status
  "r": "NONE",                      //List Reject Reason
  "C": "F4QN4G8DlFATFlIUQ0cjdD",    //List Client Order ID
  "T": 1564035303625,               //Transaction Time
  "O": [                            //An array of objects
    {
      "s": "ETHBTC",                //Symbol
      "i": 17,                      // orderId
      "c": "AJYsMjErWJesZvqlJCTUgL" //ClientOrderId
    },
    {
      "s": "ETHBTC",
      "i": 18,
      "c": "bfYPSQdLoqAJeNrOr9adzq"
    }
  ]
}"""
    )
    assert isinstance(status, m.ListStatus)
    assert status.contingency_type is ContingencyType.OCO
    assert status.list_status_type is ListStatusType.EXEC_STARTED
    assert status.list_order_status is ListOrderStatus.EXECUTING
    assert [o.order_id for o in status.orders] == [17, 18] and status.list_reject_reason == "NONE"
    expired = user(
        '{"e": "listenKeyExpired", "E": 1576653824250, "listenKey": "OfYGbUzi3PraNagEkdKuFwUHn48brFsItTdsuiIXrucEvD0rhRXZ7I6URWfE8YE8"}'
    )
    assert isinstance(expired, m.ListenKeyExpired) and expired.listen_key is not None
    assert isinstance(user('{"e": "eventStreamTerminated", "E": 1728973001334}'), m.EventStreamTerminated)
    lock = user(
        '{"e": "externalLockUpdate", "E": 1581557507324, "a": "NEO", "d": "10.00000000", "T": 1581557507268}'
    )
    assert isinstance(lock, m.ExternalLockUpdate)
    exact(lock.delta, "10.00000000")


def test_ws_api_user_event_envelope() -> None:
    message = m.USER_EVENT_MESSAGE_DECODER.decode(j(f'{{"subscriptionId": 0, "event": {EXECUTION_REPORT}}}'))
    assert message.subscription_id == 0 and isinstance(message.event, m.ExecutionReport)
    no_floats(message)


def test_events_are_immutable() -> None:
    event = market(AGG_TRADE_EVENT)
    assert isinstance(event, m.AggTradeEvent)
    with pytest.raises(AttributeError):
        event.price = Decimal(1)  # type: ignore[misc]
