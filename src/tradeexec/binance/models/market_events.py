"""Market stream events and their decoders. Events are a tagged union on the ``e`` field, so
``MARKET_EVENT_DECODER`` dispatches to the right struct in one pass. Book tickers and partial
depth snapshots carry no ``e``; ``market_decoder(stream)`` picks their decoder by stream name,
and gives diff depth streams ``decode_depth_update``, which memoises the level Decimals (the
stream hot path)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Final, Generic, Protocol, TypeAlias, TypeVar

import msgspec

from tradeexec.binance.enums import (
    KlineInterval,
)
from tradeexec.binance.models.base import PriceLevel, _SymbolEvent
from tradeexec.binance.models.market import OrderBook


class AggTradeEvent(_SymbolEvent, tag="aggTrade", frozen=True, kw_only=True):
    agg_trade_id: int = msgspec.field(name="a")
    price: Decimal = msgspec.field(name="p")
    quantity: Decimal = msgspec.field(name="q")
    first_trade_id: int = msgspec.field(name="f")
    last_trade_id: int = msgspec.field(name="l")
    trade_time: int = msgspec.field(name="T")
    is_buyer_maker: bool = msgspec.field(name="m")
    is_best_match: bool | None = msgspec.field(name="M", default=None)  # documented "Ignore"


class TradeEvent(_SymbolEvent, tag="trade", frozen=True, kw_only=True):
    trade_id: int = msgspec.field(name="t")
    price: Decimal = msgspec.field(name="p")
    quantity: Decimal = msgspec.field(name="q")
    # Binance stopped sending the order IDs in late 2023; old servers still do.
    buyer_order_id: int | None = msgspec.field(name="b", default=None)
    seller_order_id: int | None = msgspec.field(name="a", default=None)
    trade_time: int = msgspec.field(name="T")
    is_buyer_maker: bool = msgspec.field(name="m")
    is_best_match: bool | None = msgspec.field(name="M", default=None)  # documented "Ignore"


class KlineData(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    start_time: int = msgspec.field(name="t")
    close_time: int = msgspec.field(name="T")
    symbol: str = msgspec.field(name="s")
    interval: KlineInterval = msgspec.field(name="i")
    first_trade_id: int = msgspec.field(name="f")
    last_trade_id: int = msgspec.field(name="L")
    open: Decimal = msgspec.field(name="o")
    close: Decimal = msgspec.field(name="c")
    high: Decimal = msgspec.field(name="h")
    low: Decimal = msgspec.field(name="l")
    volume: Decimal = msgspec.field(name="v")
    trades: int = msgspec.field(name="n")
    is_closed: bool = msgspec.field(name="x")
    quote_volume: Decimal = msgspec.field(name="q")
    taker_buy_base: Decimal = msgspec.field(name="V")
    taker_buy_quote: Decimal = msgspec.field(name="Q")
    ignore: str | None = msgspec.field(name="B", default=None)  # documented "Ignore"


class KlineEvent(_SymbolEvent, tag="kline", frozen=True, kw_only=True):
    kline: KlineData = msgspec.field(name="k")


class _TickerPrices(_SymbolEvent, frozen=True, kw_only=True):
    close: Decimal = msgspec.field(name="c")
    open: Decimal = msgspec.field(name="o")
    high: Decimal = msgspec.field(name="h")
    low: Decimal = msgspec.field(name="l")
    volume: Decimal = msgspec.field(name="v")
    quote_volume: Decimal = msgspec.field(name="q")


class MiniTickerEvent(_TickerPrices, tag="24hrMiniTicker", frozen=True, kw_only=True):
    pass


class _TickerStats(_TickerPrices, frozen=True, kw_only=True):
    price_change: Decimal = msgspec.field(name="p")
    price_change_percent: Decimal = msgspec.field(name="P")
    weighted_avg_price: Decimal = msgspec.field(name="w")
    open_time: int = msgspec.field(name="O")
    close_time: int = msgspec.field(name="C")
    first_trade_id: int = msgspec.field(name="F")
    last_trade_id: int = msgspec.field(name="L")
    trades: int = msgspec.field(name="n")


class TickerEvent(_TickerStats, tag="24hrTicker", frozen=True, kw_only=True):
    prev_close_price: Decimal = msgspec.field(name="x")
    last_qty: Decimal = msgspec.field(name="Q")
    bid_price: Decimal = msgspec.field(name="b")
    bid_qty: Decimal = msgspec.field(name="B")
    ask_price: Decimal = msgspec.field(name="a")
    ask_qty: Decimal = msgspec.field(name="A")


class RollingWindowTickerEvent(_TickerStats, frozen=True, kw_only=True):
    """``<symbol>@ticker_<1h|4h|1d>``. Binance tags each window size differently
    (``1hTicker`` ...), so each size is a subclass; test with ``isinstance`` against this
    class and read ``window``."""

    window: ClassVar[str]


class RollingWindowTicker1hEvent(RollingWindowTickerEvent, tag="1hTicker", frozen=True, kw_only=True):
    window: ClassVar[str] = "1h"


class RollingWindowTicker4hEvent(RollingWindowTickerEvent, tag="4hTicker", frozen=True, kw_only=True):
    window: ClassVar[str] = "4h"


class RollingWindowTicker1dEvent(RollingWindowTickerEvent, tag="1dTicker", frozen=True, kw_only=True):
    window: ClassVar[str] = "1d"


_Number = TypeVar("_Number", Decimal, str)


class _DepthDiff(_SymbolEvent, Generic[_Number], frozen=True, kw_only=True):
    """A diff depth event's fields, its levels typed by ``_Number``: ``Decimal`` for the
    event delivered, ``str`` for the wire text ``decode_depth_update`` reads first."""

    first_update_id: int = msgspec.field(name="U")
    final_update_id: int = msgspec.field(name="u")
    bids: list[tuple[_Number, _Number]] = msgspec.field(name="b")
    asks: list[tuple[_Number, _Number]] = msgspec.field(name="a")
    # USDT-M futures only: the previous event's final update ID, and the transaction time.
    prev_final_update_id: int | None = msgspec.field(name="pu", default=None)
    transaction_time: int | None = msgspec.field(name="T", default=None)


class DepthUpdateEvent(_DepthDiff[Decimal], tag="depthUpdate", frozen=True, kw_only=True):
    """``<symbol>@depth``: decode it with ``decode_depth_update`` (``market_decoder`` does)."""


class _DepthUpdateText(_DepthDiff[str], tag="depthUpdate", frozen=True, kw_only=True):
    """A diff depth event as sent, its levels left as the wire text."""


class BookTickerEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``<symbol>@bookTicker``: Spot sends no event type or time."""

    update_id: int = msgspec.field(name="u")
    symbol: str = msgspec.field(name="s")
    bid_price: Decimal = msgspec.field(name="b")
    bid_qty: Decimal = msgspec.field(name="B")
    ask_price: Decimal = msgspec.field(name="a")
    ask_qty: Decimal = msgspec.field(name="A")


MarketEvent: TypeAlias = (
    AggTradeEvent
    | TradeEvent
    | KlineEvent
    | MiniTickerEvent
    | TickerEvent
    | RollingWindowTicker1hEvent
    | RollingWindowTicker4hEvent
    | RollingWindowTicker1dEvent
    | DepthUpdateEvent
)


class CombinedStreamMessage(msgspec.Struct, frozen=True, gc=False):
    """``/stream?streams=...`` wrapper; ``data`` stays raw until ``market_decoder(stream)``
    decodes it, so the payload is parsed once, by the right type."""

    stream: str
    data: msgspec.Raw


class StreamResponse(msgspec.Struct, frozen=True):
    """Answer to SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY,
    or an error (``code``, ``msg``) for a bad request."""

    id: int | str | None = None
    result: Any = None
    code: int | None = None
    msg: str | None = None


MARKET_EVENT_DECODER: msgspec.json.Decoder[MarketEvent] = msgspec.json.Decoder(MarketEvent)
MARKET_EVENT_LIST_DECODER: msgspec.json.Decoder[list[MarketEvent]] = msgspec.json.Decoder(list[MarketEvent])
BOOK_TICKER_DECODER = msgspec.json.Decoder(BookTickerEvent)
PARTIAL_DEPTH_DECODER = msgspec.json.Decoder(OrderBook)
COMBINED_STREAM_DECODER = msgspec.json.Decoder(CombinedStreamMessage)

_PARTIAL_DEPTHS = frozenset({"depth5", "depth10", "depth20"})


class _BookText(msgspec.Struct, rename="camel"):
    """An order book as sent, its levels left as the wire text."""

    last_update_id: int
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]


class _DecimalMemo(dict[str, Decimal]):
    """Decimals by their wire text: building a Decimal costs several dict lookups, and the
    same prices and quantities come back snapshot after snapshot and diff after diff.
    Sharing is safe because a Decimal is immutable (and the key is the exact text, so
    ``"1.0"`` and ``"1.00"`` keep their own exponents): one instance can serve every book
    and every event. Bounded: it starts over when full, so at most ``_MEMO_SIZE`` entries
    (a few MB) live, whatever the stream sends."""

    def __missing__(self, text: str) -> Decimal:
        value = msgspec.convert(text, Decimal)  # exactly what the typed decoder accepts
        if len(self) >= _MEMO_SIZE:
            self.clear()
        self[text] = value
        return value


class _LevelMemo(dict[tuple[str, str], PriceLevel]):
    """Whole levels by their wire text: below the top of a book most levels are unchanged
    from one snapshot to the next. Bounded like ``_DecimalMemo``."""

    def __missing__(self, level: tuple[str, str]) -> PriceLevel:
        value = (_DECIMALS[level[0]], _DECIMALS[level[1]])
        if len(self) >= _MEMO_SIZE:
            self.clear()
        self[level] = value
        return value


_MEMO_SIZE: Final = 32768
_DECIMALS = _DecimalMemo()
_LEVELS = _LevelMemo()
_BOOK_TEXT_DECODER = msgspec.json.Decoder(_BookText)


def decode_order_book(data: bytes) -> OrderBook:
    """A REST depth snapshot, the same ``OrderBook`` the typed decoder gives, about twice as
    fast: a snapshot is up to 10,000 Decimals, and most of them are met again in the next."""
    try:
        book = _BOOK_TEXT_DECODER.decode(data)
        level = _LEVELS.__getitem__
        return OrderBook(
            last_update_id=book.last_update_id,
            bids=list(map(level, book.bids)),
            asks=list(map(level, book.asks)),
        )
    except msgspec.ValidationError:
        # Numbers not sent as strings, or not numbers: the typed decoder accepts the first
        # and names the faulty field of the second.
        return PARTIAL_DEPTH_DECODER.decode(data)


_DEPTH_TEXT_DECODER = msgspec.json.Decoder(_DepthUpdateText)
_DEPTH_UPDATE_DECODER = msgspec.json.Decoder(DepthUpdateEvent)


def decode_depth_update(data: bytes | msgspec.Raw) -> DepthUpdateEvent:
    """A diff depth event, the same ``DepthUpdateEvent`` the typed decoder gives, about three
    times as fast into a book: levels near the top come back diff after diff, so their
    Decimals are memo hits, and a memoised Decimal keeps its hash cached, which the book's
    dict would otherwise compute afresh for every level (Decimal hashing is slow)."""
    try:
        diff = _DEPTH_TEXT_DECODER.decode(data)
        dec = _DECIMALS
        return DepthUpdateEvent(
            event_time=diff.event_time,
            symbol=diff.symbol,
            first_update_id=diff.first_update_id,
            final_update_id=diff.final_update_id,
            bids=[(dec[price], dec[qty]) for price, qty in diff.bids],
            asks=[(dec[price], dec[qty]) for price, qty in diff.asks],
            prev_final_update_id=diff.prev_final_update_id,
            transaction_time=diff.transaction_time,
        )
    except msgspec.ValidationError:
        # As for snapshots: the typed decoder takes numbers sent unquoted and names the
        # faulty field of anything else.
        return _DEPTH_UPDATE_DECODER.decode(data)


class DepthUpdateDecoder:
    """``decode_depth_update`` behind the ``decode`` method of a msgspec decoder, so a
    stream's payload decoder can be chosen by name like the others."""

    __slots__ = ()

    def decode(self, data: bytes | msgspec.Raw, /) -> DepthUpdateEvent:
        return decode_depth_update(data)


class PayloadDecoder(Protocol):
    """What ``market_decoder`` gives: a msgspec decoder or ``DepthUpdateDecoder``."""

    def decode(self, data: bytes | msgspec.Raw, /) -> Any: ...


DEPTH_UPDATE_DECODER: Final = DepthUpdateDecoder()


def market_decoder(stream: str) -> PayloadDecoder:
    """The decoder for a market stream's payloads, by stream name (``btcusdt@depth5@100ms``,
    ``!ticker@arr``, ``btcusdt@bookTicker`` ...)."""
    parts = stream.split("@")
    kind = parts[1] if len(parts) > 1 else ""
    if parts[-1] == "arr":
        return MARKET_EVENT_LIST_DECODER
    if kind == "bookTicker" or stream == "!bookTicker":
        return BOOK_TICKER_DECODER
    if kind in _PARTIAL_DEPTHS:
        return PARTIAL_DEPTH_DECODER
    if kind == "depth":
        return DEPTH_UPDATE_DECODER
    return MARKET_EVENT_DECODER
