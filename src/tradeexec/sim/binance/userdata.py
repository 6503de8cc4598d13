"""User data delivery: each account's executionReport, outboundAccountPosition, balanceUpdate
and listStatus events, to whoever listens for that account.

Two kinds of listener exist at Binance and both are served from one registry fed by the event
bus: WebSocket API subscriptions (how spot clients receive their events since 2026-02-20) and
legacy listenKey streams (``/ws/<listenKey>``), which the local exchange keeps for old clients.
Each event is encoded once and handed to every sink of its account in the order the engine
produced it, so executionReport always precedes the outboundAccountPosition it caused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import string
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl

from aiohttp import web

from tradeexec.binance.enums import SecurityType
from tradeexec.binance.models import EmptyResponse, ListenKey, Model
from tradeexec.binance.models.wire import wire_encode
from tradeexec.sim.binance import formats
from tradeexec.sim.binance.service import WireState
from tradeexec.sim.engine import (
    BalanceEvent,
    BalanceUpdateEvent,
    EngineReject,
    Event,
    ExecutionEvent,
    ListStatusEvent,
)
from tradeexec.sim.faults import FaultKind
from tradeexec.sim.params import ApiError, Params
from tradeexec.sim.state import ApiAccount

log = logging.getLogger(__name__)

_KEY_ALPHABET = string.ascii_letters + string.digits
_MAX_SWEEP_S = 0.25
_MIN_SWEEP_S = 0.005


class UserSink(Protocol):
    """Where one listener's events go; ``payload`` is the bare event JSON."""

    def push(self, payload: bytes) -> None: ...

    def expired(self, payload: bytes) -> None:
        """The listenKey behind this sink expired: ``payload`` is the listenKeyExpired event."""
        ...


@dataclass(slots=True)
class ListenKeyLease:
    key: str
    account: str
    expires_at: int  # simulated ms


def unknown_listen_key() -> ApiError:
    return ApiError(-1125, "This listenKey does not exist.")


def listen_keys_removed() -> ApiError:
    """Binance's answer since 2026-02-20 to the spot listenKey requests, over REST (HTTP 410
    Gone) and, with the WebSocket API's status, to ``userDataStream.start/ping/stop``."""
    return ApiError(-1020, "This operation is not supported.", 410)


class LegacyListenKeys:
    """The listenKey operations shared by REST and the WebSocket API, behind the one switch
    ``streams.legacy_listen_key`` (read at each call, so tests may flip it on a live exchange)."""

    def __init__(self, state: WireState, hub: UserDataHub) -> None:
        self.state = state
        self.hub = hub

    def check_enabled(self, status: int = 410) -> None:
        """Binance's removal answer unless the switch is on (``status``: 410 over REST, 400 on
        the WebSocket API, where an unknown method answers so)."""
        if not self.state.config.streams.legacy_listen_key:
            err = listen_keys_removed()
            err.http_status = status
            raise err

    def create(self, params: Params, account: str) -> ListenKey:
        params.ensure_all_read()
        return ListenKey(listen_key=self.hub.create_listen_key(account))

    def keepalive(self, params: Params, account: str) -> EmptyResponse:
        key = params.require("listenKey")
        params.ensure_all_read()
        self.hub.keepalive(key, account)
        return EmptyResponse()

    def close(self, params: Params, account: str) -> EmptyResponse:
        key = params.require("listenKey")
        params.ensure_all_read()
        self.hub.close_listen_key(key, account)
        return EmptyResponse()


class UserDataHub:
    """account -> sinks, fed by the bus; plus the legacy listenKey store and its expiry."""

    def __init__(self, state: WireState) -> None:
        self.state = state
        self._sinks: dict[str, dict[int, UserSink]] = {}
        self._owner: dict[int, str] = {}
        self._next_handle = 1
        self._keys: dict[str, ListenKeyLease] = {}
        self._key_sinks: dict[str, dict[int, UserSink]] = {}
        self._bus_handle: int | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._bus_handle = self.state.bus.add_listener(self.on_events)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_loop())

    async def stop(self) -> None:
        if self._bus_handle is not None:
            self.state.bus.remove_listener(self._bus_handle)
            self._bus_handle = None
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    # ---- subscriptions ---------------------------------------------------------------------

    def subscribe(self, account: str, sink: UserSink, *, listen_key: str | None = None) -> int:
        """Deliver ``account``'s events to ``sink`` until ``unsubscribe(handle)``."""
        handle = self._next_handle
        self._next_handle += 1
        self._sinks.setdefault(account, {})[handle] = sink
        self._owner[handle] = account
        if listen_key is not None:
            self._key_sinks.setdefault(listen_key, {})[handle] = sink
        return handle

    def unsubscribe(self, handle: int) -> None:
        account = self._owner.pop(handle, None)
        if account is None:
            return
        sinks = self._sinks.get(account)
        if sinks is not None:
            sinks.pop(handle, None)
            if not sinks:
                del self._sinks[account]
        for key, by_handle in list(self._key_sinks.items()):
            if by_handle.pop(handle, None) is not None and not by_handle:
                del self._key_sinks[key]

    def subscriber_count(self, account: str) -> int:
        return len(self._sinks.get(account, ()))

    def on_events(self, events: Sequence[Event]) -> None:
        sinks_by_account = self._sinks
        if not sinks_by_account:
            return
        for ev in events:
            if not isinstance(ev, ExecutionEvent | BalanceEvent | BalanceUpdateEvent | ListStatusEvent):
                continue
            sinks = sinks_by_account.get(ev.account)
            if not sinks:
                continue
            payload = self._encode(ev)
            for sink in list(sinks.values()):
                sink.push(payload)

    def _encode(self, ev: ExecutionEvent | BalanceEvent | BalanceUpdateEvent | ListStatusEvent) -> bytes:
        if isinstance(ev, ListStatusEvent):
            return formats.list_status(ev, self._client_ids(ev))
        payload = formats.user_event(ev)
        assert payload is not None
        return payload

    def _client_ids(self, ev: ListStatusEvent) -> dict[int, str]:
        """The engine's order list keeps order ids only; the client ids come from the orders."""
        out: dict[int, str] = {}
        for oid in ev.order_list.order_ids:
            try:
                order = self.state.engine.get_order(ev.account, ev.order_list.symbol, order_id=oid)
            except EngineReject:
                continue
            out[oid] = order.client_order_id
        return out

    # ---- legacy listenKeys -----------------------------------------------------------------

    @property
    def validity_ms(self) -> int:
        return self.state.config.streams.listen_key_validity_ms

    def create_listen_key(self, account: str) -> str:
        """An account's active key is returned again with its validity extended, as Binance does."""
        now = self.state.now_ms()
        for lk in self._keys.values():
            if lk.account == account:
                lk.expires_at = now + self.validity_ms
                return lk.key
        key = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(60))
        self._keys[key] = ListenKeyLease(key, account, now + self.validity_ms)
        self._wake.set()
        return key

    def keepalive(self, key: str, account: str | None = None) -> None:
        lk = self._keys.get(key)
        if lk is None or (account is not None and lk.account != account):
            raise unknown_listen_key()
        lk.expires_at = self.state.now_ms() + self.validity_ms

    def close_listen_key(self, key: str, account: str | None = None) -> None:
        lk = self._keys.get(key)
        if lk is None or (account is not None and lk.account != account):
            raise unknown_listen_key()
        del self._keys[key]
        for handle in list(self._key_sinks.pop(key, {})):
            self.unsubscribe(handle)

    def listen_key_account(self, key: str) -> str | None:
        lk = self._keys.get(key)
        return lk.account if lk is not None else None

    def expire_listen_key(self, key: str) -> bool:
        """Expire ``key`` now (the fault handle): listenKeyExpired to its streams, then gone."""
        lk = self._keys.pop(key, None)
        if lk is None:
            return False
        payload = formats.listen_key_expired(key, self.state.now_ms())
        sinks = self._key_sinks.pop(key, {})
        for handle, sink in sinks.items():
            self.unsubscribe(handle)
            sink.expired(payload)
        log.info("listenKey %s... of %s expired", key[:6], lk.account)
        return True

    def listen_keys(self) -> list[str]:
        return list(self._keys)

    def sweep(self) -> float | None:
        """Expire what is due; the simulated ms until the next expiry, None if no key is left."""
        now = self.state.now_ms()
        faults = self.state.faults
        for lk in list(self._keys.values()):
            if lk.expires_at <= now or (
                faults.rules and faults.should(FaultKind.LISTEN_KEY_EXPIRY, lk.key, f"account={lk.account}")
            ):
                self.expire_listen_key(lk.key)
        if not self._keys:
            return None
        return max(0, min(lk.expires_at for lk in self._keys.values()) - now)

    async def _sweep_loop(self) -> None:
        clock = self.state.clock
        while True:
            next_ms = self.sweep()
            delay = _MAX_SWEEP_S if next_ms is None else clock.sim_to_real_seconds(next_ms)
            delay = min(max(delay, _MIN_SWEEP_S), _MAX_SWEEP_S)
            self._wake.clear()
            # asyncio.timeout, not wait_for: no new task per sweep (a test that counts the
            # tasks a stop leaves behind would otherwise see the exchange's).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()


# ---- legacy REST: /api/v3/userDataStream and /sapi/v1/userDataStream --------------------------


class ListenKeyRoutes:
    """POST/PUT/DELETE of a listenKey (USER_STREAM: API key, no signature).

    Binance removed these for spot on 2026-02-20: they answer as Binance does unless the
    ``legacy_listen_key`` switch is on, for old clients that still open their stream this way.
    """

    PATHS = ("/api/v3/userDataStream", "/sapi/v1/userDataStream")
    WEIGHT = 2

    def __init__(self, state: WireState, legacy: LegacyListenKeys) -> None:
        self.state = state
        self.legacy = legacy

    def install(self, app: web.Application) -> None:
        for path in self.PATHS:
            app.router.add_post(path, self._wrap(self.legacy.create))
            app.router.add_put(path, self._wrap(self.legacy.keepalive))
            app.router.add_delete(path, self._wrap(self.legacy.close))

    def _wrap(self, op: Callable[[Params, str], Model]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            state = self.state
            ip = request.remote or "unknown"
            api_key = request.headers.get("X-MBX-APIKEY")
            known = state.keys.get(api_key) if api_key else None
            try:
                body = (await request.read()).decode("utf-8")
                pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True, errors="strict")
                pairs += parse_qsl(body, keep_blank_values=True, errors="strict")
            except (UnicodeDecodeError, ValueError):
                return self._answer(ApiError(-1100, "Illegal characters found in a parameter."), ip, known)
            try:
                state.limiter.charge_request(ip, self.WEIGHT)
                self.legacy.check_enabled()
                params = Params(pairs)
                account = state.service.authenticate(
                    SecurityType.USER_STREAM, api_key, b"", None, params, client_ip=request.remote
                )
                assert account is not None
                result = op(params, account.account)
            except ApiError as err:
                return self._answer(err, ip, known)
            return web.Response(
                body=wire_encode(result),
                content_type="application/json",
                headers=state.limiter.headers(ip, known.account if known else None),
            )

        return handle

    def _answer(self, err: ApiError, ip: str, known: ApiAccount | None) -> web.Response:
        headers = {**self.state.limiter.headers(ip, known.account if known else None), **err.headers}
        return web.Response(
            body=wire_encode(err.body()),
            status=err.http_status,
            content_type="application/json",
            headers=headers,
        )
