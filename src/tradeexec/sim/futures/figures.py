"""The figures Binance reports for positions and the account, computed on demand from the
positions, the open orders and the mark price with ``margin.py`` (nothing is cached, so a
mark-price change shows everywhere at once)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from tradeexec.sim.engine import Engine
from tradeexec.sim.futures import margin
from tradeexec.sim.futures.accounts import ISOLATED, FuturesWallet, OpenPosition
from tradeexec.sim.futures.orders import OrderMeta
from tradeexec.sim.futures.symbols import Contract

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PositionFigures:
    position: OpenPosition
    isolated: bool
    leverage: int
    mark: Decimal
    notional: Decimal  # signed like the position, as Binance reports it
    unrealized: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    open_order_margin: Decimal
    liquidation_price: Decimal

    @property
    def isolated_margin(self) -> Decimal:
        """An isolated position's margin: its wallet plus its unrealized PnL."""
        return self.position.isolated_wallet + self.unrealized if self.isolated else ZERO


@dataclass(frozen=True, slots=True)
class AccountFigures:
    wallet: Decimal
    cross_wallet: Decimal
    unrealized: Decimal
    cross_unrealized: Decimal
    position_initial_margin: Decimal
    open_order_margin: Decimal
    maint_margin: Decimal
    available: Decimal

    @property
    def margin_balance(self) -> Decimal:
        return self.wallet + self.unrealized

    @property
    def initial_margin(self) -> Decimal:
        return self.position_initial_margin + self.open_order_margin

    @property
    def max_withdraw(self) -> Decimal:
        return max(ZERO, min(self.available, self.cross_wallet))


class Market(Protocol):
    """What the figures read (``FuturesEngine`` provides it): books and open orders, each
    order's futures attributes, the contracts and the mark price."""

    engine: Engine
    meta: dict[tuple[str, int], OrderMeta]
    contracts: dict[str, Contract]

    def contract(self, symbol: str) -> Contract: ...

    def mark_price(self, symbol: str) -> Decimal: ...


class Figures:
    def __init__(self, owner: Market) -> None:
        self.owner = owner

    def open_order_margin(
        self, acct: FuturesWallet, symbol: str, position_side: str | None = None
    ) -> Decimal:
        """Initial margin held by open orders that would open a position (price * remaining /
        leverage); closing orders hold none."""
        owner = self.owner
        total = ZERO
        lev = acct.leverage_of(symbol)
        for order in owner.engine.open_orders(acct.name, symbol):
            meta = owner.meta[(symbol, order.order_id)]
            if meta.reduce_only or (position_side is not None and meta.position_side != position_side):
                continue
            total += order.price * (order.orig_qty - order.executed_qty) / lev
        return total

    def position(self, acct: FuturesWallet, pos: OpenPosition) -> PositionFigures:
        owner = self.owner
        symbol = pos.symbol
        contract = owner.contract(symbol)
        mark = owner.mark_price(symbol)
        lev = acct.leverage_of(symbol)
        isolated = acct.margin_type_of(symbol) == ISOLATED
        unrealized = margin.unrealized_pnl(pos.amt, pos.entry, mark)
        maint = margin.maint_margin(pos.amt, mark, contract.brackets)
        if isolated:
            legs = [margin.Leg(pos.amt, pos.entry)]
            liq = margin.liquidation_price(pos.isolated_wallet, legs, contract.brackets, mark)
        else:
            liq = self._cross_liquidation(acct, symbol, mark)
        return PositionFigures(
            position=pos,
            isolated=isolated,
            leverage=lev,
            mark=mark,
            notional=pos.amt * mark,
            unrealized=unrealized,
            initial_margin=margin.initial_margin(pos.amt, mark, lev),
            maint_margin=maint,
            open_order_margin=self.open_order_margin(acct, symbol, pos.position_side),
            liquidation_price=liq,
        )

    def _cross_liquidation(self, acct: FuturesWallet, symbol: str, mark: Decimal) -> Decimal:
        """The FAQ's cross formula: this symbol's legs, every other cross position's
        maintenance margin (TMM1) and unrealized PnL (UPNL1)."""
        owner = self.owner
        legs: list[margin.Leg] = []
        other_maint = other_upnl = ZERO
        for p in acct.open_positions():
            if acct.margin_type_of(p.symbol) == ISOLATED:
                continue
            if p.symbol == symbol:
                legs.append(margin.Leg(p.amt, p.entry))
                continue
            m = owner.mark_price(p.symbol)
            other_maint += margin.maint_margin(p.amt, m, owner.contract(p.symbol).brackets)
            other_upnl += margin.unrealized_pnl(p.amt, p.entry, m)
        return margin.liquidation_price(
            acct.cross_wallet(),
            legs,
            owner.contract(symbol).brackets,
            mark,
            other_maint=other_maint,
            other_upnl=other_upnl,
        )

    def positions(self, acct: FuturesWallet, symbol: str | None = None) -> list[PositionFigures]:
        return [self.position(acct, p) for p in acct.open_positions(symbol)]

    def account(self, acct: FuturesWallet) -> AccountFigures:
        figs = self.positions(acct)
        cross = [f for f in figs if not f.isolated]
        order_margin = sum((self.open_order_margin(acct, s) for s in self.owner.contracts), ZERO)
        cross_upnl = sum((f.unrealized for f in cross), ZERO)
        cross_im = sum((f.initial_margin for f in cross), ZERO)
        cross_wallet = acct.cross_wallet()
        return AccountFigures(
            wallet=acct.wallet,
            cross_wallet=cross_wallet,
            unrealized=sum((f.unrealized for f in figs), ZERO),
            cross_unrealized=cross_upnl,
            position_initial_margin=sum((f.initial_margin for f in figs), ZERO),
            open_order_margin=order_margin,
            maint_margin=sum((f.maint_margin for f in figs), ZERO),
            available=cross_wallet + cross_upnl - cross_im - order_margin,
        )

    def available(self, acct: FuturesWallet) -> Decimal:
        return self.account(acct).available
