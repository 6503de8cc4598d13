"""USDⓈ-M futures market streams on the routed endpoints: ``/public/ws[/<streams>]`` and
``/public/stream?streams=`` for the book streams (diff and partial depth, bookTicker),
``/market/...`` for the rest (aggTrade, kline, markPrice, forceOrder), each with SUBSCRIBE.
The all-market streams follow the same rule: ``!bookTicker`` on ``/public``;
``!markPrice@arr[@1s]``, ``!ticker@arr``, ``!miniTicker@arr`` (contracts that traded since the
last tick) and ``!forceOrder@arr`` on ``/market``.

Spot's ``StreamHub`` does the work (sessions, SUBSCRIBE, combined wrapping, depth
accumulation with the engine's ids, klines, faults); ``FuturesStreamHub`` points it at the
futures engine and its tape, swaps in the futures payloads and adds the mark price and
liquidation streams. One hub per route: a stream named on the wrong route is accepted and
never delivers, which is what Binance does (``binance/ws/futures_routes.py`` picks the route
on the client side from the same rule, ``route_of``).

Simplified: ``@depth`` and ``@depth@500ms`` (Binance: 250 and 500 ms) and the partial
depths without a speed go out on the slow timer (1 s by default), ``@100ms`` on the fast
one; ``@markPrice`` every third slow tick (3 s), ``@markPrice@1s`` every slow tick.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from tradeexec.binance.ws.futures_routes import FuturesRoute, route_of
from tradeexec.sim.binance import futures_stream_formats as ff
from tradeexec.sim.binance.service import Service, WireState
from tradeexec.sim.binance.stream_builders import DepthAccumulator
from tradeexec.sim.binance.stream_names import StreamSpec, kline_or_depth
from tradeexec.sim.binance.userdata import UserDataHub
from tradeexec.sim.binance.ws_conn import ConnectionRegistry
from tradeexec.sim.binance.ws_streams import StreamHub, StreamSession
from tradeexec.sim.engine import DepthSnapshot, Engine, TradePrint
from tradeexec.sim.tape import TradeTape

__all__ = ["FuturesMarketStreams", "FuturesStreamHub", "parse_futures_stream"]

_STREAM = re.compile(
    r"^(?P<symbol>[a-z0-9]{1,20})@(?P<kind>aggTrade|bookTicker|forceOrder|ticker|miniTicker"
    r"|markPrice(?:@(?P<mark>1s))?"
    r"|kline_(?P<interval>[0-9]{1,2}[mhdw])"
    r"|depth(?P<levels>5|10|20)?(?:@(?P<speed>100ms|500ms))?)$"
)
# The all-market streams Binance's USDⓈ-M pages list: arrays of mark prices and tickers,
# each liquidation, every book ticker.
_ALL = re.compile(
    r"^!(?:(?P<kind>ticker|miniTicker|forceOrder)@arr|markPrice@arr(?:@(?P<mark>1s))?|bookTicker)$"
)
_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_MARK_EVERY = {"1s": 1, "3s": 3}  # slow ticks between two mark price events


def parse_futures_stream(raw: str, symbols: Sequence[str]) -> StreamSpec | None:
    """The futures stream ``raw`` names on a listed contract, or None."""
    m = _STREAM.match(raw)
    if m is None:
        return _parse_all_market(raw)
    symbol = m["symbol"].translate(_UPPER)
    if symbol not in symbols:
        return None
    kind = m["kind"]
    if m["interval"] or kind.startswith("depth"):
        return kline_or_depth(raw, symbol, m)
    if kind.startswith("markPrice"):
        return StreamSpec(raw, "markPrice", symbol, "1s" if m["mark"] else "3s")
    return StreamSpec(raw, kind, symbol)


def _parse_all_market(raw: str) -> StreamSpec | None:
    """An all-market stream: the symbol is "" (every contract), the kind that of the
    per-symbol stream it gathers."""
    m = _ALL.match(raw)
    if m is None:
        return None
    if raw == "!bookTicker":
        return StreamSpec(raw, "bookTicker")
    if m["kind"] is None:
        return StreamSpec(raw, "markPrice", "", "1s" if m["mark"] else "3s")
    return StreamSpec(raw, m["kind"])


class FuturesStreamHub(StreamHub):
    def __init__(
        self, state: WireState, users: UserDataHub, registry: ConnectionRegistry, route: FuturesRoute
    ) -> None:
        super().__init__(state, users, registry)
        self.route = route
        self._slow_ticks = 0
        self._force_seen = 0
        self._partial_prev: dict[str, int] = {}

    # ---- the futures market ------------------------------------------------------------------

    def _listen(self) -> None:
        self._force_seen = self.state.futures.history.force_total
        self.state.futures.market_listeners.append(self.on_events)

    def _unlisten(self) -> None:
        listeners = self.state.futures.market_listeners
        if self.on_events in listeners:
            listeners.remove(self.on_events)

    @property
    def engine(self) -> Engine:
        return self.state.futures.engine

    @property
    def tape(self) -> TradeTape:
        return self.state.futures.tape

    def parse(self, raw: str) -> StreamSpec | None:
        return parse_futures_stream(raw, tuple(self.state.futures.contracts))

    def attach(self, session: StreamSession, spec: StreamSpec) -> None:
        """A stream of the other route is kept on the session (LIST_SUBSCRIPTIONS shows it)
        but never fed, as Binance's routed endpoints do."""
        if route_of(spec.name) == self.route:
            super().attach(session, spec)

    def agg_trade_payload(self, t: TradePrint, now: int) -> bytes:
        return ff.agg_trade(t, now)

    def book_ticker_payload(self, symbol: str, update_id: int, top: tuple[Any, Any], now: int) -> bytes:
        return ff.book_ticker(symbol, update_id, top[0], top[1], now)

    def partial_payload(self, spec: StreamSpec, snap: DepthSnapshot, now: int) -> bytes:
        prev = self._partial_prev.get(spec.name, snap.last_update_id)
        self._partial_prev[spec.name] = snap.last_update_id
        return ff.partial_depth(spec.symbol, snap, spec.levels, prev, now)

    def depth_payload(self, symbol: str, acc: DepthAccumulator, now: int) -> bytes | None:
        diff = acc.take()
        return None if diff is None else ff.depth_update(symbol, diff, now)

    def depth_names(self, symbol: str, fast: bool) -> tuple[str, ...]:
        sym = symbol.lower()
        return (f"{sym}@depth@100ms",) if fast else (f"{sym}@depth", f"{sym}@depth@500ms")

    def detach(self, session: StreamSession, spec: StreamSpec) -> None:
        super().detach(session, spec)
        if spec.name not in self.subs:
            self._partial_prev.pop(spec.name, None)

    def _rest_ticker(self, service: Service, symbol: str, spec: StreamSpec) -> Any:
        """The futures REST ticker (``/fapi/v1/ticker/24hr``) of the same statistics."""
        return service.futures_ticker(symbol)

    def ticker_item(self, rest: Any, spec: StreamSpec, now: int) -> msgspec.Struct:
        if spec.kind == "ticker":
            return ff.ticker_24h(rest, now)
        return super().ticker_item(rest, spec, now)

    # ---- what only futures streams --------------------------------------------------------

    def tick(self, *, fast: bool, slow: bool) -> None:
        if slow and self.subs:
            self.state.futures.catch_up(self.state.now_ms())
        super().tick(fast=fast, slow=slow)
        if not slow:
            return
        self._slow_ticks += 1
        self._emit_marks()
        self._emit_force_orders()

    def _emit_marks(self) -> None:
        """One event per contract stream; ``!markPrice@arr`` an array of every contract's,
        each from the same ``premiumIndex`` computation as the REST answer."""
        service = self.state.service
        for name, spec in list(self.specs.items()):
            if spec.kind != "markPrice" or self._slow_ticks % _MARK_EVERY[spec.interval] != 0:
                continue
            if spec.symbol:
                self.deliver(name, ff.mark_price(service.premium_index(spec.symbol)))
            else:
                marks = [service.premium_index(s) for s in sorted(self.state.futures.contracts)]
                self.deliver(name, ff.mark_prices(marks))

    def _emit_force_orders(self) -> None:
        """At most the latest liquidation per symbol since the last tick (Binance: "only the
        latest one liquidation order within 1000ms will be pushed as the snapshot")."""
        history = self.state.futures.history
        new = min(history.force_total - self._force_seen, len(history.force_orders))
        self._force_seen = history.force_total
        fresh = list(history.force_orders)[len(history.force_orders) - new :] if new else []
        latest = {f.symbol: f for f in fresh}
        now = self.state.now_ms()
        for symbol, f in latest.items():
            payload = ff.force_order(f, now)
            self.deliver(f"{symbol.lower()}@forceOrder", payload)
            self.deliver("!forceOrder@arr", payload)


@dataclass(slots=True, frozen=True)
class FuturesMarketStreams:
    public: FuturesStreamHub
    market: FuturesStreamHub

    @classmethod
    def install(
        cls, app: web.Application, state: WireState, users: UserDataHub, registry: ConnectionRegistry
    ) -> FuturesMarketStreams:
        hubs = cls(
            FuturesStreamHub(state, users, registry, "public"),
            FuturesStreamHub(state, users, registry, "market"),
        )
        for route, hub in (("public", hubs.public), ("market", hubs.market)):
            app.router.add_get(f"/{route}/ws", hub.handle_ws)
            app.router.add_get(f"/{route}/ws/{{streams:.+}}", hub.handle_ws)
            app.router.add_get(f"/{route}/stream", hub.handle_stream)
        return hubs

    def start(self) -> None:
        self.public.start()
        self.market.start()

    async def stop(self) -> None:
        await self.public.stop()
        await self.market.stop()
