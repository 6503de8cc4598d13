"""Moving margin in and out of an isolated position (``POST /fapi/v1/positionMargin``, type
1 adds, 2 reduces) and its history (``GET /fapi/v1/positionMargin/history``).

The margin moves between the cross wallet and the position's isolated wallet; the total
wallet does not change, and the liquidation price moves because an isolated position's
formula takes its isolated wallet as WB (``margin.py``). Refusals are Binance's codes and
texts (USDⓈ-M error list): -4049 a cross position, -4054 no position, -4055 an amount that
is not positive, -4050 more than the available balance added, -4051 more removed than the
position can spare. What it can spare is not published; here it is what keeps the
position's isolated margin (wallet plus unrealized PnL) at or above its initial margin at
the mark price, and never more than its isolated wallet."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradeexec.sim.engine import EngineReject
from tradeexec.sim.futures import rules
from tradeexec.sim.futures.accounts import ISOLATED, MarginChange
from tradeexec.sim.futures.margin import initial_margin, unrealized_pnl

if TYPE_CHECKING:
    from tradeexec.sim.futures.engine import FuturesEngine

ADD, REDUCE = 1, 2


def adjust(
    fe: FuturesEngine, name: str, *, symbol: str, position_side: str, amount: Decimal, kind: int, now_ms: int
) -> MarginChange:
    fe.contract(symbol)
    acct = fe.account(name)
    if (position_side == "BOTH") == acct.dual_side:
        raise EngineReject(-4061, rules.SIDE_MISMATCH)
    if amount <= 0:
        raise EngineReject(-4055, "Amount must be positive.")
    if acct.margin_type_of(symbol) != ISOLATED:
        raise EngineReject(-4049, "Add margin only support for isolated position.")
    pos = acct.position(symbol, position_side)
    if not pos.amt:
        raise EngineReject(-4054, "Cannot add position margin: position is 0.")
    if kind == ADD:
        if amount > fe.figures.available(acct):
            raise EngineReject(-4050, "Cross balance insufficient.")
        pos.isolated_wallet += amount
    else:
        mark = fe.mark_price(symbol)
        spare = pos.isolated_wallet + unrealized_pnl(pos.amt, pos.entry, mark)
        spare -= initial_margin(pos.amt, mark, acct.leverage_of(symbol))
        if amount > min(spare, pos.isolated_wallet):
            raise EngineReject(-4051, "Isolated balance insufficient.")
        pos.isolated_wallet -= amount
    pos.update_time = now_ms
    change = MarginChange(symbol, kind, amount, position_side, now_ms)
    acct.margin_changes.append(change)
    return change
