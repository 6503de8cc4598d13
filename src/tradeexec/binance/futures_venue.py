"""Binance USDⓈ-M futures as a ``tradeexec.venue.protocol.DerivativesVenue``: the adapter the
execution core trades futures through, over ``BinanceClient``'s ``/fapi`` calls.

It does the job ``SpotVenue`` does for spot (and shares its Binance-wide parts,
``BinanceVenueBase``): the core checks an order once, its shape here (``check_order``), its
values and the symbol's filters with the live prices, then journals it; ``place`` sends the
journaled request as it is. What futures add:

* the order carries ``reduce_only`` and a ``position_leg`` (``positionSide``). In one-way
  mode the leg is BOTH (or left out, which Binance reads as BOTH) and ``reduceOnly=true`` is
  sent; in hedge mode the leg is LONG or SHORT, Binance refuses ``reduceOnly`` (-1106) and a
  SELL on LONG / BUY on SHORT can only close, so a reduce-only intent there is sent as that
  closing order without the flag, and one that would open is refused before sending;
* conditional types (STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT: Binance's
  STOP_MARKET, STOP, TAKE_PROFIT_MARKET, TAKE_PROFIT; and TRAILING_STOP_MARKET) go to
  Binance's Algo Service, their own id space: ``place`` sends them there with the client
  order ID as ``clientAlgoId`` and the stop price as ``triggerPrice`` (a trailing stop: its
  ``callbackRate``, 0.1 to 20 percent, and ``activatePrice``), and the core looks them up
  and cancels them through ``ConditionalOrders`` (``lookup_conditional``,
  ``cancel_conditional_order``);
  ``cancel_conditional`` cancels a symbol's open algo orders;
* the answer is ``newOrderRespType=RESULT`` (futures have no FULL: never fills in the
  answer; the core fetches the order's trades);
* a duplicate client order ID is futures' own -4116, mapped to ``DuplicateOrderId``;
* balances are the wallet's (free: available balance, locked: the rest), positions come
  from positionRisk v3 (which carries no leverage nor margin type: filled from the
  account's symbolConfig, read before the first position read, ``futures_symbol_settings``,
  and from what this venue set since), the
  venue judges orders at the mark or last price, never an average (``average_price`` None).

The conversions are in ``futures_venue_records``, the user stream in ``futures_venue_stream``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.errors.codes import error_from_response
from tradeexec.binance.futures_symbol_settings import read_symbol_settings
from tradeexec.binance.futures_venue_records import (
    ALGO_TYPE_OF,
    conditional_cancel_answer,
    conditional_snapshot,
    futures_balances,
    futures_cancel_answer,
    futures_place_answer,
    futures_position,
    futures_prices,
    futures_snapshot,
    futures_trade_record,
    mark_prices_of,
)
from tradeexec.binance.futures_venue_stream import FuturesVenueStream
from tradeexec.binance.models import OrderBook
from tradeexec.binance.models.base import ServerTime
from tradeexec.binance.models.futures import FuturesOrder
from tradeexec.binance.models.futures_algo import FuturesAlgoOrder
from tradeexec.binance.models.futures_market import FuturesPriceTicker, PremiumIndex
from tradeexec.binance.net.gate import placing
from tradeexec.binance.rest.futures_trade import MAX_BATCH, batch_order
from tradeexec.binance.rest.order_args import check_shape
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.futures_rules import futures_exchange_rules
from tradeexec.binance.rules.order_check import order_check_of
from tradeexec.binance.venue import BinanceVenueBase, leg_terms
from tradeexec.binance.venue_records import book_top
from tradeexec.config import ApiFamily
from tradeexec.errors import (
    BinanceAPIError,
    DuplicateOrderId,
    InvalidParameter,
    OrderNotFound,
    TradeexecError,
)
from tradeexec.venue.positions import MarginMode, PositionLeg, PositionSnapshot
from tradeexec.venue.protocol import StopGate
from tradeexec.venue.records import (
    AccountBalances,
    BookTop,
    CancelAnswer,
    OrderSnapshot,
    PlaceAnswer,
    PlacementRequest,
    TradeRecord,
    trail_terms,
)
from tradeexec.venue.rules import OrderTerms
from tradeexec.venue.vocab import OrderStatus, OrderType, Side

__all__ = ["DUPLICATE_CLIENT_ID_CODE", "FuturesVenue"]

DUPLICATE_CLIENT_ID_CODE = -4116  # USDⓈ-M: "ClientOrderId is duplicated."
_NO_NEED_TO_CHANGE_MARGIN_TYPE = -4046
# TRAILING_STOP_MARKET's callbackRate, in percent: min 0.1 (New Algo Order), max 20 since
# Binance's change of 2026-10-23 (10 before).
CALLBACK_RATE_MIN, CALLBACK_RATE_MAX = Decimal("0.1"), Decimal("20")
_ZERO = Decimal(0)
_TRIGGERED = frozenset({"TRIGGERED", "FINISHED"})
_PLAIN = frozenset({OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER})
_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
_BATCH_PATH = "/fapi/v1/batchOrders"
_SETTINGS_RETRY_S = 30.0  # a failed symbolConfig read is tried again by a position read after
# Which side only ever closes a hedge-mode leg.
_CLOSING_SIDE = {PositionLeg.LONG: Side.SELL, PositionLeg.SHORT: Side.BUY}


def _order_options(request: PlacementRequest) -> dict[str, Any]:
    """A plain order's "New Order" parameters (alone or in a batch), ``type`` among them."""
    leg = request.position_leg
    hedged = leg is PositionLeg.LONG or leg is PositionLeg.SHORT
    maker = request.type is OrderType.LIMIT_MAKER
    return {
        "type": "LIMIT" if maker else request.type.value,
        "quantity": request.quantity,
        "price": request.price,
        "time_in_force": "GTX" if maker else (request.time_in_force and request.time_in_force.value),
        "position_side": None if leg is None else leg.value,
        # Hedge mode refuses the flag: there the side and leg already make it a close.
        "reduce_only": True if request.reduce_only and not hedged else None,
        "new_client_order_id": request.client_order_id,
        "new_order_resp_type": "RESULT",
    }


def _check_trail(order: OrderTerms) -> None:
    """A trailing stop's callback rate within Binance's range (the core checked that only a
    trailing stop carries one, and that it has one)."""
    callback, _activation = trail_terms(order)
    if callback is not None and not CALLBACK_RATE_MIN <= callback <= CALLBACK_RATE_MAX:
        raise InvalidParameter(
            "callback_rate",
            f"Binance takes {CALLBACK_RATE_MIN} to {CALLBACK_RATE_MAX} percent (1 is 1%) for a trailing stop",
            str(callback),
        )


class FuturesVenue(BinanceVenueBase):
    """Binance USDⓈ-M futures (or the local exchange's ``/fapi``) through ``client``.

    The position mode is remembered from the last ``hedge_mode()`` (which ``rules()`` calls
    whenever it reads exchangeInfo, at most every ``rules_ttl_s``): ``check_order`` holds
    legs to it before anything is journaled. Before it is known, legs are sent as given and
    the exchange refuses a leg against the mode (-4061)."""

    batch_size = MAX_BATCH  # orders per batchOrders request

    def __init__(self, client: BinanceClient, *, rules_ttl_s: float = 300.0) -> None:
        super().__init__(client)
        self.rules_ttl_s = rules_ttl_s
        self._rules: ExchangeRules | None = None
        self._rules_at = 0.0
        self._hedge: bool | None = None
        self._leverage: dict[str, Decimal] = {}
        self._margin_modes: dict[str, MarginMode] = {}
        self._settings_read = False
        self._settings_tried = -_SETTINGS_RETRY_S  # monotonic time of the last failed read

    # -- rules and the order's shape ------------------------------------------------------

    async def rules(self) -> ExchangeRules:
        """exchangeInfo's rules, reused for ``rules_ttl_s``; the position mode is read again
        with them, so ``check_order`` holds legs to a mode at most that old."""
        now = time.monotonic()
        if self._rules is None or now - self._rules_at > self.rules_ttl_s:
            self._rules = futures_exchange_rules(await self.client.futures_exchange_info())
            self._rules_at = now
            await self.hedge_mode()
        return self._rules

    def check_order(self, order: OrderTerms) -> None:
        """Futures order shapes: LIMIT (GTC, IOC, FOK), LIMIT_MAKER (post-only: Binance's
        GTX), MARKET and the conditional types (a stop price, and a price and time in force
        for the limit ones) by quantity; the leg and reduce-only against the position mode."""
        kind = order.type
        if kind not in _PLAIN and kind not in ALGO_TYPE_OF:
            allowed = ", ".join(sorted({*_PLAIN, *ALGO_TYPE_OF}))
            raise InvalidParameter("type", f"USDⓈ-M futures place {allowed}", str(kind))
        if order.quote_quantity is not None:
            raise InvalidParameter("quoteOrderQty", "futures orders are sized in quantity only", "given")
        check_shape(order_check_of(order))
        self._check_leg(order)
        _check_trail(order)

    def _check_leg(self, order: OrderTerms) -> None:
        reduce_only, leg = leg_terms(order)
        if leg is not None and not isinstance(leg, PositionLeg):
            raise InvalidParameter("position_leg", "must be a PositionLeg (BOTH, LONG, SHORT)", repr(leg))
        hedged = leg is PositionLeg.LONG or leg is PositionLeg.SHORT
        if self._hedge is True and not hedged:
            raise InvalidParameter(
                "position_leg", "the account is in hedge mode: name the LONG or SHORT leg", repr(leg)
            )
        if self._hedge is False and hedged:
            raise InvalidParameter(
                "position_leg", "the account is in one-way mode: the leg is BOTH (or none)", repr(leg)
            )
        if reduce_only and hedged and order.side is not _CLOSING_SIDE[leg]:  # type: ignore[index]
            raise InvalidParameter(
                "reduce_only",
                f"a {order.side} on the {leg} leg opens or adds to it; only {_CLOSING_SIDE[leg]} closes it",  # type: ignore[index]
                "reduce_only=True",
            )

    async def average_price(self, symbol: str) -> Decimal | None:
        return None  # futures judge orders at the mark or last price, never an average

    # -- orders ---------------------------------------------------------------------------

    async def place(self, request: PlacementRequest, *, gate: StopGate | None = None) -> PlaceAnswer:
        # Checked by the core (``check_order``, the rules): built as it is, not checked again;
        # the gate is read again at signing (``net/gate.py``).
        try:
            with placing(gate):
                if request.type in ALGO_TYPE_OF:
                    algo = await self._new_algo(request)
                    return PlaceAnswer(
                        algo.algo_id, conditional_snapshot(algo).status, _ZERO, _ZERO, algo.update_time
                    )
                order = await self._new_order(request)
        except BinanceAPIError as exc:
            if exc.code == DUPLICATE_CLIENT_ID_CODE:  # the Algo Service's word for it too
                raise DuplicateOrderId(str(exc)) from exc
            raise
        return futures_place_answer(order, acknowledged_only=False)

    async def _new_order(self, request: PlacementRequest) -> FuturesOrder:
        o = _order_options(request)
        return await self.client.futures_new_order(
            request.symbol, request.side, o.pop("type"), **o, recv_window=request.recv_window_ms
        )

    async def place_batch(
        self, requests: Sequence[PlacementRequest], *, gate: StopGate | None = None
    ) -> list[PlaceAnswer | TradeexecError]:
        """Up to ``batch_size`` plain orders in one ``POST /fapi/v1/batchOrders``; each answer
        in its place, an order's own refusal as its exception (a duplicate client ID as
        ``DuplicateOrderId``). A lost answer raises for the whole batch (``OrderStatusUnknown``
        or a transport error): each order is then looked up by its own client order ID."""
        batch = [batch_order(r.symbol, r.side, **_order_options(r)) for r in requests]
        window = min(r.recv_window_ms for r in requests)
        with placing(gate):
            answers = await self.client.futures_batch_orders(batch, recv_window=window)
        out: list[PlaceAnswer | TradeexecError] = []
        for a in answers:
            if isinstance(a, FuturesOrder):
                out.append(futures_place_answer(a, acknowledged_only=False))
            elif a.code == DUPLICATE_CLIENT_ID_CODE:
                out.append(DuplicateOrderId(f"{a.code}: {a.msg}"))
            else:
                out.append(error_from_response(400, a.code, a.msg, _BATCH_PATH))
        return out

    async def _new_algo(self, request: PlacementRequest) -> FuturesAlgoOrder:
        """An algo order (``clientAlgoId`` = the client order ID, ``triggerPrice`` = the stop
        price, a trailing stop's ``callbackRate`` and ``activatePrice``), the leg and
        reduce-only as for a plain order. A lost answer raises
        ``OrderStatusUnknown``: the core looks it up by ``lookup_conditional``."""
        leg = request.position_leg
        hedged = leg is PositionLeg.LONG or leg is PositionLeg.SHORT
        callback, activation = trail_terms(request)
        return await self.client.futures_new_algo_order(
            request.symbol,
            request.side,
            ALGO_TYPE_OF[request.type],
            quantity=request.quantity,
            price=request.price,
            trigger_price=request.stop_price,
            callback_rate=callback,
            activate_price=activation,
            time_in_force=request.time_in_force and request.time_in_force.value,
            position_side=None if leg is None else leg.value,
            reduce_only=True if request.reduce_only and not hedged else None,
            client_algo_id=request.client_order_id,
            recv_window=request.recv_window_ms,
        )

    def is_conditional(self, order_type: OrderType) -> bool:
        return order_type in ALGO_TYPE_OF

    async def lookup_conditional(self, symbol: str, client_order_id: str) -> OrderSnapshot:
        """The algo order by ``clientAlgoId``; once triggered (TRIGGERED, FINISHED), the order
        it sent to the book (``actualOrderId``, read by its id) under the intent's client ID:
        its status, executed quantity and order id (which its trades carry) are the intent's
        from then on. FINISHED with no order sent is reported EXPIRED (nothing executed)."""
        algo = await self.client.futures_get_algo_order(client_algo_id=client_order_id)
        if algo.algo_status not in _TRIGGERED:
            return conditional_snapshot(algo)
        if not algo.actual_order_id:
            return replace(conditional_snapshot(algo), status=OrderStatus.EXPIRED)
        actual = await self.client.futures_get_order(symbol, order_id=int(algo.actual_order_id))
        snap = futures_snapshot(actual)
        return replace(snap, client_order_id=client_order_id, created_ms=algo.create_time)

    async def cancel_conditional_order(self, symbol: str, client_order_id: str) -> CancelAnswer:
        answer = await self.client.futures_cancel_algo_order(symbol, client_algo_id=client_order_id)
        return conditional_cancel_answer(answer)

    async def lookup(self, symbol: str, client_order_id: str) -> OrderSnapshot:
        return futures_snapshot(
            await self.client.futures_get_order(symbol, orig_client_order_id=client_order_id)
        )

    async def cancel(self, symbol: str, client_order_id: str) -> CancelAnswer:
        order = await self.client.futures_cancel_order(symbol, orig_client_order_id=client_order_id)
        return futures_cancel_answer(order)

    async def cancel_all(self, symbol: str) -> list[CancelAnswer]:
        """``DELETE /fapi/v1/allOpenOrders`` answers with no order: what was open before it
        is read again after it, and reported as it ended (CANCELED, or FILLED when it filled
        in between)."""
        before = await self.client.futures_open_orders(symbol)
        if not before:
            return []
        await self.client.futures_cancel_all_orders(symbol)
        first = min(o.order_id for o in before)
        ended = await self.client.futures_all_orders(symbol, order_id=first, limit=1000)
        after = {o.order_id: o for o in ended}
        answers = []
        for o in before:
            now = after.get(o.order_id)
            answers.append(
                futures_cancel_answer(o, OrderStatus.CANCELED) if now is None else futures_cancel_answer(now)
            )
        return answers

    async def open_orders(self, symbol: str | None = None) -> list[OrderSnapshot]:
        return [futures_snapshot(o) for o in await self.client.futures_open_orders(symbol)]

    async def recent_orders(
        self, symbol: str, *, since_ms: int | None = None, from_order_id: int | None = None, limit: int
    ) -> list[OrderSnapshot]:
        found = await self.client.futures_all_orders(
            symbol, order_id=from_order_id, start_time=since_ms, limit=limit
        )
        return [futures_snapshot(o) for o in found]

    async def recent_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        since_ms: int | None = None,
        from_trade_id: int | None = None,
        limit: int | None = None,
    ) -> list[TradeRecord]:
        found = await self.client.futures_user_trades(
            symbol, order_id=order_id, start_time=since_ms, from_id=from_trade_id, limit=limit
        )
        return [futures_trade_record(t) for t in found]

    # -- the account ----------------------------------------------------------------------

    async def balances(self) -> AccountBalances:
        return futures_balances(await self.client.futures_account_v3())

    async def last_prices(self, symbols: Sequence[str]) -> dict[str, Decimal]:
        if len(symbols) == 1:  # one symbol weighs half of the whole list
            one = await self.client.request(
                "GET", "/fapi/v1/ticker/price", {"symbol": symbols[0]}, model=FuturesPriceTicker
            )
            return futures_prices([one], symbols)
        every = await self.client.request("GET", "/fapi/v1/ticker/price", model=list[FuturesPriceTicker])
        return futures_prices(every, symbols)

    async def book_top(self, symbol: str, levels: int) -> BookTop:
        limit = next((n for n in _DEPTH_LIMITS if n >= levels), _DEPTH_LIMITS[-1])
        book = await self.client.request(
            "GET", "/fapi/v1/depth", {"symbol": symbol, "limit": limit}, model=OrderBook
        )
        return book_top(book)

    async def mark_prices(self, symbols: Sequence[str]) -> dict[str, Decimal]:
        if len(symbols) == 1:
            one = await self.client.request(
                "GET", "/fapi/v1/premiumIndex", {"symbol": symbols[0]}, model=PremiumIndex
            )
            return dict(mark_prices_of([one], symbols))
        every = await self.client.request("GET", "/fapi/v1/premiumIndex", model=list[PremiumIndex])
        return dict(mark_prices_of(every, symbols))

    async def positions(self, symbol: str | None = None) -> list[PositionSnapshot]:
        """positionRisk v3: legs with a position or open orders (a flat symbol without
        orders is absent); leverage and margin mode as the account's symbolConfig (read once,
        before the first of these reads) or this venue since set them, else None."""
        await self._read_settings()
        rows = await self.client.futures_position_risk_v3(symbol)
        return [
            futures_position(p, self._leverage.get(p.symbol), self._margin_modes.get(p.symbol)) for p in rows
        ]

    async def _read_settings(self) -> None:
        """The symbols' settings, until one read succeeded; a failed read is retried no
        sooner than ``_SETTINGS_RETRY_S`` later (the emergency stop reads positions often)."""
        now = time.monotonic()
        if self._settings_read or now - self._settings_tried < _SETTINGS_RETRY_S:
            return
        self._settings_read = await read_symbol_settings(self.client, self._leverage, self._margin_modes)
        if not self._settings_read:
            self._settings_tried = now

    async def hedge_mode(self) -> bool:
        self._hedge = await self.client.futures_position_mode()
        return self._hedge

    def known_leverage(self, symbol: str) -> Decimal | None:
        return self._leverage.get(symbol)

    async def set_leverage(self, symbol: str, leverage: int) -> Decimal:
        answer = await self.client.futures_change_leverage(symbol, leverage)
        self._leverage[answer.symbol] = Decimal(answer.leverage)
        return answer.max_notional_value

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        """Already in ``mode`` is no error (Binance's -4046 "No need to change")."""
        try:
            await self.client.futures_change_margin_type(
                symbol, "ISOLATED" if mode is MarginMode.ISOLATED else "CROSSED"
            )
        except BinanceAPIError as exc:
            if exc.code != _NO_NEED_TO_CHANGE_MARGIN_TYPE:
                raise
        self._margin_modes[symbol] = mode

    async def cancel_conditional(self, symbol: str) -> int:
        """Cancel each open algo order of ``symbol`` (the Algo Service has no cancel-all of
        its own the local exchange serves). One that is gone meanwhile (triggered, or
        cancelled) is not an error; any other failure is raised once every order was tried,
        so one refusal never leaves the rest standing."""
        open_algos = await self.client.futures_open_algo_orders(symbol)
        failure: BaseException | None = None
        for algo in open_algos:
            try:
                await self.client.futures_cancel_algo_order(symbol, algo_id=algo.algo_id)
            except OrderNotFound:
                continue
            except BinanceAPIError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return len(open_algos)

    async def open_conditional(self, symbol: str | None = None) -> list[OrderSnapshot]:
        return [conditional_snapshot(a) for a in await self.client.futures_open_algo_orders(symbol)]

    # -- the rest -------------------------------------------------------------------------

    def user_stream(self, *, backoff_base_s: float = 0.5) -> FuturesVenueStream:
        """The futures user data stream (a listenKey on the routed /private endpoint), read
        as the core's items; see ``futures_venue_stream``."""
        return FuturesVenueStream.of(
            self.client,
            backoff_base_s=backoff_base_s,
            leverage=self._leverage,
            margin_modes=self._margin_modes,
        )

    async def server_time_ms(self) -> int:
        return (await self.client.request("GET", "/fapi/v1/time", model=ServerTime)).server_time

    def timestamp_ms(self) -> int:
        """The futures host's clock: its orders are signed with that host's measured offset,
        and the core's resend rule dates each order by this (the spot host's offset differs
        on Binance, where the two are separate hosts)."""
        return self.client.timestamp_ms(ApiFamily.USDM)
