"""The USDT-M futures user data stream: the listenKey loop of ``ListenKeyUserData`` on the
routed ``<stream host>/private/ws/<listenKey>``, decoding the futures event union, and
recovering after every reconnect from ``/fapi`` (open orders, balance, positionRisk).

Why a class of its own: the spot stream decodes with the spot union, so every
ORDER_TRADE_UPDATE and ACCOUNT_UPDATE would be logged as unreadable and dropped, and its
recovery asks ``/api/v3`` -- the spot account, not the futures one. Here each decoded event
also updates what the stream last saw (open orders, wallet balances, positions), so the
recovery emits only what changed while no connection was up: ``MissedFuturesOrder`` for each
order, one ``MissedFuturesAccount`` for balances and positions.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import ClassVar

import msgspec

from tradeexec.binance.models import (
    FUTURES_USER_EVENT_DECODER,
    FuturesAccountUpdate,
    FuturesBalance,
    FuturesOrder,
    FuturesPosition,
    FuturesUserEvent,
    OrderTradeUpdate,
)
from tradeexec.binance.ws.futures_routes import futures_user_url
from tradeexec.binance.ws.userdata import ListenKeyUserData, MissedFuturesAccount, MissedFuturesOrder

__all__ = ["FUTURES_LISTEN_KEY_PATH", "FuturesUserData"]

log = logging.getLogger(__name__)

FUTURES_LISTEN_KEY_PATH = "/fapi/v1/listenKey"
_OPEN = frozenset({"NEW", "PARTIALLY_FILLED"})
_ZERO = Decimal(0)

OrderKey = tuple[str, int]
PositionKey = tuple[str, str]


class FuturesUserData(ListenKeyUserData):
    """``async for item in stream`` (or ``on_event``): typed futures events, connection
    changes, and after a reconnect what was missed. Built as ``FuturesUserData(client,
    client.settings.urls.stream)``: the venue's stream host, without a path."""

    default_path: ClassVar[str] = FUTURES_LISTEN_KEY_PATH
    # What the stream last saw, set by ``seed`` (which ``start`` runs before connecting):
    # (symbol, orderId) -> (status, cumulative filled) of orders believed open, wallets,
    # and non-zero positions.
    _open: dict[OrderKey, tuple[str, Decimal]]
    _wallets: dict[str, tuple[Decimal, Decimal]]
    _positions: dict[PositionKey, tuple[Decimal, Decimal]]

    def _stream_url(self, key: str) -> str:
        return futures_user_url(self.ws_url, key)

    def _key_params(self, key: str) -> dict[str, object]:
        return {}

    def _on_raw(self, raw: bytes) -> FuturesUserEvent | None:
        try:
            event = FUTURES_USER_EVENT_DECODER.decode(raw)
        except msgspec.DecodeError as exc:
            log.warning("unreadable futures user data event (%s): %.200r", exc, raw)
            return None
        if isinstance(event, OrderTradeUpdate):
            o = event.order
            self._order_seen((o.symbol, o.order_id), o.order_status, o.cumulative_filled_qty)
        elif isinstance(event, FuturesAccountUpdate):
            for b in event.account.balances:
                self._wallets[b.asset] = (b.wallet_balance, b.cross_wallet_balance)
            for p in event.account.positions:
                self._position_seen((p.symbol, p.position_side), p.position_amt, p.entry_price)
        self._emit(event)
        return event

    def _order_seen(self, key: OrderKey, status: str, filled: Decimal) -> None:
        if status in _OPEN:
            self._open[key] = (status, filled)
        else:
            self._open.pop(key, None)

    def _position_seen(self, key: PositionKey, amount: Decimal, entry: Decimal) -> None:
        if amount == 0:
            self._positions.pop(key, None)
        else:
            self._positions[key] = (amount, entry)

    async def seed(self) -> None:
        """Learn the open orders, wallets and positions, the first recovery's baseline."""
        orders = await self.client.futures_open_orders()
        self._open = {(o.symbol, o.order_id): (o.status, o.executed_qty) for o in orders}
        self._wallets = _wallets(await self.client.futures_balance())
        self._positions = _positions(await self.client.futures_position_risk())

    async def recover(self) -> None:
        """Compare ``/fapi`` with what the stream last said; emit what changed meanwhile."""
        self.recoveries += 1
        now_open = {(o.symbol, o.order_id): o for o in await self.client.futures_open_orders()}
        for key, order in now_open.items():
            known = self._open.get(key)
            if known != (order.status, order.executed_qty):
                self._missed(order, None if known is None else known[1])
        for key, (_status, filled) in list(self._open.items()):
            if key not in now_open:
                self._missed(await self.client.futures_get_order(key[0], order_id=key[1]), filled)
        wallets = _wallets(await self.client.futures_balance())
        positions = _positions(await self.client.futures_position_risk())
        changed_wallets = {a: v for a, v in wallets.items() if self._wallets.get(a) != v}
        changed_positions = {k: v for k, v in positions.items() if self._positions.get(k) != v}
        changed_positions.update({k: (_ZERO, _ZERO) for k in self._positions if k not in positions})
        self._wallets, self._positions = wallets, positions
        if changed_wallets or changed_positions:
            self._emit(MissedFuturesAccount(changed_wallets, changed_positions))

    def _missed(self, order: FuturesOrder, known_filled: Decimal | None) -> None:
        self._order_seen((order.symbol, order.order_id), order.status, order.executed_qty)
        self._emit(MissedFuturesOrder(order, known_filled))


def _wallets(rows: list[FuturesBalance]) -> dict[str, tuple[Decimal, Decimal]]:
    return {b.asset: (b.balance, b.cross_wallet_balance) for b in rows}


def _positions(rows: list[FuturesPosition]) -> dict[PositionKey, tuple[Decimal, Decimal]]:
    return {(p.symbol, p.position_side): (p.position_amt, p.entry_price) for p in rows if p.position_amt != 0}
