"""Emergency stop: cancel every open order, sell the configured assets down to dust, verify.

It needs nothing but a client: no journal, no order manager, no state from a previous run,
because it is what runs when those may be broken. Every step reads the exchange afresh, which
makes it idempotent (running it twice sells nothing twice: the second run finds nothing left)
and makes a lost answer harmless (the next pass sees the balance the sale left). Failures do
not stop it; they are retried a bounded number of times and whatever is left is reported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from tradeexec.binance.enums import OrderResponseType, OrderType, Side
from tradeexec.binance.models import Account, Order, TickerPrice
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.grid import Rounding
from tradeexec.binance.rules.symbol_rules import SymbolRules
from tradeexec.errors import OrderRejectedLocally, TradeexecError
from tradeexec.execution.orders import make_client_order_id
from tradeexec.execution.policy import Action, ErrorPolicy
from tradeexec.execution.risk import RiskManager

__all__ = ["EmergencyClient", "EmergencyReport", "emergency_stop"]

log = logging.getLogger(__name__)
ZERO = Decimal(0)


class EmergencyClient(Protocol):
    async def rules(self) -> ExchangeRules: ...
    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]: ...
    async def cancel_all_orders(self, symbol: str) -> Sequence[Any]: ...
    async def account(self) -> Account: ...
    async def ticker_price(self, symbol: str) -> TickerPrice: ...
    async def new_order(
        self,
        symbol: str,
        side: Side,
        type: OrderType,
        *,
        quantity: Decimal | None = None,
        new_client_order_id: str | None = None,
        new_order_resp_type: OrderResponseType = ...,
    ) -> Any: ...


@dataclass(slots=True)
class EmergencyReport:
    canceled_symbols: list[str] = field(default_factory=list)
    sold: dict[str, Decimal] = field(default_factory=dict)
    dust: dict[str, Decimal] = field(default_factory=dict)
    open_orders_left: list[str] = field(default_factory=list)
    not_closed: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No open order left and every configured asset sold down to dust."""
        return not self.open_orders_left and not self.not_closed

    def lines(self) -> list[str]:
        out = [f"canceled open orders on: {', '.join(self.canceled_symbols) or 'none'}"]
        out += [f"sold {qty} {asset}" for asset, qty in self.sold.items()]
        out += [f"dust left: {qty} {asset}" for asset, qty in self.dust.items()]
        out += [f"OPEN ORDER LEFT: {o}" for o in self.open_orders_left]
        out += [f"NOT CLOSED: {asset}: {why}" for asset, why in self.not_closed.items()]
        out += [f"error: {e}" for e in self.errors]
        out.append("EMERGENCY STOP COMPLETE" if self.ok else "EMERGENCY STOP INCOMPLETE")
        return out


def _min_market_notional(rules: SymbolRules) -> Decimal:
    floor = ZERO
    if rules.notional is not None and rules.notional.apply_min_to_market:
        floor = max(floor, rules.notional.min_notional)
    if rules.min_notional is not None and rules.min_notional.apply_to_market:
        floor = max(floor, rules.min_notional.min_notional)
    return floor


def _sellable(rules: SymbolRules, held: Decimal, price: Decimal) -> Decimal:
    """The largest quantity of ``held`` one MARKET order may sell, or 0 if what is held is
    dust (below the lot minimum or the market notional floor)."""
    qty = rules.round_qty(held, Rounding.DOWN, market=True)
    lots = [f for f in (rules.lot_size, rules.market_lot_size) if f is not None]
    for lot in lots:
        if lot.max_qty > 0 and qty > lot.max_qty:
            qty = rules.round_qty(lot.max_qty, Rounding.DOWN, market=True)
        if qty < lot.min_qty:
            return ZERO
    if qty <= 0 or qty * price < _min_market_notional(rules):
        return ZERO
    return qty


async def emergency_stop(
    client: EmergencyClient,
    *,
    flatten_assets: Sequence[str] | None,
    quote_asset: str = "USDT",
    attempts: int = 3,
    max_orders_per_asset: int = 10,
    policy: ErrorPolicy | None = None,
    risk: RiskManager | None = None,
) -> EmergencyReport:
    """Cancel all open orders on every symbol, then sell each of ``flatten_assets`` for
    ``quote_asset`` at market down to dust, then verify with the exchange.

    ``risk``, the order manager's risk manager in the same process, has its kill switch
    tripped first: from then on the manager sends nothing (no new order, no resend of one
    whose answer was lost), so nothing it does can reopen what the stop closes. The stop's
    own sells go straight to the client."""
    if risk is not None:
        risk.trip("emergency stop", emergency=False)
    stop = _Stop(
        client, policy or ErrorPolicy(base_delay_s=0.2, max_delay_s=5.0, failure_threshold=10_000), attempts
    )
    await stop.cancel_everything()
    stop.rules = await stop.attempt("exchange rules", client.rules)
    for asset in flatten_assets or ():
        await stop.flatten(asset, quote_asset, max_orders_per_asset)
    await stop.verify(flatten_assets or (), quote_asset)
    report = stop.report
    for line in report.lines():
        (log.info if report.ok else log.warning)("emergency stop: %s", line)
    return report


class _Stop:
    def __init__(self, client: EmergencyClient, policy: ErrorPolicy, attempts: int) -> None:
        self.client = client
        self.policy = policy
        self.attempts = attempts
        self.report = EmergencyReport()
        self.rules: ExchangeRules | None = None

    async def attempt(self, what: str, call: Any) -> Any:
        """Run ``call()`` up to ``attempts`` times, waiting as the policy says; None if all fail."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await call()
            except (TradeexecError, OSError, TimeoutError) as exc:
                decision = self.policy.decide(exc, write=False, attempt=attempt, what=f"emergency: {what}")
                self.report.errors.append(f"{what}: {exc}")
                if decision.action in (Action.FAIL, Action.HALT) or attempt == self.attempts:
                    return None
                await asyncio.sleep(min(decision.delay_s, self.policy.max_delay_s))
        return None

    async def cancel_everything(self) -> None:
        for _ in range(self.attempts):
            open_orders = await self.attempt("read open orders", self.client.open_orders)
            if not open_orders:
                return
            for symbol in sorted({o.symbol for o in open_orders}):
                done = await self.attempt(
                    f"cancel all on {symbol}", lambda s=symbol: self.client.cancel_all_orders(s)
                )
                if done is not None and symbol not in self.report.canceled_symbols:
                    self.report.canceled_symbols.append(symbol)

    async def flatten(self, asset: str, quote_asset: str, max_orders: int) -> None:
        report = self.report
        symbol = f"{asset}{quote_asset}"
        symbol_rules = self.rules.get(symbol) if self.rules is not None else None
        if symbol_rules is None:
            report.not_closed[asset] = f"no symbol {symbol} (or no exchange rules)"
            return
        for _ in range(max_orders):
            account = await self.attempt("read balances", self.client.account)
            ticker = await self.attempt(f"price of {symbol}", lambda: self.client.ticker_price(symbol))
            if account is None or ticker is None:
                report.not_closed[asset] = "could not read the balance or the price"
                return
            held = next((b.free for b in account.balances if b.asset == asset), ZERO)
            qty = _sellable(symbol_rules, held, ticker.price)
            if qty == 0:
                report.not_closed.pop(asset, None)
                return
            try:
                # A lost answer needs no lookup here: the next pass reads the balance the
                # sale left and sells only what remains.
                await self.client.new_order(
                    symbol,
                    Side.SELL,
                    OrderType.MARKET,
                    quantity=qty,
                    new_client_order_id=make_client_order_id("emergency", symbol),
                    new_order_resp_type=OrderResponseType.RESULT,
                )
                report.sold[asset] = report.sold.get(asset, ZERO) + qty
            except OrderRejectedLocally as exc:
                report.not_closed[asset] = f"refused locally: {exc}"
                return
            except (TradeexecError, OSError, TimeoutError) as exc:
                decision = self.policy.decide(exc, write=True, what=f"emergency: sell {qty} {symbol}")
                report.errors.append(f"sell {qty} {symbol}: {exc}")
                report.not_closed[asset] = str(exc)
                if decision.action is Action.HALT:
                    return
                await asyncio.sleep(min(decision.delay_s, self.policy.max_delay_s))
        report.not_closed.setdefault(asset, f"still above dust after {max_orders} orders")

    async def verify(self, assets: Sequence[str], quote_asset: str) -> None:
        report = self.report
        open_orders = await self.attempt("verify open orders", self.client.open_orders)
        if open_orders is None:
            report.open_orders_left.append("could not read open orders to verify")
        else:
            report.open_orders_left = [f"{o.symbol} {o.client_order_id} {o.status}" for o in open_orders]
        account = await self.attempt("verify balances", self.client.account)
        if account is None:
            for asset in assets:
                report.not_closed.setdefault(asset, "could not read balances to verify")
            return
        for asset in assets:
            symbol = f"{asset}{quote_asset}"
            symbol_rules = self.rules.get(symbol) if self.rules is not None else None
            bal = next((b for b in account.balances if b.asset == asset), None)
            held = bal.free + bal.locked if bal is not None else ZERO
            if held == 0 or symbol_rules is None:
                continue
            ticker = await self.attempt(f"price of {symbol}", lambda s=symbol: self.client.ticker_price(s))
            if ticker is not None and _sellable(symbol_rules, held, ticker.price) > 0:
                report.not_closed[asset] = f"{held} {asset} still held after the stop"
            else:
                report.dust[asset] = held
