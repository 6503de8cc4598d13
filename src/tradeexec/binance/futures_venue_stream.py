"""Binance's USDⓈ-M user data stream as the venue's neutral ``UserStream``.

It reads ``binance.ws.futures_userdata.FuturesUserData`` (the listenKey loop on the routed
/private endpoint, recovering orders and wallets from ``/fapi`` after each reconnect) and
turns each event into the core's words:

* ORDER_TRADE_UPDATE -> a ``FuturesExecution`` (an ``ExecutionUpdate``; it also carries the
  leg, the realized profit and the reduce-only flag for the position tracker). Futures state
  no cumulative quote: it is the average price times the filled quantity;
* ACCOUNT_UPDATE -> ``BalancesChanged`` (the stream states the wallet balance only: it is
  reported whole as ``free``, the split into available and margin held is the account
  read's) and ``PositionsChanged`` with the event's reason; reason FUNDING_FEE also gives a
  ``FundingSettled`` per payment, for its symbol (``futures_funding``: a cross payment's
  symbol is read from the income history);
* a ``VenueAlarm``, before the event it comes from: MARGIN_CALL; an order of the venue's own
  liquidation (client id ``autoclose-``, status NEW_INSURANCE, execution CALCULATED) or
  auto-deleveraging (client id ``adl_autoclose``, status NEW_ADL), once per order (its
  first update: the executions that follow belong to the same record);
* after a reconnect, ``RecoveredOrder``s and ``RecoveredBalances`` from the inner recovery,
  then ``RecoveredPositions``: every leg read from positionRisk v3 when the consumer reaches
  the reconnect (a failed read is reported as the link down, so the core keeps polling),
  with the leverage and margin type read again from symbolConfig just before (a change
  made while the stream was down was announced on no stream heard here);
* ALGO_UPDATE (the Algo Service's conditional orders, their own id space) -> a
  ``ConditionalUpdate``: the algo order's status, and once it fired the order it sent to the
  book (``ai``) with that order's filled quantity and average price so far;
* ACCOUNT_CONFIG_UPDATE keeps the venue's leverage per symbol current (``leverage``), which
  positionRisk v3 does not carry.

TRADE_LITE (a subset sent before the full update of the same fill) is not passed on.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.futures_funding import FundingAttribution
from tradeexec.binance.futures_symbol_settings import read_symbol_settings
from tradeexec.binance.futures_venue_records import futures_position, futures_snapshot, futures_status
from tradeexec.binance.models import FuturesAccountUpdate, OrderTradeUpdate
from tradeexec.binance.models.futures_events import (
    AccountConfigUpdate,
    AlgoUpdate,
    FuturesOrderData,
    MarginCall,
)
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.futures_userdata import FuturesUserData
from tradeexec.binance.ws.userdata import MissedFuturesAccount, MissedFuturesOrder, UserDataItem
from tradeexec.errors import TradeexecError
from tradeexec.venue.positions import (
    AlarmKind,
    MarginMode,
    PositionLeg,
    PositionsChanged,
    RecoveredPositions,
    VenueAlarm,
)
from tradeexec.venue.records import AssetHolding
from tradeexec.venue.stream import (
    BalancesChanged,
    ConditionalStatus,
    ConditionalUpdate,
    LinkState,
    RecoveredBalances,
    RecoveredOrder,
    StreamLink,
    UserStreamItem,
)
from tradeexec.venue.vocab import ExecutionType, OrderStatus, Side

__all__ = ["FuturesExecution", "FuturesVenueStream", "alarm_of_order", "conditional_of", "execution_of"]

log = logging.getLogger(__name__)

_ZERO = Decimal(0)
# CALCULATED is a liquidation's fill; AMENDMENT a modified order (spot's word: REPLACED).
_EXECUTIONS = {e.value: e for e in ExecutionType} | {
    "CALCULATED": ExecutionType.TRADE,
    "AMENDMENT": ExecutionType.REPLACED,
}
_LINKS = {
    ConnectionState.CONNECTED: LinkState.CONNECTED,
    ConnectionState.DISCONNECTED: LinkState.DISCONNECTED,
    ConnectionState.RECONNECTED: LinkState.RECONNECTED,
}
_LIQUIDATION_ID = "autoclose-"
_ADL_ID = "adl_autoclose"


@dataclass(slots=True, frozen=True)
class FuturesExecution:
    """One ORDER_TRADE_UPDATE as an ``ExecutionUpdate``. Beyond the protocol: ``leg`` (the
    order's positionSide), ``realized_profit`` of this fill (Binance's ``rp``), ``reduce_only``
    and ``is_maker``, for the position tracker."""

    symbol: str
    client_order_id: str
    order_id: int
    side: Side
    execution_type: ExecutionType
    order_status: OrderStatus
    cumulative_filled_qty: Decimal
    cumulative_quote_qty: Decimal
    transaction_time: int
    trade_id: int | None
    last_executed_price: Decimal
    last_executed_qty: Decimal
    commission: Decimal
    commission_asset: str | None
    leg: PositionLeg
    realized_profit: Decimal
    reduce_only: bool
    is_maker: bool
    orig_client_order_id: str | None = None  # futures name the order by its own id always
    order_creation_time: int | None = None  # not in the futures event

    @property
    def last_quote_qty(self) -> Decimal | None:
        return self.last_executed_price * self.last_executed_qty if self.trade_id is not None else None


def execution_of(event: OrderTradeUpdate) -> FuturesExecution:
    o = event.order
    kind = _EXECUTIONS.get(o.execution_type, ExecutionType.NEW)
    traded = kind is ExecutionType.TRADE
    return FuturesExecution(
        symbol=o.symbol,
        client_order_id=o.client_order_id,
        order_id=o.order_id,
        side=Side(o.side),
        execution_type=kind,
        order_status=futures_status(o.order_status),
        cumulative_filled_qty=o.cumulative_filled_qty,
        cumulative_quote_qty=o.average_price * o.cumulative_filled_qty,
        transaction_time=event.transaction_time,
        trade_id=o.trade_id if traded else None,
        last_executed_price=o.last_filled_price,
        last_executed_qty=o.last_filled_qty,
        commission=o.commission,
        commission_asset=o.commission_asset or None,
        leg=PositionLeg(o.position_side),
        realized_profit=o.realized_profit,
        reduce_only=o.reduce_only,
        is_maker=o.is_maker,
    )


def conditional_of(event: AlgoUpdate) -> ConditionalUpdate | None:
    """ALGO_UPDATE in the core's words; None for a status Binance may add that the core does
    not know (logged: the core's lookups still follow the order)."""
    o = event.order
    try:
        status = ConditionalStatus(o.algo_status)
    except ValueError:
        log.warning("ALGO_UPDATE with an unknown status %r for %s: ignored", o.algo_status, o.client_algo_id)
        return None
    placed = int(o.actual_order_id) if o.actual_order_id and o.actual_order_id != "0" else None
    return ConditionalUpdate(
        symbol=o.symbol,
        client_order_id=o.client_algo_id,
        conditional_id=o.algo_id,
        status=status,
        event_time=event.transaction_time,
        placed_order_id=placed,
        executed_qty=o.actual_filled_qty,
        cumulative_quote=o.actual_avg_price * o.actual_filled_qty,
        reason=o.reject_reason,
    )


def alarm_of_order(o: FuturesOrderData, event_time: int) -> VenueAlarm | None:
    """The alarm an order of the venue's own closing (liquidation, auto-deleveraging) raises,
    or None for any other order."""
    cid = o.client_order_id
    if cid.startswith(_ADL_ID) or o.order_status == "NEW_ADL":
        kind = AlarmKind.AUTO_DELEVERAGE
    elif (
        cid.startswith(_LIQUIDATION_ID)
        or o.order_status == "NEW_INSURANCE"
        or o.execution_type == "CALCULATED"
    ):
        kind = AlarmKind.LIQUIDATION
    else:
        return None
    detail = (
        f"{o.side} {o.quantity} {o.symbol} ({o.position_side}) by the exchange: {cid}, "
        f"{o.execution_type}/{o.order_status}, filled {o.cumulative_filled_qty} at {o.average_price}"
    )
    return VenueAlarm(kind, o.symbol, detail, event_time)


def _margin_call_alarm(event: MarginCall) -> VenueAlarm:
    symbols = sorted({p.symbol for p in event.positions})
    legs = "; ".join(
        f"{p.symbol} {p.position_side} {p.position_amt} at mark {p.mark_price}, "
        f"maintenance {p.maintenance_margin}"
        for p in event.positions
    )
    return VenueAlarm(AlarmKind.MARGIN_CALL, symbols[0] if len(symbols) == 1 else "", legs, event.event_time)


def _account_items(event: FuturesAccountUpdate) -> list[UserStreamItem]:
    account, when = event.account, event.transaction_time
    items: list[UserStreamItem] = []
    if account.balances:
        items.append(
            BalancesChanged([AssetHolding(b.asset, b.wallet_balance) for b in account.balances], when)
        )
    if account.positions:
        legs = [
            (p.symbol, PositionLeg(p.position_side), p.position_amt, p.entry_price) for p in account.positions
        ]
        items.append(PositionsChanged(legs, account.reason, when))
    return items


class FuturesVenueStream:
    """``FuturesUserData`` read as neutral items (``futures_venue_stream``'s docstring).
    ``leverage`` (symbol -> leverage) and ``margin_modes`` are the venue's settings as it
    knows them (shared with ``FuturesVenue``); the stream keeps the leverage current."""

    def __init__(
        self,
        stream: FuturesUserData,
        leverage: dict[str, Decimal] | None = None,
        margin_modes: dict[str, MarginMode] | None = None,
    ) -> None:
        if stream.on_event is not None:
            raise ValueError("the venue's stream is read from its queue; give the stream no on_event")
        self.stream = stream
        self.leverage = {} if leverage is None else leverage
        self.margin_modes = {} if margin_modes is None else margin_modes
        self.funding = FundingAttribution(stream.client, self.margin_modes)
        self._pending: deque[UserStreamItem] = deque()
        # The venue's closing orders already alarmed: one alarm per order, however many
        # executions it has (a liquidation through the book fills in parts).
        self._alarmed: deque[int] = deque(maxlen=256)

    @classmethod
    def of(
        cls,
        client: BinanceClient,
        *,
        backoff_base_s: float = 0.5,
        leverage: dict[str, Decimal] | None = None,
        margin_modes: dict[str, MarginMode] | None = None,
    ) -> FuturesVenueStream:
        inner = FuturesUserData(client, client.settings.urls.stream, backoff_base_s=backoff_base_s)
        return cls(inner, leverage, margin_modes)

    async def start(self) -> None:
        await self.stream.start()

    async def close(self) -> None:
        await self.stream.close()

    def __aiter__(self) -> FuturesVenueStream:
        return self

    async def __anext__(self) -> UserStreamItem:
        while not self._pending:
            await self._translate(await self.stream.__anext__())
        return self._pending.popleft()

    async def _translate(self, item: UserDataItem) -> None:
        out = self._pending
        if isinstance(item, OrderTradeUpdate):
            alarm = alarm_of_order(item.order, item.event_time)
            if alarm is not None and item.order.order_id not in self._alarmed:
                self._alarmed.append(item.order.order_id)  # once per order, not per execution
                out.append(alarm)
            out.append(execution_of(item))
        elif isinstance(item, FuturesAccountUpdate):
            out.extend(await self.funding.settled(item))
            out.extend(_account_items(item))
        elif isinstance(item, AlgoUpdate):
            update = conditional_of(item)
            if update is not None:
                out.append(update)
        elif isinstance(item, MarginCall):
            out.append(_margin_call_alarm(item))
        elif isinstance(item, AccountConfigUpdate):
            if item.symbol_config is not None:
                self.leverage[item.symbol_config.symbol] = Decimal(item.symbol_config.leverage)
        elif isinstance(item, MissedFuturesOrder):
            out.append(RecoveredOrder(futures_snapshot(item.order)))
        elif isinstance(item, MissedFuturesAccount):
            if item.balances:
                out.append(
                    RecoveredBalances({a: (wallet, _ZERO) for a, (wallet, _cross) in item.balances.items()})
                )
        elif isinstance(item, ConnectionEvent):
            link = _LINKS.get(item.state)
            if link is not None:
                out.append(StreamLink(link, item.reason))
            if item.state is ConnectionState.RECONNECTED:
                out.append(await self._recovered_positions())

    async def _recovered_positions(self) -> UserStreamItem:
        await read_symbol_settings(self.stream.client, self.leverage, self.margin_modes)
        try:
            rows = await self.stream.client.futures_position_risk_v3()
        except TradeexecError as exc:
            log.error("futures position recovery failed: %s", exc)
            return StreamLink(LinkState.DISCONNECTED, f"position recovery failed: {exc}")
        return RecoveredPositions(
            [futures_position(p, self.leverage.get(p.symbol), self.margin_modes.get(p.symbol)) for p in rows]
        )
