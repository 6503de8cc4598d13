"""Positions of a derivatives venue (Binance USDT-M futures today), in the core's words.

A spot account holds assets; a derivatives account holds, beside its wallet balances,
positions per symbol and *leg*: one leg per symbol in one-way mode (``PositionLeg.BOTH``,
the quantity signed), two in hedge mode (``LONG`` and ``SHORT``, each its own entry price).
A position is never folded into the balances: it is not an asset, and its value moves with
the mark price, not with a trade.

What a venue says about positions reaches the core as these records: a read of every
position (``DerivativesVenue.positions``), a stream statement of the legs an event changed
(``PositionsChanged``: a fill, a funding payment, a liquidation, a margin change), what a
reconnect's recovery found (``RecoveredPositions``) and an alarm the trader must see at once
(``VenueAlarm``: a margin call, a liquidation or auto-deleveraging order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "AlarmKind",
    "FundingSettled",
    "MarginMode",
    "PositionLeg",
    "PositionSnapshot",
    "PositionsChanged",
    "RecoveredPositions",
    "VenueAlarm",
]


class PositionLeg(StrEnum):
    """Which of a symbol's positions an order works on (Binance's ``positionSide``): BOTH in
    one-way mode, LONG or SHORT in hedge mode."""

    BOTH = "BOTH"
    LONG = "LONG"
    SHORT = "SHORT"


class MarginMode(StrEnum):
    """Whether a position's margin is the whole wallet's (CROSSED) or its own (ISOLATED)."""

    CROSSED = "CROSSED"
    ISOLATED = "ISOLATED"


@dataclass(slots=True, frozen=True)
class PositionSnapshot:
    """One leg of one symbol as the venue reports it, as of ``update_time`` (the venue's ms).

    ``quantity`` is signed (negative: short; a hedge-mode SHORT leg is negative too), 0 when
    flat. ``entry_price`` is the venue's own average entry; ``unrealized_pnl`` and
    ``liquidation_price`` are at ``mark_price``; ``isolated_margin`` is 0 under CROSSED.
    ``leverage`` is None where the venue's position read does not carry it (Binance's v3
    positionRisk); the adapter fills it from the account's settings when it knows them."""

    symbol: str
    leg: PositionLeg
    quantity: Decimal
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    liquidation_price: Decimal
    margin_mode: MarginMode
    isolated_margin: Decimal
    leverage: Decimal | None
    margin_asset: str
    update_time: int


@dataclass(slots=True, frozen=True)
class PositionsChanged:
    """A user-stream statement of the legs an event changed (Binance's ACCOUNT_UPDATE):
    ``legs`` are (symbol, leg, quantity, entry price) after the event, ``reason`` the venue's
    word for why (ORDER, FUNDING_FEE, MARGIN_TRANSFER, ...), ``update_time`` its ms. Legs not
    listed did not change."""

    legs: Sequence[tuple[str, PositionLeg, Decimal, Decimal]]
    reason: str
    update_time: int


@dataclass(slots=True, frozen=True)
class RecoveredPositions:
    """After a reconnect: every position as the venue reports it now (what the stream missed
    is in it), for the tracker to reconcile with."""

    positions: Sequence[PositionSnapshot]


class AlarmKind(StrEnum):
    MARGIN_CALL = "margin_call"  # the margin ratio crossed the venue's warning line
    LIQUIDATION = "liquidation"  # the venue is closing a position itself
    AUTO_DELEVERAGE = "auto_deleverage"  # the venue closed a position against a liquidation


@dataclass(slots=True, frozen=True)
class VenueAlarm:
    """Something the trader must see at once, from the venue's stream; ``symbol`` is empty
    when it concerns the whole account."""

    kind: AlarmKind
    symbol: str
    detail: str
    event_time: int


@dataclass(slots=True, frozen=True)
class FundingSettled:
    """A funding payment settled on the account: ``amount`` of ``asset`` (negative: paid),
    for ``symbol`` when the venue says which (Binance's stream does only for an isolated
    position; its income history always does), at ``event_time``. Not a trade: it moves the
    wallet and the position's PnL, never its quantity."""

    symbol: str
    asset: str
    amount: Decimal
    event_time: int
