"""``TradingVenue``: the interface between the execution core and an exchange account.

The order manager makes every exchange call through it: check an order's shape, place, cancel,
look an order up by its client order ID, list open and recent orders and trades, read the
venue's rules (``venue.rules``), average price, clock, status and key permissions; valuation
reads balances and last prices, the emergency stop the top of the book, and the feed the
venue's own user stream (``tradeexec.venue.stream``). Binance spot implements it today
(``tradeexec.binance.venue.SpotVenue``, an adapter over ``BinanceClient``); a test double
implements it with no Binance type at all (``tests/execution/fake_venue.py``), which keeps it
from being shaped by one venue.

What the core branches on in an error is neutral too (``tradeexec.errors``): ``OrderNotFound``
(a lookup's "no such order"), ``OutcomeUnknown`` (the venue cannot say whether a request was
executed), ``Throttled`` (too many requests), ``DuplicateOrderId`` (an open order already has
the client order ID). An adapter raises those, or subclasses of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol, TypeGuard, runtime_checkable

from tradeexec.errors import TradeexecError
from tradeexec.venue.positions import MarginMode, PositionSnapshot
from tradeexec.venue.records import (
    AccountBalances,
    BookTop,
    CancelAnswer,
    OrderSnapshot,
    PlaceAnswer,
    PlacementRequest,
    TradeRecord,
    VenueStatus,
)
from tradeexec.venue.rules import OrderTerms, VenueRules
from tradeexec.venue.stream import UserStream
from tradeexec.venue.vocab import OrderType

__all__ = [
    "BatchPlacement",
    "ConditionalOrders",
    "DerivativesVenue",
    "KeyPermissions",
    "StopGate",
    "TradingVenue",
    "holds_positions",
]


class KeyPermissions(Protocol):
    """What the venue says the API key may do; a key that can move funds is refused."""

    @property
    def ip_restrict(self) -> bool: ...
    @property
    def enable_withdrawals(self) -> bool: ...
    @property
    def enable_internal_transfer(self) -> bool: ...
    @property
    def permits_universal_transfer(self) -> bool: ...


class StopGate(Protocol):
    """The kill switch as a venue sees it, handed over with each placement that could grow a
    position (``place(..., gate=...)``). The core checks the switch before it calls the venue,
    but the venue may await (rate-limit pacing, the clock offset, a -1021 re-sign) before it
    signs: it reads ``trip_reason`` again right before it stamps and signs each attempt, with
    no await between, and raises ``StoppedBeforeSigning`` (sending nothing) when it is set.
    An attribute read: the check costs nothing on the order path."""

    @property
    def trip_reason(self) -> str | None:
        """Why trading stopped; None while it may go on."""
        ...


class TradingVenue(Protocol):
    """An exchange account, as the execution core uses it."""

    @property
    def is_local(self) -> bool:
        """Whether this is the local (simulated) exchange, where no real funds exist."""
        ...

    async def rules(self) -> VenueRules:
        """Every symbol's trading rules (rounding, pre-send checks, minimums)."""
        ...

    def check_order(self, order: OrderTerms) -> None:
        """Raise ``InvalidParameter`` naming the field when the venue refuses the order's
        shape (which order types need a price, a time in force, a stop price, a quantity).
        The core asks once, before rounding and journaling: ``place`` does not ask again."""
        ...

    async def average_price(self, symbol: str) -> Decimal | None:
        """The venue's own average price of the symbol, the figure it judges orders at where
        ``SymbolRuleSet.needs_average_price``; None when it has none (nothing traded)."""
        ...

    async def place(self, request: PlacementRequest, *, gate: StopGate | None = None) -> PlaceAnswer:
        """Send one order, already checked (``check_order``), rounded and validated against
        the symbol's rules by the core: the venue sends it as it is. Raises ``OutcomeUnknown``
        / ``OrderStatusUnknown`` (or a transport error) when the answer was lost,
        ``DuplicateOrderId`` when an open order already has the ID, another
        ``TradeexecError`` when the venue refused it. With a ``gate``, every attempt to sign
        it (a -1021 re-sign too) first reads the gate, and a tripped one raises
        ``StoppedBeforeSigning`` with nothing sent; no gate (the emergency stop's own closing
        orders, orders that cannot grow a position) sends regardless."""
        ...

    async def lookup(self, symbol: str, client_order_id: str) -> OrderSnapshot:
        """The order carrying the client order ID; raises ``OrderNotFound`` when none does."""
        ...

    async def cancel(self, symbol: str, client_order_id: str) -> CancelAnswer: ...

    async def cancel_all(self, symbol: str) -> Sequence[CancelAnswer]:
        """Cancel every open order on the symbol in one request."""
        ...

    async def open_orders(self, symbol: str | None = None) -> Sequence[OrderSnapshot]: ...

    async def recent_orders(
        self, symbol: str, *, since_ms: int | None = None, from_order_id: int | None = None, limit: int
    ) -> Sequence[OrderSnapshot]:
        """Orders from ``since_ms``, or from order id ``from_order_id`` on (inclusive),
        oldest first, at most ``limit``."""
        ...

    async def recent_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        since_ms: int | None = None,
        from_trade_id: int | None = None,
        limit: int | None = None,
    ) -> Sequence[TradeRecord]:
        """The account's trades: of one order, or from ``since_ms`` / from a trade id on
        (inclusive), oldest first, at most ``limit``."""
        ...

    async def balances(self) -> AccountBalances:
        """Every balance of the account, read now."""
        ...

    async def last_prices(self, symbols: Sequence[str]) -> Mapping[str, Decimal]:
        """The last trade price of each of ``symbols`` that has one: a symbol that never
        traded is left out, never given as 0 (0 would value a holding at nothing)."""
        ...

    async def book_top(self, symbol: str, levels: int) -> BookTop:
        """The best ``levels`` bids and asks of the symbol's order book, read now."""
        ...

    def user_stream(self, *, backoff_base_s: float = 0.5) -> UserStream:
        """The account's user stream, not yet started; it reconnects by itself, backing off
        from ``backoff_base_s``, and reports what it missed meanwhile."""
        ...

    async def key_permissions(self) -> KeyPermissions:
        """Raises ``BinanceAPIError`` with HTTP 404 where the venue has no such endpoint."""
        ...

    async def status(self) -> VenueStatus:
        """Raises ``BinanceAPIError`` with HTTP 404 where the venue has no such endpoint."""
        ...

    async def server_time_ms(self) -> int:
        """The venue's clock, read now (the resend rule rests on it)."""
        ...

    def timestamp_ms(self) -> int:
        """The timestamp a request signed now would carry (local clock plus the measured
        offset to the venue's)."""
        ...


@runtime_checkable
class BatchPlacement(Protocol):
    """A venue that places several orders in one request (Binance USDⓈ-M ``batchOrders``,
    up to ``batch_size``), each answered in its place. The core journals every order before
    the batch goes and, when the batch's answer is lost, resolves each by its own client ID."""

    batch_size: int

    async def place_batch(
        self, requests: Sequence[PlacementRequest], *, gate: StopGate | None = None
    ) -> Sequence[PlaceAnswer | TradeexecError]:
        """One answer per request, in order: the order's answer, or its own refusal (which
        refuses that order only). Raises as ``place`` does when the batch's answer is lost,
        and ``StoppedBeforeSigning`` (nothing sent) when ``gate`` tripped before signing."""
        ...


@runtime_checkable
class ConditionalOrders(Protocol):
    """A venue that keeps some order types in an id space of their own (Binance USDⓈ-M's
    Algo Service holds STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT and TAKE_PROFIT_LIMIT until
    their trigger). ``place`` sends such an order there by its type; the core then looks it
    up and cancels it here, by the same client order ID, never with ``lookup`` / ``cancel``
    (which would not find it, and a "not found" would let the resend rule double it). A
    venue without it (spot) keeps every type in one space and pays nothing for this."""

    def is_conditional(self, order_type: OrderType) -> bool:
        """Whether orders of ``order_type`` live in the conditional id space."""
        ...

    async def lookup_conditional(self, symbol: str, client_order_id: str) -> OrderSnapshot:
        """The conditional order carrying the client ID; raises ``OrderNotFound`` when none
        does. NEW while it waits for its trigger; once triggered, the order it sent to the
        book (its own order id, status, executed quantity) under this client ID, which the
        core follows from then on (its trades carry that order id)."""
        ...

    async def cancel_conditional_order(self, symbol: str, client_order_id: str) -> CancelAnswer:
        """Cancel one conditional order by its client ID (``OrderNotFound`` when gone)."""
        ...


class DerivativesVenue(TradingVenue, ConditionalOrders, Protocol):
    """A venue whose account holds positions (Binance USDT-M futures), as the core uses it.

    Everything of ``TradingVenue`` holds; placements may carry ``reduce_only`` and a
    ``position_leg`` (``PlacementRequest``). ``cancel_all`` cancels the symbol's plain orders;
    its conditional orders (Binance's Algo Service: their own id space) are cancelled with
    ``cancel_conditional``, which the emergency stop calls too. ``balances`` are the wallet's
    (free: what is available for new margin; locked: the rest of the wallet balance)."""

    async def positions(self, symbol: str | None = None) -> Sequence[PositionSnapshot]:
        """Every leg of ``symbol`` (of every symbol when None) as the venue reports it now,
        flat legs included where the venue lists them."""
        ...

    async def hedge_mode(self) -> bool:
        """Whether the account keeps LONG and SHORT legs apart (hedge mode) or one signed
        leg per symbol (one-way mode)."""
        ...

    async def set_leverage(self, symbol: str, leverage: int) -> Decimal:
        """Set the symbol's leverage; returns the venue's maximum notional at that leverage."""
        ...

    def known_leverage(self, symbol: str) -> Decimal | None:
        """The symbol's leverage setting as the venue last set or was told it, without a
        request; None when unknown. A flat leg is in no position read, so this is where the
        core learns the leverage a first order would open at."""
        ...

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        """Raises when a position or open order stops the change (the venue's own error)."""
        ...

    async def cancel_conditional(self, symbol: str) -> int:
        """Cancel every open conditional order of ``symbol``; returns how many were open."""
        ...

    async def open_conditional(self, symbol: str | None = None) -> Sequence[OrderSnapshot]:
        """The open conditional orders (of ``symbol``, or all), in their own id space: the
        snapshot's ids are the conditional order's, its type the nearest of the vocabulary
        (a stop-market is STOP_LOSS), its stop price the trigger. The emergency stop finds
        with it the symbols holding only conditional orders, and checks none is left."""
        ...

    async def mark_prices(self, symbols: Sequence[str]) -> Mapping[str, Decimal]:
        """The mark price of each of ``symbols`` (what unrealized PnL and liquidation run on)."""
        ...


def holds_positions(venue: object) -> TypeGuard[DerivativesVenue]:
    """Whether ``venue`` holds positions and conditional orders (``DerivativesVenue`` is a
    protocol: what the venue offers decides)."""
    return callable(getattr(venue, "positions", None)) and callable(getattr(venue, "open_conditional", None))
