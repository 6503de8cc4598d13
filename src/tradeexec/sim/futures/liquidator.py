"""The liquidation engine of the futures side: what a margin ratio of 100 % condemns
(``liquidation.py``) is sent to the market as Binance's liquidation engine sends it. A mixin
of ``FuturesEngine``, apart so that the engine's module keeps to orders, positions and time.

For each condemned group (an isolated position, or every cross position together):

1. the account's open orders on the group's symbols are cancelled (their ORDER_TRADE_UPDATE
   CANCELED comes first);
2. the smart first step (``liquidation.py``): each position above its first bracket tier
   gets an ``autoclose-`` order (as in 3) for the part that brings it under its tier's
   floor; its fills are CALCULATED, its IOC's unfilled rest is stated EXPIRED (no fund takes
   it) and the forceOrder stream shows what it filled. If that leaves the group margin
   compliant after its liquidation fee (an ACCOUNT_UPDATE INSURANCE_CLEAR with the remaining
   positions), liquidation stops there: the rest of the position stays open;
3. else each position gets an ``autoclose-`` order, type LIQUIDATION, LIMIT IOC at its bankruptcy
   price, reduce-only, on the position's side. It trades against the book like any order:
   others' resting orders fill (their own updates, maker commission), the public trade
   stream prints it. The stream states it as Binance's docs say: NEW, then each execution
   as CALCULATED ("Liquidation Execution"); the liquidated account pays no trading fee on it;
4. what the book could not take at or better than the bankruptcy price goes to the
   insurance fund at that price: one more CALCULATED execution of the same order (own trade
   id, in the user's trades, no public print), after which the order is FILLED. The IOC's
   EXPIRED for that remainder is never stated;
5. the clearance fee is booked (income INSURANCE_CLEAR, an ACCOUNT_UPDATE of that reason).

The ``<symbol>@forceOrder`` stream shows each order: its bankruptcy price, its average fill
price and its whole quantity, FILLED. The book's own record of the order stops at its IOC's
part (EXPIRED); the fund's part is kept in the order's ``OrderMeta.fund_qty``, which the
order queries add, so they show it FILLED as the stream does.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from dataclasses import replace
from decimal import Decimal
from typing import Protocol

from tradeexec.binance.enums import OrderStatus, OrderType, Side, TimeInForce
from tradeexec.sim.engine import Engine, Event, OrderRecord, OrderRequest
from tradeexec.sim.futures.accounts import CROSSED, FuturesWallet, OpenPosition
from tradeexec.sim.futures.events import AccountUpdate, FuturesEvent, OrderUpdate, PositionState
from tradeexec.sim.futures.figures import Figures
from tradeexec.sim.futures.liquidation import (
    Condemned,
    bankruptcy_price,
    clearance,
    condemned,
    margin_behind,
    smart_fee,
    smart_quantity,
    still_condemned,
)
from tradeexec.sim.futures.market_history import ForceRecord, MarketHistory
from tradeexec.sim.futures.orders import FuturesFill, OrderMeta
from tradeexec.sim.futures.symbols import Contract

__all__ = ["LIQUIDATION", "LIQUIDATION_IDS", "Liquidations"]

LIQUIDATION = "LIQUIDATION"  # the order type Binance gives a liquidation order
# The insurance fund's trade ids start above any the book hands out.
LIQUIDATION_IDS = 9_000_000_000
ZERO = Decimal(0)


class _Host(Protocol):
    """What the liquidation engine uses of the engine it is mixed into."""

    engine: Engine
    contracts: dict[str, Contract]
    accounts: dict[str, FuturesWallet]
    figures: Figures
    meta: dict[tuple[str, int], OrderMeta]
    fills: dict[str, list[FuturesFill]]
    history: MarketHistory
    _liquidations: int

    def contract(self, symbol: str) -> Contract: ...
    def mark_price(self, symbol: str) -> Decimal: ...
    def cancel_all(self, name: str, symbol: str, now_ms: int) -> None: ...
    def settle(self, events: Sequence[Event], now_ms: int) -> list[FuturesFill]: ...
    def _income(
        self, name: str, symbol: str, kind: str, amount: Decimal, time: int, *, trade_id: int = 0
    ) -> None: ...
    def _tell(self, updates: list[FuturesEvent]) -> None: ...
    def _position_state(self, acct: FuturesWallet, pos: OpenPosition) -> PositionState: ...


class Liquidations:
    def _liquidate(self: _Host, now_ms: int) -> None:
        """Liquidate every group the margin ratio condemns, one group at a time (each close
        changes the figures the next is judged by), for every account."""
        for acct in list(self.accounts.values()):
            if acct.exempt:
                continue
            for _ in range(len(acct.positions) + 1):  # each pass closes a position or saves its group
                groups = condemned(self.figures, acct) if acct.open_positions() else []
                if not groups:
                    break
                Liquidations._close_group(self, acct, groups[0], now_ms)

    def _close_group(self: _Host, acct: FuturesWallet, group: Condemned, now_ms: int) -> None:
        symbols = {p.symbol for p in group.positions}
        if not group.isolated:  # a cross liquidation cancels the orders of every cross symbol
            symbols |= {s for s in self.contracts if acct.margin_type_of(s) == CROSSED}
        for symbol in sorted(symbols):
            self.cancel_all(acct.name, symbol, now_ms)
        done, realized = Liquidations._reduce(self, acct, group, now_ms)
        if done:
            return
        realized += sum(
            (Liquidations._close_position(self, acct, p, group.isolated, now_ms) for p in group.positions),
            ZERO,
        )
        fee = clearance(group, acct, realized)
        if fee:
            acct.wallet += fee
            Liquidations._charge(self, acct, group.positions[0].symbol, fee, (), now_ms)

    def _charge(
        self: _Host,
        acct: FuturesWallet,
        symbol: str,
        fee: Decimal,
        states: tuple[PositionState, ...],
        now_ms: int,
    ) -> None:
        """Book a clearance fee already taken from the wallet: its income and its update."""
        self._income(acct.name, symbol, "INSURANCE_CLEAR", fee, now_ms)
        wallet, cross = acct.wallet, acct.cross_wallet()
        self._tell([AccountUpdate(acct.name, "INSURANCE_CLEAR", wallet, cross, fee, states, now_ms)])

    def _reduce(self: _Host, acct: FuturesWallet, group: Condemned, now_ms: int) -> tuple[bool, Decimal]:
        """The smart first step (``liquidation.py``): one IOC order per position above its
        first tier. Returns whether it made the group compliant (its fee then booked) and the
        PnL it realized."""
        realized, fee, reduced = ZERO, ZERO, []
        for pos in group.positions:
            wallet_before = pos.isolated_wallet
            qty = smart_quantity(self.contract(pos.symbol), pos.amt, self.mark_price(pos.symbol))
            if not qty or margin_behind(self.figures, acct, pos, group.isolated) <= 0:
                continue  # a first-tier position, or one already bankrupt: no first order
            order, mine = Liquidations._send(self, acct, pos, qty, group.isolated, now_ms, smart=True)
            if not mine:
                continue
            Liquidations._publish(self, order, sum((f.qty for f in mine), ZERO), mine, now_ms)
            gained = sum((f.realized_pnl for f in mine), ZERO)
            charge = -smart_fee(self.contract(pos.symbol), sum((f.quote_qty for f in mine), ZERO))
            if group.isolated:  # its loss and its fee are its own wallet's, not the cross one's
                pos.isolated_wallet = wallet_before + gained + charge
            realized, fee = realized + gained, fee + charge
            reduced.append(pos)
        acct.wallet += fee
        if not reduced or still_condemned(self.figures, acct, group):
            acct.wallet -= fee
            if group.isolated and reduced:  # one position: its wallet took the whole fee
                reduced[0].isolated_wallet -= fee
            return False, realized
        states = tuple(self._position_state(acct, p) for p in reduced)
        Liquidations._charge(self, acct, reduced[0].symbol, fee, states, now_ms)
        return True, realized

    def _send(
        self: _Host,
        acct: FuturesWallet,
        pos: OpenPosition,
        qty: Decimal,
        isolated: bool,
        now_ms: int,
        *,
        smart: bool,
    ) -> tuple[OrderRecord, list[FuturesFill]]:
        """Send a liquidation order for ``qty`` of ``pos`` at its bankruptcy price through the
        book; returns the order and its fills there."""
        amount, symbol = pos.amt, pos.symbol
        balance = margin_behind(self.figures, acct, pos, isolated)
        price = bankruptcy_price(amount, self.mark_price(symbol), balance, self.contract(symbol).tick)
        side = Side.SELL if amount > 0 else Side.BUY
        self._liquidations += 1
        request = OrderRequest(
            symbol, side, OrderType.LIMIT, quantity=qty, price=price,
            time_in_force=TimeInForce.IOC, client_order_id=f"autoclose-{now_ms}{self._liquidations:04d}",
        )  # fmt: skip
        result = self.engine.place(acct.name, request, now_ms)
        self.meta[(symbol, result.order.order_id)] = OrderMeta(
            pos.position_side, True, LIQUIDATION, "IOC", smart=smart
        )
        mine = [f for f in self.settle(result.events, now_ms) if f.order_id == result.order.order_id]
        return result.order, mine

    def _publish(
        self: _Host, order: OrderRecord, filled: Decimal, mine: list[FuturesFill], now_ms: int
    ) -> None:
        """The forceOrder stream's record of a liquidation order: what it liquidated (the
        fund's part, priced at the order's price, included) at its average price."""
        quote = sum((f.quote_qty for f in mine), ZERO) + (filled - order.executed_qty) * order.price
        record = ForceRecord(order.symbol, order.side.value, filled, order.price, now_ms, quote / filled)
        self.history.liquidated(record)

    def _close_position(
        self: _Host, acct: FuturesWallet, pos: OpenPosition, isolated: bool, now_ms: int
    ) -> Decimal:
        """Send ``pos`` to the book as a liquidation order, the fund taking what the book
        could not; returns the PnL the close realized."""
        amount, symbol = pos.amt, pos.symbol
        if not amount:
            return ZERO
        order, mine = Liquidations._send(self, acct, pos, abs(amount), isolated, now_ms, smart=False)
        realized = sum((f.realized_pnl for f in mine), ZERO)
        rest = order.orig_qty - order.executed_qty
        if rest:
            key = (symbol, order.order_id)
            meta = self.meta[key] = replace(self.meta[key], fund_qty=rest)
            realized += Liquidations._to_fund(self, acct, pos, order, meta=meta, rest=rest, now_ms=now_ms)
        Liquidations._publish(self, order, order.orig_qty, mine, now_ms)
        return realized

    def _to_fund(
        self: _Host,
        acct: FuturesWallet,
        pos: OpenPosition,
        order: OrderRecord,
        *,
        meta: OrderMeta,
        rest: Decimal,
        now_ms: int,
    ) -> Decimal:
        """The insurance fund takes ``rest`` of the order at its price: booked on the account
        like a fill (no fee), stated as the order's last execution; returns the realized PnL."""
        price = order.price
        signed = rest if order.side is Side.BUY else -rest
        effect = acct.apply_fill(pos, signed, price, ZERO, now_ms)
        self._liquidations += 1
        trade_id = LIQUIDATION_IDS + self._liquidations
        fill = FuturesFill(
            trade_id, order.order_id, order.symbol, order.side, meta.position_side, price, rest,
            rest * price, ZERO, effect.realized, False, now_ms,
        )  # fmt: skip
        self.fills.setdefault(acct.name, []).append(fill)
        if effect.realized:
            self._income(acct.name, order.symbol, "REALIZED_PNL", effect.realized, now_ms, trade_id=trade_id)
        final = copy(order)
        final.executed_qty = order.orig_qty
        final.cummulative_quote_qty = order.cummulative_quote_qty + rest * price
        final.status = OrderStatus.FILLED
        final.update_time = now_ms
        state = self._position_state(acct, pos)
        self._tell(
            [
                OrderUpdate(acct.name, final, meta, "CALCULATED", fill, now_ms),
                AccountUpdate(acct.name, "ORDER", acct.wallet, acct.cross_wallet(), ZERO, (state,), now_ms),
            ]
        )
        return effect.realized
