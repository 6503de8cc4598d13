"""Market streams: ``/ws/<stream>``, ``/ws`` with SUBSCRIBE, and ``/stream?streams=...``.

The hub listens to the event bus and turns engine events into stream payloads, each encoded
once however many connections receive it. Real-time streams (trade, aggTrade, bookTicker,
listenKey events) go out from the bus listener; interval streams (depth diffs, partial depth,
klines, tickers) are built by one timer task, and only for streams somebody subscribed to.

Depth diffs are what clients rebuild books from, so they keep the engine's update ids: an
interval's event carries U of its first engine update and u of its last, and the final
absolute quantity of every level touched in between, which makes them continuous with the
REST snapshot's ``lastUpdateId``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Sequence
from typing import Any

import msgspec
from aiohttp import web

from tradeexec.binance.ws.stream_frames import ControlAnswer
from tradeexec.sim.binance import formats
from tradeexec.sim.binance.service import Service, WireState
from tradeexec.sim.binance.stream_builders import DepthAccumulator, KlineBuilder
from tradeexec.sim.binance.stream_names import KLINE_INTERVALS_MS, StreamSpec, parse_stream
from tradeexec.sim.binance.userdata import UserDataHub
from tradeexec.sim.binance.ws_conn import ConnectionRegistry, ConnLimits, WsServerConnection, valid_request_id
from tradeexec.sim.engine import (
    DepthEvent,
    DepthSnapshot,
    Engine,
    EngineReject,
    Event,
    TradePrint,
    TradePrintEvent,
)
from tradeexec.sim.faults import FaultKind
from tradeexec.sim.params import ApiError, Params
from tradeexec.sim.tape import TradeTape

log = logging.getLogger(__name__)

_METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")


# ---- sessions ------------------------------------------------------------------------------


class StreamSession:
    """One market-stream connection: its subscriptions and its ``combined`` property."""

    def __init__(
        self, hub: StreamHub, conn: WsServerConnection, combined: bool, owned_key: str | None
    ) -> None:
        self.hub = hub
        self.conn = conn
        self.combined = combined
        self.owned_key = owned_key  # the listenKey in the URL path: its expiry ends the connection
        self.streams: dict[str, StreamSpec] = {}
        self.user_handles: dict[str, int] = {}

    def deliver(self, name: str, payload: bytes) -> None:
        self.conn.send(formats.combined(name, payload) if self.combined else payload)

    # listenKey streams are UserSinks; the key is bound per stream by _KeySink.

    async def on_text(self, data: bytes) -> None:
        reply = self.handle(data)
        if reply is not None:
            self.conn.send(formats.encode(reply))

    def handle(self, data: bytes) -> ControlAnswer | None:
        try:
            request = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            return _error(3, f"Invalid JSON: {_json_detail(exc)}", None)
        if not isinstance(request, dict):
            return _error(2, "Invalid request: expected a JSON object", None)
        request_id = request.get("id")
        if "method" not in request:
            return _error(
                2, f"Invalid request: missing field `method` at line 1 column {len(data)}", request_id
            )
        method = request["method"]
        if method not in _METHODS:
            return _error(
                2,
                f"Invalid request: unknown variant `{method}`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, "
                f"`LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column {len(data)}",
                request_id,
            )
        if not valid_request_id(request_id):
            return _error(2, "Invalid request: request ID must be an unsigned integer", None)
        params = request.get("params", [])
        if not isinstance(params, list):
            return _error(2, "Invalid request: params must be an array", request_id)
        if method == "SUBSCRIBE":
            return self._subscribe(params, request_id)
        if method == "UNSUBSCRIBE":
            return self._unsubscribe(params, request_id)
        if method == "LIST_SUBSCRIPTIONS":
            if params:
                return _error(2, "Invalid request: too many parameters", request_id)
            return formats.control_result(list(self.streams), request_id)
        return self._property(method, params, request_id)

    def _subscribe(self, params: list[Any], request_id: int | str | None) -> ControlAnswer:
        specs: list[StreamSpec] = []
        for raw in params:
            if not isinstance(raw, str):
                return _error(2, "Invalid request: stream name must be a string", request_id)
            spec = self.hub.parse(raw)
            if spec is None:
                return _error(2, f"Invalid request: invalid stream name `{raw}`", request_id)
            specs.append(spec)
        new = {s.name for s in specs} - set(self.streams)
        if len(self.streams) + len(new) > self.hub.max_streams:
            return _error(4, "Too many subscriptions", request_id)
        for spec in specs:
            self.add(spec)
        return formats.control_result(None, request_id)

    def _unsubscribe(self, params: list[Any], request_id: int | str | None) -> ControlAnswer:
        for raw in params:
            if not isinstance(raw, str):
                return _error(2, "Invalid request: stream name must be a string", request_id)
        for raw in params:
            self.remove(raw)
        return formats.control_result(None, request_id)

    def _property(self, method: str, params: list[Any], request_id: int | str | None) -> ControlAnswer:
        if not params:
            return _error(2, "Invalid request: property name must be a string", request_id)
        name = params[0]
        if not isinstance(name, str):
            return _error(2, "Invalid request: property name must be a string", request_id)
        if name != "combined":
            return _error(0, "Unknown property", request_id)
        if method == "GET_PROPERTY":
            if len(params) > 1:
                return _error(2, "Invalid request: too many parameters", request_id)
            return formats.control_result(self.combined, request_id)
        if len(params) != 2:
            return _error(
                2,
                "Invalid request: too many parameters"
                if len(params) > 2
                else "Invalid request: missing property value",
                request_id,
            )
        if not isinstance(params[1], bool):
            return _error(1, "Invalid value type: expected Boolean", request_id)
        self.combined = params[1]
        return formats.control_result(None, request_id)

    def add(self, spec: StreamSpec) -> None:
        if spec.name in self.streams:
            return
        self.streams[spec.name] = spec
        if spec.kind == "listenKey":
            account = self.hub.users.listen_key_account(spec.name)
            if account is not None:
                sink = _KeySink(self, spec.name)
                self.user_handles[spec.name] = self.hub.users.subscribe(account, sink, listen_key=spec.name)
            return
        self.hub.attach(self, spec)

    def remove(self, name: str) -> None:
        spec = self.streams.pop(name, None)
        if spec is None:
            return
        handle = self.user_handles.pop(name, None)
        if handle is not None:
            self.hub.users.unsubscribe(handle)
            return
        self.hub.detach(self, spec)

    def close(self) -> None:
        for name in list(self.streams):
            self.remove(name)


class _KeySink:
    """A listenKey stream of one session, as a UserSink."""

    __slots__ = ("name", "session")

    def __init__(self, session: StreamSession, name: str) -> None:
        self.session = session
        self.name = name

    def push(self, payload: bytes) -> None:
        self.session.deliver(self.name, payload)

    def expired(self, payload: bytes) -> None:
        session = self.session
        session.deliver(self.name, payload)
        session.streams.pop(self.name, None)
        session.user_handles.pop(self.name, None)
        if session.owned_key == self.name:
            session.conn.close_soon()


def _error(code: int, msg: str, request_id: object) -> ControlAnswer:
    rid = request_id if isinstance(request_id, int | str) else None
    return formats.control_error(code, msg, rid)


def _json_detail(exc: msgspec.DecodeError) -> str:
    text = str(exc)
    m = re.search(r"char (\d+)", text)
    column = int(m[1]) + 1 if m else 1
    return f"expected value at line 1 column {column}"


# ---- the hub -------------------------------------------------------------------------------


class StreamHub:
    def __init__(
        self,
        state: WireState,
        users: UserDataHub,
        registry: ConnectionRegistry,
    ) -> None:
        self.state = state
        self.users = users
        self.registry = registry
        self.subs: dict[str, dict[StreamSession, None]] = {}
        self.specs: dict[str, StreamSpec] = {}
        self.depth_acc: dict[tuple[str, bool], DepthAccumulator] = {}
        self.klines: dict[str, KlineBuilder] = {}
        self._book_tops: dict[str, tuple[Any, Any]] = {}
        self._changed: set[str] = set()
        self._bus_handle: int | None = None
        self._timer: asyncio.Task[None] | None = None

    @property
    def max_streams(self) -> int:
        return self.state.config.streams.max_streams_per_connection

    def limits(self) -> ConnLimits:
        cfg = self.state.config.streams
        return ConnLimits(
            ping_interval_s=cfg.ping_interval_s,
            pong_timeout_s=cfg.pong_timeout_s,
            max_lifetime_s=cfg.max_lifetime_s,
            inbound_per_s=cfg.inbound_messages_per_s,
            send_queue=cfg.send_queue,
        )

    def parse(self, raw: str) -> StreamSpec | None:
        return parse_stream(raw, self.users.listen_key_account)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._listen()
        self._timer = asyncio.get_running_loop().create_task(self._timer_loop())

    async def stop(self) -> None:
        self._unlisten()
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None

    # ---- the market it serves (spot's; the futures hub overrides these) --------------------

    def _listen(self) -> None:
        self._bus_handle = self.state.bus.add_listener(self.on_events)

    def _unlisten(self) -> None:
        if self._bus_handle is not None:
            self.state.bus.remove_listener(self._bus_handle)
            self._bus_handle = None

    @property
    def engine(self) -> Engine:
        return self.state.engine

    @property
    def tape(self) -> TradeTape:
        return self.state.tape

    def agg_trade_payload(self, t: TradePrint, now: int) -> bytes:
        return formats.agg_trade(t, now)

    def book_ticker_payload(self, symbol: str, update_id: int, top: tuple[Any, Any], now: int) -> bytes:
        return formats.book_ticker(symbol, update_id, top[0], top[1])

    def partial_payload(self, spec: StreamSpec, snap: DepthSnapshot, now: int) -> bytes:
        return formats.partial_depth(snap, spec.levels)

    def depth_payload(self, symbol: str, acc: DepthAccumulator, now: int) -> bytes | None:
        return acc.flush(symbol, now)

    def depth_names(self, symbol: str, fast: bool) -> tuple[str, ...]:
        """The diff streams one interval's diff goes to (the first is the fault's target)."""
        sym = symbol.lower()
        return (f"{sym}@depth@100ms",) if fast else (f"{sym}@depth", f"{sym}@depth@1000ms")

    # ---- subscriptions ---------------------------------------------------------------------

    def attach(self, session: StreamSession, spec: StreamSpec) -> None:
        subscribers = self.subs.get(spec.name)
        if subscribers is None:
            subscribers = self.subs[spec.name] = {}
            self.specs[spec.name] = spec
            if spec.kind == "kline":
                self._start_kline(spec)
            elif spec.kind == "depth":
                self.depth_acc.setdefault((spec.symbol, spec.fast), DepthAccumulator())
        subscribers[session] = None

    def detach(self, session: StreamSession, spec: StreamSpec) -> None:
        subscribers = self.subs.get(spec.name)
        if subscribers is None:
            return
        subscribers.pop(session, None)
        if subscribers:
            return
        del self.subs[spec.name]
        del self.specs[spec.name]
        if spec.kind == "kline":
            self.klines.pop(spec.name, None)
        elif spec.kind == "depth" and not any(
            s.kind == "depth" and s.symbol == spec.symbol and s.fast == spec.fast for s in self.specs.values()
        ):
            self.depth_acc.pop((spec.symbol, spec.fast), None)
        elif spec.kind == "bookTicker":
            self._book_tops.pop(spec.symbol, None)

    def deliver(self, name: str, payload: bytes) -> None:
        subscribers = self.subs.get(name)
        if not subscribers:
            return
        wrapped: bytes | None = None
        for session in list(subscribers):
            if session.combined:
                if wrapped is None:
                    wrapped = formats.combined(name, payload)
                session.conn.send(wrapped)
            else:
                session.conn.send(payload)

    # ---- real-time events ------------------------------------------------------------------

    def on_events(self, events: Sequence[Event]) -> None:
        if not self.subs:
            return
        now = self.state.now_ms()
        for ev in events:
            if isinstance(ev, TradePrintEvent):
                self._on_trade(ev.trade, now)
            elif isinstance(ev, DepthEvent):
                self._on_depth(ev, now)

    def _on_trade(self, t: TradePrint, now: int) -> None:
        sym = t.symbol.lower()
        self._changed.add(t.symbol)
        name = f"{sym}@trade"
        if name in self.subs:
            self.deliver(name, formats.trade(t, now))
        name = f"{sym}@aggTrade"
        if name in self.subs:
            self.deliver(name, self.agg_trade_payload(t, now))
        for builder_name, builder in self.klines.items():
            if builder.symbol == t.symbol:
                self._kline_roll(builder_name, builder, t.time, now)
                builder.add(t)

    def _on_depth(self, ev: DepthEvent, now: int) -> None:
        for fast in (True, False):
            acc = self.depth_acc.get((ev.symbol, fast))
            if acc is not None:
                acc.add(ev)
        sym = ev.symbol.lower()
        name = f"{sym}@bookTicker"
        if name in self.subs or "!bookTicker" in self.subs:
            snap = self.depth(ev.symbol, 1)
            if snap is None:
                return
            top = (snap.bids[0] if snap.bids else None, snap.asks[0] if snap.asks else None)
            if self._book_tops.get(ev.symbol) == top:
                return
            self._book_tops[ev.symbol] = top
            payload = self.book_ticker_payload(ev.symbol, ev.last_update_id, top, now)
            self.deliver(name, payload)
            self.deliver("!bookTicker", payload)

    def depth(self, symbol: str, limit: int) -> DepthSnapshot | None:
        """None for a symbol the engine does not list (a stream named for it stays silent)."""
        try:
            return self.engine.depth(symbol, limit)
        except EngineReject:
            return None

    # ---- interval streams ------------------------------------------------------------------

    async def _timer_loop(self) -> None:
        loop = asyncio.get_running_loop()
        timings = self.state.config.streams
        next_fast = loop.time() + timings.fast_interval_s
        next_slow = loop.time() + timings.slow_interval_s
        while True:
            await asyncio.sleep(max(0.0, min(next_fast, next_slow) - loop.time()))
            now = loop.time()
            slow = now >= next_slow
            if now >= next_fast:
                next_fast = max(next_fast + timings.fast_interval_s, now)
            if slow:
                next_slow = max(next_slow + timings.slow_interval_s, now)
            try:
                self.tick(fast=True, slow=slow)
            except Exception:
                log.exception("stream timer tick failed")

    def tick(self, *, fast: bool, slow: bool) -> None:
        """Emit the interval streams that are due: ``fast`` the 100 ms ones, ``slow`` the rest."""
        if not self.subs:
            self._changed.clear()
            return
        now = self.state.now_ms()
        for (symbol, is_fast), acc in list(self.depth_acc.items()):
            if (fast if is_fast else slow) and acc.first_id >= 0:
                self._flush_depth(symbol, is_fast, acc, now)
        for name, spec in list(self.specs.items()):
            if spec.kind == "partial" and (fast if spec.fast else slow):
                snap = self.depth(spec.symbol, spec.levels)
                if snap is not None:
                    self.deliver(name, self.partial_payload(spec, snap, now))
        if not slow:
            return
        for name, builder in list(self.klines.items()):
            self._kline_roll(name, builder, now, now)
            self.deliver(name, builder.payload(False, now))
        self._emit_tickers(now)
        self._changed.clear()

    def _flush_depth(self, symbol: str, fast: bool, acc: DepthAccumulator, now: int) -> None:
        names = self.depth_names(symbol, fast)
        payload = self.depth_payload(symbol, acc, now)
        if payload is None:
            return
        faults = self.state.faults
        if faults.rules and faults.should(FaultKind.DEPTH_GAP, names[0]):
            return
        for name in names:
            self.deliver(name, payload)

    def _start_kline(self, spec: StreamSpec) -> None:
        interval_ms = KLINE_INTERVALS_MS[spec.interval]
        now = self.state.now_ms()
        builder = KlineBuilder(spec.symbol, spec.interval, interval_ms, now // interval_ms * interval_ms)
        last = self.tape.last_trade(spec.symbol)
        builder.last_price = last.price if last else None
        for t in self.tape.trades(spec.symbol, builder.open_time, now):
            builder.add(t)
        self.klines[spec.name] = builder

    def _kline_roll(self, name: str, builder: KlineBuilder, time_ms: int, now: int) -> None:
        """Close the candle when ``time_ms`` is past it: its final state goes out with x=true."""
        if time_ms <= builder.close_time:
            return
        self.deliver(name, builder.payload(True, now))
        builder.roll(time_ms)

    def _emit_tickers(self, now: int) -> None:
        service = self.state.service
        arrays: dict[str, list[msgspec.Struct]] = {}
        for name, spec in list(self.specs.items()):
            if spec.kind not in ("ticker", "miniTicker", "rolling"):
                continue
            symbols = [spec.symbol] if spec.symbol else sorted(self._changed)
            items: list[msgspec.Struct] = []
            for symbol in symbols:
                rest = self._rest_ticker(service, symbol, spec)
                if rest is None:
                    continue
                items.append(self.ticker_item(rest, spec, now))
            if spec.symbol:
                if items:
                    self.deliver(name, formats.encode(items[0]))
            elif items:
                arrays[name] = items
        for name, items in arrays.items():
            self.deliver(name, formats.encode(items))

    def ticker_item(self, rest: Any, spec: StreamSpec, now: int) -> msgspec.Struct:
        """The stream ticker of a REST ticker: 24-hour, mini or rolling by ``spec.kind``."""
        if spec.kind == "ticker":
            return formats.ticker_24h(rest, now)
        if spec.kind == "miniTicker":
            return formats.mini_ticker(rest, now)
        return formats.rolling_ticker(rest, spec.interval, now)

    def _rest_ticker(self, service: Service, symbol: str, spec: StreamSpec) -> Any:
        """The REST ticker of the same statistics, so stream and REST agree to the digit."""
        try:
            if spec.kind == "rolling":
                rest = service.rolling_ticker(Params({"symbol": symbol, "windowSize": spec.interval}), None)
            else:
                rest = service.ticker_24hr(Params({"symbol": symbol}), None)
        except ApiError:
            return None
        return rest

    # ---- HTTP handlers ---------------------------------------------------------------------

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        """``/ws`` and ``/ws/<s1>/<s2>...``: raw payloads."""
        names = [n for n in request.match_info.get("streams", "").split("/") if n]
        return await self._serve(request, names, combined=False)

    async def handle_stream(self, request: web.Request) -> web.StreamResponse:
        """``/stream?streams=a/b/c``: payloads wrapped as ``{"stream", "data"}``."""
        names = [n for n in request.query.get("streams", "").split("/") if n]
        return await self._serve(request, names, combined=True)

    async def _serve(self, request: web.Request, names: list[str], *, combined: bool) -> web.StreamResponse:
        # A path segment that is not stream-shaped (no '@', no '!') names nothing and opens a
        # connection that subscribes afterwards, as ccxt does with ``/ws/<n>``; a stream-shaped
        # name this exchange does not serve is refused, so a typo fails at once.
        specs: list[StreamSpec] = []
        for raw in names:
            spec = self.parse(raw)
            if spec is not None:
                specs.append(spec)
            elif "@" in raw or raw.startswith("!"):
                return formats.refused(-1121, f"Invalid stream name: {raw}")
        if len(specs) > self.max_streams:
            return formats.refused(4, "Too many subscriptions")
        conn = WsServerConnection(request, self.limits(), self.state.faults, request.path, self.registry)
        owned = next((s.name for s in specs if s.kind == "listenKey"), None) if not combined else None
        session = StreamSession(self, conn, combined, owned)
        conn.on_close(session.close)
        for spec in specs:
            session.add(spec)
        return await conn.run(session.on_text)
