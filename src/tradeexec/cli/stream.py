"""``tradeexec stream STREAM...``: watch market streams, one line per event.

It goes through ``MarketStream``, so what a user watches is what the library delivers:
decoded, typed events, reconnects included. Events go to standard output (human lines, or
with ``--json`` each event's payload exactly as the server sent it, one JSON object per line:
the stream's raw mode, so no number is re-encoded); connection changes go to standard error,
in words, so a pipe sees only events. ``--count`` and ``--duration`` bound the run.

The exit code is honest about what was received: a stream that never connected (server
down, wrong URL, no network: three failed attempts, or none up within the connect timeout or
``--duration``) and a run that ends short of ``--count`` (``--duration`` over, Ctrl-C) exit 1
with one line saying so; Ctrl-C of an unbounded watch is a clean exit 0.

A stream name Binance would refuse is refused here, before connecting, by the grammar of the
"Web Socket Streams" section of the Spot API docs; a server that still refuses the first
handshake (HTTP 4xx) ends the command as a user error instead of being retried, since
retrying the same names cannot succeed.
"""

from __future__ import annotations

import argparse
import asyncio
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
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.streams import MarketStream
from tradeexec.cli.common import (
    EXIT_OK,
    CommandFailed,
    UsageError,
    add_command,
    int_arg,
    seconds_arg,
    text,
)
from tradeexec.config import load_settings
from tradeexec.errors import InvalidParameter

__all__ = ["describe", "register", "stream_name", "wire_lines"]

_EX_STREAM = """  tradeexec stream btcusdt@trade                         # until Ctrl-C
  tradeexec stream btcusdt@bookTicker ethusdt@aggTrade --count 20
  tradeexec stream btcusdt@depth5@100ms --duration 10 --json > book.jsonl
  tradeexec --venue spot-testnet stream '!miniTicker@arr' --count 5
  tradeexec --base-url http://127.0.0.1:8765 stream BTCUSDT@kline_1m
  symbols may be given in any case; connection changes are reported on stderr.
  exit 1 when the stream never connected or ended before --count; Ctrl-C otherwise exits 0.
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


_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])


def wire_lines(payload: bytes | msgspec.Raw) -> list[str]:
    """A raw payload as JSON lines, each event's bytes as the server sent them: an
    ``!...@arr`` array gives one line per element."""
    data = bytes(payload)
    if data.lstrip().startswith(b"["):
        return [bytes(element).decode() for element in _RAW_LIST.decode(data)]
    return [data.decode()]


def _refused(status: int | None) -> bool:
    """A handshake refused with a 4xx will not succeed on a retry; 418/429 are bans, not names."""
    return status is not None and 400 <= status < 500 and status not in (418, 429)


class _Watch:
    """One run of the command: what it has seen, and whether the first connection came up.

    Before the first connection, a refused handshake ends the run as a user error and
    ``_GIVE_UP_AFTER`` failed attempts as a failure (the exchange is not there: a wrong URL,
    a server down, no network); once up, drops are the network's and are retried."""

    def __init__(self, url: str, names: list[str], count: int | None) -> None:
        self.url, self.names, self.count = url, names, count
        self.seen = 0
        self.failures = 0
        self.verdict: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_state(self, event: ConnectionEvent) -> None:
        if self.verdict.done():
            return
        if event.state is ConnectionState.CONNECTED:
            self.verdict.set_result(None)
        elif event.state is ConnectionState.DISCONNECTED:
            self.failures += 1
            if event.status == 404:
                self.verdict.set_exception(UsageError(
                    f"no stream server at {self.url} (HTTP 404)", "check --base-url / --venue"
                ))  # fmt: skip
            elif _refused(event.status):
                self.verdict.set_exception(UsageError(
                    f"the exchange refused the stream names (HTTP {event.status}): {' '.join(self.names)}",
                    "check the names against the exchange's list of streams; " + _KINDS,
                ))  # fmt: skip
            elif self.failures >= _GIVE_UP_AFTER:
                self.verdict.set_exception(self.unreachable(event.reason))

    @property
    def connected(self) -> bool:
        return self.verdict.done() and self.verdict.exception() is None

    def unreachable(self, why: str) -> CommandFailed:
        tries = f" ({self.failures} attempt{'s' if self.failures != 1 else ''})" if self.failures else ""
        return CommandFailed(f"no connection to the stream server at {self.url}{tries}: {why}", _UNREACHABLE)

    def short(self, why: str) -> CommandFailed | None:
        """The failure of a run that ends (``why``) before its ``--count``, or None."""
        if not self.connected:
            return self.unreachable(why)
        if self.count is not None and self.seen < self.count:
            return CommandFailed(
                f"the stream ended after {self.seen} of {self.count} events: {why}",
                "raise --duration, or check that the streams carry events (e.g. with 'tradeexec price')",
            )
        return None


_GIVE_UP_AFTER = 3
_UNREACHABLE = "is the exchange reachable at --base-url / --venue? (its stream URL is derived from them)"


def _cmd_stream(args: argparse.Namespace) -> int:
    if args.count is not None and args.count <= 0:
        raise InvalidParameter("--count", "must be positive", str(args.count))
    names = [stream_name(s) for s in args.streams]
    url = load_settings(venue=args.venue, base_url=args.base_url).urls.stream
    out = sys.stdout
    watches: list[_Watch] = []

    def show(item: Any) -> Iterable[str]:
        if args.json:
            return wire_lines(item)  # the wire's own text: "0.00000000" stays as it came
        return (describe(event) for event in _events(item))

    async def consume(watch: _Watch) -> None:
        stream = MarketStream(url, names, on_state=watch.on_state, raw=args.json)
        starting = asyncio.ensure_future(stream.start())
        try:
            await asyncio.wait({starting, watch.verdict}, return_when=asyncio.FIRST_COMPLETED)
            if watch.verdict.done() and (failure := watch.verdict.exception()) is not None:
                raise failure
            try:
                await starting
            except TimeoutError:
                raise watch.unreachable(f"not up within {stream.request_timeout_s:g} s") from None
            async for item in stream:
                if isinstance(item, ConnectionEvent):
                    reason = f": {item.reason}" if item.reason else ""
                    sys.stderr.write(f"-- {item.state.value} (connection {item.shard}){reason}\n")
                    continue
                for line in show(item):
                    out.write(line + "\n")
                    watch.seen += 1
                    if args.count is not None and watch.seen >= args.count:
                        return
                out.flush()
        finally:
            starting.cancel()
            await stream.close()

    async def run() -> None:
        watch = _Watch(url, names, args.count)
        watches.append(watch)
        bound = asyncio.timeout(args.duration)
        try:
            async with bound:
                await consume(watch)
                return
        except TimeoutError:
            if not bound.expired():
                raise  # the connection timed out, not --duration
        failure = watch.short(f"--duration {args.duration:g} s is over")
        if failure is not None:
            raise failure

    try:
        asyncio.run(run())
    except KeyboardInterrupt:  # Ctrl-C is how a watch ends; short of --count it is a failure
        failure = watches[0].short("interrupted") if watches else None
        if failure is not None:
            raise failure from None
    finally:
        out.flush()
    return EXIT_OK
