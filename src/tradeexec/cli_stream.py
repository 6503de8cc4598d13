"""``tradeexec stream STREAM...``: watch market streams, one line per event.

It goes through ``MarketStream``, so what a user watches is what the library delivers:
decoded, typed events, reconnects included. Events go to standard output (human lines, or
with ``--json`` the event as Binance sent it, one JSON object per line, prices as strings);
connection changes go to standard error, so a pipe sees only events. ``--count`` and
``--duration`` bound the run; Ctrl-C ends it cleanly with exit code 0.

A stream name Binance would refuse is refused here, before connecting, by the grammar of the
"Web Socket Streams" section of the Spot API docs; a server that still refuses the first
handshake (HTTP 4xx) ends the command as a user error instead of being retried, since
retrying the same names cannot succeed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from tradeexec.binance.enums import KlineInterval
from tradeexec.binance.models import (
    AggTradeEvent,
    BookTickerEvent,
    DepthUpdateEvent,
    KlineEvent,
    MiniTickerEvent,
    OrderBook,
    TickerEvent,
    TradeEvent,
)
from tradeexec.binance.streams import ConnectionEvent, ConnectionState, MarketStream
from tradeexec.cli_common import EXIT_OK, UsageError, add_command, int_arg, seconds_arg, text
from tradeexec.config import load_settings
from tradeexec.errors import InvalidParameter

__all__ = ["describe", "register", "stream_name"]

_EX_STREAM = """  tradeexec stream btcusdt@trade                         # until Ctrl-C
  tradeexec stream btcusdt@bookTicker ethusdt@aggTrade --count 20
  tradeexec stream btcusdt@depth5@100ms --duration 10 --json > book.jsonl
  tradeexec --venue spot-testnet stream '!miniTicker@arr' --count 5
  tradeexec --base-url http://127.0.0.1:8765 stream BTCUSDT@kline_1m
  symbols may be given in any case; connection changes are reported on stderr.
"""


def register(sub: Any) -> None:
    p = add_command(sub, "stream", "print market stream events as they arrive", _EX_STREAM, _cmd_stream)
    p.add_argument("streams", nargs="+", metavar="STREAM", help="e.g. btcusdt@trade, btcusdt@depth@100ms")
    p.add_argument("--count", type=int_arg, help="stop after this many events")
    p.add_argument("--duration", type=seconds_arg, help="stop after this many seconds")


_WINDOW = "(?:1h|4h|1d)"
_INTERVAL = "(?:" + "|".join(re.escape(i.value) for i in KlineInterval) + ")"
_SPEED = "(?:@100ms|@1000ms)?"
_STREAM = re.compile(
    rf"[a-z0-9\-_.]{{1,20}}@(?:trade|aggTrade|bookTicker|ticker|miniTicker|ticker_{_WINDOW}"
    rf"|kline_{_INTERVAL}|depth(?:5|10|20)?{_SPEED})"
    rf"|!(?:ticker|miniTicker|ticker_{_WINDOW})@arr|!bookTicker"
)
_KINDS = (
    "kinds: trade aggTrade bookTicker ticker miniTicker ticker_<1h|4h|1d> kline_<1s..1M>"
    " depth[5|10|20][@100ms]; all-market: !ticker@arr !miniTicker@arr !ticker_<1h|4h|1d>@arr !bookTicker"
)
# A handshake refused with one of these will not succeed on a retry; 418/429 are bans, not names.
_REFUSED = re.compile(r"WSServerHandshakeError\(.*status=(4(?!18|29)\d\d)")


def stream_name(raw: str) -> str:
    """Binance wants lowercase symbols but camel-case kinds (``btcusdt@bookTicker``)."""
    symbol, at, rest = raw.strip().partition("@")
    name = (symbol if symbol.startswith("!") else symbol.lower()) + at + rest
    if _STREAM.fullmatch(name) is None:
        raise UsageError(
            f"not a Binance stream name: {raw!r}; expected <symbol>@<kind>, like btcusdt@trade", _KINDS
        )
    return name


def _clock(ms: int | None) -> str:
    when = datetime.fromtimestamp(ms / 1000 if ms else time.time(), UTC)
    return when.strftime("%H:%M:%S.%f")[:-3]


def _level(levels: list[tuple[Decimal, Decimal]]) -> str:
    return f"{text(levels[0][0])} x {text(levels[0][1])}" if levels else "-"


def describe(event: Any) -> str:
    """One human line for one event."""
    at = _clock(getattr(event, "event_time", None))
    if isinstance(event, TradeEvent | AggTradeEvent):
        kind = "trade" if isinstance(event, TradeEvent) else "aggTrade"
        taker = "sell" if event.is_buyer_maker else "buy"
        return f"{at}  {event.symbol:<10} {kind:<9} {text(event.quantity)} @ {text(event.price)}  ({taker})"
    if isinstance(event, BookTickerEvent):
        return (
            f"{at}  {event.symbol:<10} {'book':<9} bid {text(event.bid_price)} x {text(event.bid_qty)}"
            f"  ask {text(event.ask_price)} x {text(event.ask_qty)}"
        )
    if isinstance(event, DepthUpdateEvent):
        return (
            f"{at}  {event.symbol:<10} {'depth':<9} {len(event.bids)} bid / {len(event.asks)} ask changes"
            f"  U={event.first_update_id} u={event.final_update_id}"
        )
    if isinstance(event, OrderBook):
        return f"{at}  {'':<10} {'top':<9} bid {_level(event.bids)}  ask {_level(event.asks)}"
    if isinstance(event, KlineEvent):
        k = event.kline
        state = "closed" if k.is_closed else "open"
        return (
            f"{at}  {event.symbol:<10} {'kline':<9} {k.interval} o {text(k.open)} h {text(k.high)}"
            f" l {text(k.low)} c {text(k.close)} v {text(k.volume)} ({state})"
        )
    if isinstance(event, TickerEvent | MiniTickerEvent):
        return (
            f"{at}  {event.symbol:<10} {'ticker':<9} last {text(event.close)} open {text(event.open)}"
            f" high {text(event.high)} low {text(event.low)} vol {text(event.volume)}"
        )
    return f"{at}  {type(event).__name__}: {msgspec.json.encode(event).decode()}"


def _events(item: Any) -> Iterable[Any]:
    """``!...@arr`` streams deliver lists: each element is one event."""
    return item if isinstance(item, list) else (item,)


def _cmd_stream(args: argparse.Namespace) -> int:
    if args.count is not None and args.count <= 0:
        raise InvalidParameter("--count", "must be positive", str(args.count))
    names = [stream_name(s) for s in args.streams]
    url = load_settings(venue=args.venue, base_url=args.base_url).urls.stream
    out = sys.stdout

    async def consume() -> None:
        seen = 0
        refused: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def first_refusal(event: ConnectionEvent) -> None:
            if event.state is ConnectionState.DISCONNECTED and not refused.done():
                status = _REFUSED.search(event.reason)
                if status is not None:
                    refused.set_result(status[1])
            elif event.state is ConnectionState.CONNECTED and not refused.done():
                refused.cancel()  # up once: later drops are the network's, and are retried

        stream = MarketStream(url, names, on_state=first_refusal)
        starting = asyncio.ensure_future(stream.start())
        try:
            first: set[asyncio.Future[Any]] = {starting, refused}
            await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
            if refused.done() and not refused.cancelled():
                raise UsageError(
                    f"the exchange refused the stream names (HTTP {refused.result()}): {' '.join(names)}",
                    "check the names against the exchange's list of streams; " + _KINDS,
                )
            await starting
            async for item in stream:
                if isinstance(item, ConnectionEvent):
                    reason = f": {item.reason}" if item.reason else ""
                    sys.stderr.write(f"-- {item.state.value} (connection {item.shard}){reason}\n")
                    continue
                for event in _events(item):
                    out.write((msgspec.json.encode(event).decode() if args.json else describe(event)) + "\n")
                    seen += 1
                    if args.count is not None and seen >= args.count:
                        return
                out.flush()
        finally:
            starting.cancel()
            await stream.close()

    async def run() -> None:
        bound = asyncio.timeout(args.duration)
        try:
            async with bound:
                await consume()
        except TimeoutError:
            if not bound.expired():
                raise  # the connection timed out, not --duration

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a watch ends
        asyncio.run(run())
    out.flush()
    return EXIT_OK
