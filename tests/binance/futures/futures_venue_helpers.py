"""A ``FuturesVenue`` over a real ``BinanceClient`` talking to a local exchange over real
sockets, and the journaled-intent shape the core hands the venue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from itertools import count
from pathlib import Path

from tests.binance.futures.futures_client_helpers import RecordingClient, futures_client
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.execution.journal.records import Intent
from tradeexec.sim import LocalExchange
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

_ids = count(1)


@asynccontextmanager
async def futures_venue(tmp_path: Path) -> AsyncIterator[tuple[LocalExchange, RecordingClient, FuturesVenue]]:
    async with futures_client(tmp_path) as (ex, client):
        yield ex, client, FuturesVenue(client)


def intent(
    side: Side,
    qty: str,
    price: str | None = None,
    *,
    kind: OrderType | None = None,
    symbol: str = "BTCUSDT",
    reduce_only: bool = False,
    leg: PositionLeg | None = None,
    cid: str | None = None,
) -> Intent:
    """A journaled intent as the core builds one (LIMIT GTC when priced, else MARKET)."""
    kind = kind or (OrderType.LIMIT if price is not None else OrderType.MARKET)
    return Intent(
        client_order_id=cid or f"fv-test-{next(_ids)}",
        strategy="test",
        symbol=symbol,
        side=side,
        type=kind,
        quantity=Decimal(qty),
        quote_quantity=None,
        price=None if price is None else Decimal(price),
        time_in_force=TimeInForce.GTC if kind is OrderType.LIMIT else None,
        stop_price=None,
        created_ms=0,
        recv_window_ms=5000,
        reduce_only=reduce_only,
        position_leg=leg,
    )
