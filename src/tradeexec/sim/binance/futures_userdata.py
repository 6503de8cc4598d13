"""The USDT-M futures user data stream: ``/private/ws/<listenKey>`` (Binance's routed
private endpoint since 2026-04; also ``/private/ws?listenKey=``), carrying ORDER_TRADE_UPDATE
and ACCOUNT_UPDATE as the futures engine reports them, and ``listenKeyExpired`` when a key
lapses (then the connection closes). Its once-a-second timer also settles funding times the
clock has passed, so that funding reaches the stream without a request.

Events are encoded once per change and queued per connection (bounded: a connection that
falls 1,000 messages behind is closed rather than let grow without end)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal

import msgspec
from aiohttp import web

from tradeexec.binance.models.futures_events import (
    AccountChange,
    BalanceChange,
    FuturesAccountUpdate,
    FuturesOrderData,
    OrderTradeUpdate,
    PositionChange,
)
from tradeexec.binance.models.user_events import ListenKeyExpired
from tradeexec.sim.futures.events import AccountUpdate, FuturesEvent, OrderUpdate
from tradeexec.sim.state import SimState

log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode
ZERO = Decimal(0)
QUEUE_LIMIT = 1000
SWEEP_S = 1.0
_CLOSE = b""


def _plain(value: Decimal) -> Decimal:
    """A Decimal whose ``str`` has no exponent (msgspec writes Decimals with ``str``)."""
    return Decimal(format(value, "f"))


def order_event(ev: OrderUpdate) -> bytes:
    order, fill = ev.order, ev.fill
    avg = order.cummulative_quote_qty / order.executed_qty if order.executed_qty else ZERO
    data = FuturesOrderData(
        symbol=order.symbol,
        client_order_id=order.client_order_id,
        side=str(order.side),
        order_type=ev.meta.order_type,
        time_in_force=ev.meta.time_in_force,
        quantity=order.orig_qty,
        price=order.price,
        average_price=_plain(avg.quantize(Decimal("0.00000001"))),
        stop_price=ZERO,
        execution_type=ev.execution_type,
        order_status="EXPIRED" if str(order.status) == "EXPIRED_IN_MATCH" else str(order.status),
        order_id=order.order_id,
        last_filled_qty=fill.qty if fill else ZERO,
        cumulative_filled_qty=order.executed_qty,
        last_filled_price=fill.price if fill else ZERO,
        commission_asset="USDT",
        commission=_plain(fill.commission) if fill else ZERO,
        trade_time=ev.time,
        trade_id=fill.trade_id if fill else 0,
        bids_notional=ZERO,
        asks_notional=ZERO,
        is_maker=fill.maker if fill else False,
        reduce_only=ev.meta.reduce_only,
        working_type="CONTRACT_PRICE",
        original_type=ev.meta.order_type,
        position_side=ev.meta.position_side,
        close_position=False,
        realized_profit=_plain(fill.realized_pnl) if fill else ZERO,
    )
    return _encode(OrderTradeUpdate(event_time=ev.time, transaction_time=ev.time, order=data))


def account_event(ev: AccountUpdate) -> bytes:
    balance = BalanceChange(
        asset="USDT",
        wallet_balance=_plain(ev.wallet),
        cross_wallet_balance=_plain(ev.cross_wallet),
        balance_change=_plain(ev.balance_change),
    )
    positions = [
        PositionChange(
            symbol=p.symbol,
            position_amt=_plain(p.amt),
            entry_price=_plain(p.entry),
            break_even_price=_plain(p.entry),
            accumulated_realized=_plain(p.realized),
            unrealized_pnl=_plain(p.unrealized.quantize(Decimal("0.00000001"))),
            margin_type=p.margin_type,
            isolated_wallet=_plain(p.isolated_wallet),
            position_side=p.position_side,
        )
        for p in ev.positions
    ]
    change = AccountChange(reason=ev.reason, balances=[balance], positions=positions)
    return _encode(FuturesAccountUpdate(event_time=ev.time, transaction_time=ev.time, account=change))


class FuturesUserStream:
    def __init__(self, state: SimState) -> None:
        self.state = state
        self._queues: dict[str, set[asyncio.Queue[bytes]]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    def install(self, app: web.Application) -> None:
        app.router.add_get("/private/ws/{listen_key}", self.handle)
        app.router.add_get("/private/ws", self.handle)

    def start(self) -> None:
        self.state.futures_listeners.append(self.on_events)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.state.futures_listeners.remove(self.on_events)
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    def on_events(self, events: list[FuturesEvent]) -> None:
        keys = self.state.futures_keys
        for ev in events:
            targets = [q for k in keys.keys_of(ev.account) for q in self._queues.get(k, ())]
            if not targets:
                continue
            payload = order_event(ev) if isinstance(ev, OrderUpdate) else account_event(ev)
            for queue in targets:
                self._put(queue, payload)

    @staticmethod
    def _put(queue: asyncio.Queue[bytes], payload: bytes) -> None:
        try:
            queue.put_nowait(payload)
        except asyncio.QueueFull:
            log.warning("a futures user stream fell %d messages behind: closing it", QUEUE_LIMIT)
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
            queue.put_nowait(_CLOSE)

    def close_all(self) -> None:
        """Server shutdown: every connection closes (their handlers end at once)."""
        for queues in self._queues.values():
            for queue in queues:
                self._put(queue, _CLOSE)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            now = self.state.now_ms()
            self.state.futures.catch_up(now)
            for key in self.state.futures_keys.take_expired():
                payload = _encode(ListenKeyExpired(event_time=now, listen_key=key))
                for queue in self._queues.get(key, ()):
                    self._put(queue, payload)
                    self._put(queue, _CLOSE)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info.get("listen_key") or request.query.get("listenKey", "")
        if self.state.futures_keys.account_of(key) is None:
            return web.json_response({"code": -1125, "msg": "This listenKey does not exist."}, status=400)
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_LIMIT)
        self._queues.setdefault(key, set()).add(queue)
        reader = asyncio.ensure_future(self._drain(ws))
        try:
            while not ws.closed:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                payload = getter.result()
                if payload == _CLOSE:
                    break
                await ws.send_str(payload.decode())
        finally:
            reader.cancel()
            self._queues.get(key, set()).discard(queue)
            await ws.close()
        return ws

    @staticmethod
    async def _drain(ws: web.WebSocketResponse) -> None:
        """Read (and ignore) what the client sends, so that pings, pongs and close work."""
        async for _ in ws:
            pass
