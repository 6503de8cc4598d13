"""A venue's user stream in the execution core's words: what ``execution.feed`` consumes.

The venue owns its stream (``TradingVenue.user_stream``): how it connects (Binance's WebSocket
API subscription or a listenKey, Upbit's private socket), how it keeps a key alive and what it
re-reads after a reconnect are the adapter's business. The core sees only these items:

* an ``ExecutionUpdate`` per order event (Binance's ``ExecutionReport`` is one as decoded, so
  the hot path copies nothing);
* ``BalancesChanged`` (the assets an event lists, as of the venue's time) and
  ``BalanceDelta`` (a deposit, withdrawal or transfer moving one asset);
* after a reconnect, what the venue's recovery found the stream missed: ``RecoveredOrder``
  (an order as the venue reports it now) and ``RecoveredBalances`` (assets whose balance
  differs from the stream's last figure);
* ``StreamLink`` (connected, down, back up) and ``StreamEnded`` (the venue ended the
  subscription: nothing more will come until it is opened again).

A derivatives venue adds its position items (``tradeexec.venue.positions``):
``PositionsChanged``, ``RecoveredPositions``, ``FundingSettled`` and ``VenueAlarm``; and a
venue whose conditional orders live in their own id space (``ConditionalOrders``) reports
their own events as ``ConditionalUpdate``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from tradeexec.venue.positions import FundingSettled, PositionsChanged, RecoveredPositions, VenueAlarm
from tradeexec.venue.records import BalanceLine, ExecutionUpdate, OrderSnapshot

__all__ = [
    "BalanceDelta",
    "BalancesChanged",
    "ConditionalStatus",
    "ConditionalUpdate",
    "LinkState",
    "RecoveredBalances",
    "RecoveredOrder",
    "StreamEnded",
    "StreamLink",
    "UserStream",
    "UserStreamItem",
]


@dataclass(slots=True, frozen=True)
class BalancesChanged:
    """The balances of the assets listed, as of ``update_time`` (the venue's ms); the other
    assets did not change."""

    balances: Sequence[BalanceLine]
    update_time: int | None


@dataclass(slots=True, frozen=True)
class BalanceDelta:
    """``asset``'s free balance moved by ``delta`` at ``clear_time`` (not a trade: no position
    changes). ``event_time`` tells two equal moves at one clear time apart."""

    asset: str
    delta: Decimal
    clear_time: int
    event_time: int


@dataclass(slots=True, frozen=True)
class RecoveredOrder:
    """An order whose state changed while the stream was down, as the venue reports it now."""

    order: OrderSnapshot


@dataclass(slots=True, frozen=True)
class RecoveredBalances:
    """Balances that changed while the stream was down: asset -> (free, locked)."""

    balances: Mapping[str, tuple[Decimal, Decimal]]


class ConditionalStatus(StrEnum):
    """Where a conditional order is (Binance's Algo Service statuses, as ALGO_UPDATE states
    them): waiting for its trigger, on its way to the book, in the book, or over."""

    NEW = "NEW"  # accepted, waiting for its trigger
    CANCELED = "CANCELED"  # canceled before it fired
    TRIGGERING = "TRIGGERING"  # fired: the order it carries is on its way to the book
    TRIGGERED = "TRIGGERED"  # that order is in the book (``placed_order_id``)
    FINISHED = "FINISHED"  # that order ended in the book (filled, canceled or expired there)
    REJECTED = "REJECTED"  # the book refused the order it fired (e.g. margin)
    EXPIRED = "EXPIRED"  # canceled by the venue before it fired


@dataclass(slots=True, frozen=True)
class ConditionalUpdate:
    """A conditional order's own event (Binance's ALGO_UPDATE). ``conditional_id`` is the
    order's id in the venue's conditional id space, ``client_order_id`` the intent's; once it
    fired, ``placed_order_id`` names the order it sent to the book (whose fills and trades
    carry that id) and ``executed_qty`` / ``cumulative_quote`` are that order's so far."""

    symbol: str
    client_order_id: str
    conditional_id: int
    status: ConditionalStatus
    event_time: int
    placed_order_id: int | None = None
    executed_qty: Decimal = Decimal(0)
    cumulative_quote: Decimal = Decimal(0)
    reason: str = ""


class LinkState(StrEnum):
    CONNECTED = "connected"  # first connection
    DISCONNECTED = "disconnected"  # the connection ended unplanned; the venue reconnects
    RECONNECTED = "reconnected"  # back up: what was missed follows as Recovered* items


@dataclass(slots=True, frozen=True)
class StreamLink:
    state: LinkState
    reason: str = ""


@dataclass(slots=True, frozen=True)
class StreamEnded:
    """The venue ended the subscription (a logout, a key change)."""

    reason: str = ""


UserStreamItem = (
    ExecutionUpdate
    | BalancesChanged
    | BalanceDelta
    | RecoveredOrder
    | RecoveredBalances
    | StreamLink
    | StreamEnded
    | PositionsChanged
    | RecoveredPositions
    | FundingSettled
    | VenueAlarm
    | ConditionalUpdate
)


class UserStream(Protocol):
    """Started before it is read, closed after; ``async for`` yields ``UserStreamItem``s until
    closed. Every item but an ``ExecutionUpdate`` is one of the records above."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def __aiter__(self) -> AsyncIterator[UserStreamItem]: ...
