"""A derivatives venue that is not Binance: ``FakeVenue`` with positions per symbol and leg
(``DerivativesVenue``), for the core's unit tests of legs, futures risk and targets.

Its own books, the simple way: every fill of an order that names a leg moves the venue's
leg (``venue_legs``: signed quantity and entry, Binance's averaging rule written out again
here, not imported from the core) and its wallet (realized PnL minus a 0.04 % commission in
USDT). A fill of an order with no leg is refused: this venue trades positions only. The test
sets marks (``marks``), the position mode (``hedge``) and liquidation prices
(``liquidation``) and reads what was sent (``requests``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from tradeexec.venue.positions import MarginMode, PositionLeg, PositionSnapshot
from tradeexec.venue.protocol import StopGate
from tradeexec.venue.records import (
    AccountBalances,
    AssetHolding,
    OrderSnapshot,
    PlaceAnswer,
    PlacementFill,
    PlacementRequest,
)
from tradeexec.venue.vocab import Side

from .fake_venue import FakeVenue, _now_ms

ZERO = Decimal(0)
FUTURES_FEE = Decimal("0.0004")
UNIT = Decimal("0.00000001")


class FakeDerivatives(FakeVenue):
    def __init__(self, price: Decimal = Decimal("60000"), wallet: Decimal = Decimal(10_000)) -> None:
        super().__init__(price)
        self.wallet = wallet
        self.hedge = False
        self.marks: dict[str, Decimal] = {}
        self.leverage: dict[str, int] = {}
        self.margin_modes: dict[str, MarginMode] = {}
        self.liquidation: dict[tuple[str, PositionLeg], Decimal] = {}
        self.venue_legs: dict[tuple[str, PositionLeg], tuple[Decimal, Decimal, int]] = {}
        self.requests: list[PlacementRequest] = []
        self.conditional_cancels: list[str] = []

    # ---- placements move legs, not holdings -------------------------------------------------

    async def place(self, request: PlacementRequest, *, gate: StopGate | None = None) -> PlaceAnswer:
        if request.position_leg is None:
            raise AssertionError(f"{request.client_order_id}: a derivatives order without a leg")
        self.requests.append(request)
        return await super().place(request, gate=gate)

    def _fill(self, cid: str, price: Decimal, qty: Decimal | None = None) -> PlacementFill:
        order = self.orders[cid]
        leg = next(r.position_leg for r in reversed(self.requests) if r.client_order_id == cid)
        assert leg is not None
        held = dict(self.holdings)
        fill = super()._fill(cid, price, qty)
        self.holdings = held  # a futures fill moves the position and the wallet only
        fee = (fill.qty * fill.price * FUTURES_FEE).quantize(UNIT)
        signed = fill.qty if order.side is Side.BUY else -fill.qty
        self.move_leg(order.symbol, leg, signed, fill.price, fee)
        self.trades[-1] = replace(self.trades[-1], commission=fee, commission_asset="USDT")
        return PlacementFill(fill.price, fill.qty, fee, "USDT", fill.trade_id)

    def move_leg(self, symbol: str, leg: PositionLeg, signed: Decimal, price: Decimal, fee: Decimal) -> None:
        """The venue's own arithmetic for one fill (also what a test uses to move a leg with
        no order of the core's: a liquidation, another client's trade)."""
        q, e, _ = self.venue_legs.get((symbol, leg), (ZERO, ZERO, 0))
        realized = ZERO
        if q == 0 or (q > 0) == (signed > 0):
            e = (abs(q) * e + abs(signed) * price) / abs(q + signed)
        else:
            closed = min(abs(q), abs(signed))
            realized = (closed * (price - e) * (1 if q > 0 else -1)).quantize(UNIT)
            if abs(signed) > abs(q):
                e = price
            elif abs(signed) == abs(q):
                e = ZERO
        self.venue_legs[(symbol, leg)] = (q + signed, e, _now_ms())
        self.wallet += realized - fee

    # ---- DerivativesVenue ---------------------------------------------------------------------

    async def positions(self, symbol: str | None = None) -> Sequence[PositionSnapshot]:
        out = []
        for (s, leg), (q, e, t) in sorted(self.venue_legs.items()):
            if symbol not in (None, s) or not q:
                continue
            mark = self.marks.get(s, self.price)
            out.append(
                PositionSnapshot(
                    s,
                    leg,
                    q,
                    e,
                    mark,
                    q * (mark - e),
                    self.liquidation.get((s, leg), ZERO),
                    self.margin_modes.get(s, MarginMode.CROSSED),
                    ZERO,
                    Decimal(self.leverage.get(s, 20)),
                    "USDT",
                    t,
                )
            )
        return out

    async def hedge_mode(self) -> bool:
        return self.hedge

    def known_leverage(self, symbol: str) -> Decimal | None:
        return Decimal(self.leverage[symbol]) if symbol in self.leverage else None

    async def set_leverage(self, symbol: str, leverage: int) -> Decimal:
        self.leverage[symbol] = leverage
        return Decimal(1_000_000) / leverage

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        self.margin_modes[symbol] = mode

    async def cancel_conditional(self, symbol: str) -> int:
        self.conditional_cancels.append(symbol)
        return 0

    async def open_conditional(self, symbol: str | None = None) -> list[OrderSnapshot]:
        return []

    async def mark_prices(self, symbols: Sequence[str]) -> dict[str, Decimal]:
        return {s: self.marks.get(s, self.price) for s in symbols}

    async def balances(self) -> AccountBalances:
        return AccountBalances([AssetHolding("USDT", self.wallet)], _now_ms())
