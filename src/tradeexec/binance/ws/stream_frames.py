"""How a market-stream frame is decoded: combined-stream frames whose events carry an ``e``
tag in one pass (``TaggedFrame``), the others with ``data`` left raw for the decoder of their
stream (``UntaggedFrame``), control answers (SUBSCRIBE ...), raw passthrough, and the per-stream
id that deduplicates events during a handover."""

from __future__ import annotations

from typing import Any

import msgspec

from tradeexec.binance.models import (
    MARKET_EVENT_DECODER,
    AggTradeEvent,
    BookTickerEvent,
    CombinedStreamMessage,
    DepthUpdateEvent,
    MarketEvent,
    StreamResponse,
    TradeEvent,
    market_decoder,
)

COMBINED_DECODER = msgspec.json.Decoder(CombinedStreamMessage)


class TaggedFrame(msgspec.Struct, frozen=True, gc=False):
    """A combined-stream frame whose event carries its ``e`` tag: decoded in one pass."""

    stream: str
    data: MarketEvent


TAGGED_FRAME_DECODER = msgspec.json.Decoder(TaggedFrame)


class UntaggedFrame(msgspec.Struct, frozen=True, gc=False):
    """A frame decoded off the tagged path: bookTicker, depth, ``@arr`` lists."""

    stream: str
    data: Any


class ControlError(msgspec.Struct, frozen=True):
    code: int
    msg: str = ""


class ControlAnswer(StreamResponse, frozen=True):
    """Today's servers nest errors (``{"error": {"code", "msg"}, "id"}``); the 2022 reference
    puts ``code`` and ``msg`` at the top. Both are read."""

    error: ControlError | None = None


CONTROL_ANSWER_DECODER = msgspec.json.Decoder(ControlAnswer)


class Passthrough:
    """The payload decoder of a ``raw`` stream: the bytes as the server sent them."""

    @staticmethod
    def decode(data: bytes | msgspec.Raw, /) -> bytes | msgspec.Raw:
        return data


PASSTHROUGH = Passthrough()


StreamEvent = Any
"""A decoded market event (see ``tradeexec.binance.models.MarketEvent``) or a list of them
for ``!...@arr`` streams, or a ``BookTickerEvent`` / ``OrderBook`` by stream name."""


def dedupe_key(event: object) -> int | None:
    """A per-stream increasing id, to drop what both connections deliver during a handover."""
    if isinstance(event, DepthUpdateEvent):
        return event.final_update_id
    if isinstance(event, TradeEvent):
        return event.trade_id
    if isinstance(event, AggTradeEvent):
        return event.agg_trade_id
    if isinstance(event, BookTickerEvent):
        return event.update_id
    event_time = getattr(event, "event_time", None)
    return event_time if isinstance(event_time, int) else getattr(event, "last_update_id", None)


def is_tagged_stream(stream: str) -> bool:
    return market_decoder(stream) is MARKET_EVENT_DECODER
