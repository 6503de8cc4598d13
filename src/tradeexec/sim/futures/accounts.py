"""One futures account: the USDT wallet, positions per (symbol, positionSide), leverage and
margin type per symbol, and the position mode (``dualSidePosition``).

Fills move positions here with Binance's rules: an increase averages the entry price, a
decrease realizes ``closed * (price - entry)`` (signed) and keeps the entry, a fill through
zero closes the old side and opens the rest at the fill price. The wallet moves only by
realized PnL, commission (and, later, funding), so that the property "wallet change =
realized PnL - commission" holds by construction (every amount booked is rounded to
USDT's eighth decimal first) and is tested as a property. Isolated
positions carry their own wallet, moved out of the cross wallet when the position grows and
back in proportion when it shrinks; the total wallet balance is cross + isolated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)
# Amounts booked to a wallet are whole units of USDT's eighth decimal, as Binance books them,
# so that sums of booked amounts are exact and the wallet equals their sum to the last unit.
UNIT = Decimal("0.00000001")
DEFAULT_LEVERAGE = 20
CROSSED = "CROSSED"
ISOLATED = "ISOLATED"


@dataclass(slots=True)
class OpenPosition:
    symbol: str
    position_side: str  # BOTH / LONG / SHORT
    amt: Decimal = ZERO  # signed: long > 0
    entry: Decimal = ZERO
    isolated_wallet: Decimal = ZERO
    realized: Decimal = ZERO  # accumulated realized PnL (ACCOUNT_UPDATE's "cr")
    update_time: int = 0


@dataclass(frozen=True, slots=True)
class FillEffect:
    """What one fill did to a position: the realized PnL, how much it closed and opened."""

    realized: Decimal
    closed: Decimal
    opened: Decimal


def move_position(pos: OpenPosition, signed_qty: Decimal, price: Decimal) -> FillEffect:
    """Apply a fill of ``signed_qty`` (buy > 0) at ``price`` to ``pos``; returns its effect."""
    old = pos.amt
    if old == 0 or (old > 0) == (signed_qty > 0):
        new = old + signed_qty
        pos.entry = (abs(old) * pos.entry + abs(signed_qty) * price) / abs(new)
        pos.amt = new
        return FillEffect(ZERO, ZERO, abs(signed_qty))
    closed = min(abs(old), abs(signed_qty))
    direction = 1 if old > 0 else -1
    realized = (closed * (price - pos.entry) * direction).quantize(UNIT)
    new = old + signed_qty
    opened = abs(signed_qty) - closed
    pos.amt = new
    if new == 0:
        pos.entry = ZERO
    elif opened:
        pos.entry = price
    return FillEffect(realized, closed, opened)


@dataclass(frozen=True, slots=True)
class MarginChange:
    """One row of the position margin history (``deltaType`` USER_ADJUST)."""

    symbol: str
    kind: int
    amount: Decimal
    position_side: str
    time: int


@dataclass(slots=True)
class FuturesWallet:
    name: str
    wallet: Decimal  # total USDT wallet balance (cross + every isolated wallet)
    dual_side: bool = False
    leverage: dict[str, int] = field(default_factory=dict)
    margin_type: dict[str, str] = field(default_factory=dict)
    positions: dict[tuple[str, str], OpenPosition] = field(default_factory=dict)
    exempt: bool = False  # the house account behind admin liquidity: never margin-checked
    multi_assets: bool = False  # Multi-Assets mode (else Single-Asset)
    margin_changes: list[MarginChange] = field(default_factory=list)  # isolated margin moved by hand

    def leverage_of(self, symbol: str) -> int:
        return self.leverage.get(symbol, DEFAULT_LEVERAGE)

    def margin_type_of(self, symbol: str) -> str:
        return self.margin_type.get(symbol, CROSSED)

    def position(self, symbol: str, position_side: str) -> OpenPosition:
        key = (symbol, position_side)
        pos = self.positions.get(key)
        if pos is None:
            pos = self.positions[key] = OpenPosition(symbol, position_side)
        return pos

    def open_positions(self, symbol: str | None = None) -> list[OpenPosition]:
        return [p for p in self.positions.values() if p.amt and (symbol is None or p.symbol == symbol)]

    def isolated_total(self) -> Decimal:
        return sum((p.isolated_wallet for p in self.positions.values()), ZERO)

    def cross_wallet(self) -> Decimal:
        return self.wallet - self.isolated_total()

    def apply_fill(
        self, pos: OpenPosition, signed_qty: Decimal, price: Decimal, commission: Decimal, now_ms: int
    ) -> FillEffect:
        """Move ``pos`` and the wallet for one fill. An isolated position takes
        ``opened * price / leverage`` from the cross wallet and gives back its wallet in
        proportion to what was closed."""
        before = abs(pos.amt)
        effect = move_position(pos, signed_qty, price)
        if self.margin_type_of(pos.symbol) == ISOLATED:
            if effect.closed and before:
                pos.isolated_wallet -= pos.isolated_wallet * effect.closed / before
            if effect.opened:
                pos.isolated_wallet += effect.opened * price / self.leverage_of(pos.symbol)
            if not pos.amt:
                pos.isolated_wallet = ZERO
        self.wallet += effect.realized - commission
        pos.realized += effect.realized
        pos.update_time = now_ms
        return effect
