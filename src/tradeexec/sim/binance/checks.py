"""The exchange side of order validation: the shared rules module, fed with live figures.

``binance/rules/symbol_rules.py`` decides; this module only gathers what its filters need from the engine
(last and average price, open-order counts, base position) and turns a failure into the
error answer Binance gives.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradeexec.binance.enums import Side
from tradeexec.binance.rules.order_check import MarketContext, OrderCheck
from tradeexec.sim.engine import OrderRequest
from tradeexec.sim.params import ApiError

if TYPE_CHECKING:
    from tradeexec.sim.state import SimState

AVG_PRICE_MINS = 5


def check_order(state: SimState, account: str, req: OrderRequest) -> None:
    rules = state.rules[req.symbol]
    order = OrderCheck(
        symbol=req.symbol,
        side=req.side,
        type=req.type,
        quantity=req.quantity,
        quote_order_qty=req.quote_order_qty,
        price=req.price,
        stop_price=req.stop_price,
        iceberg_qty=req.iceberg_qty,
        trailing_delta=req.trailing_delta,
        time_in_force=req.time_in_force,
    )
    failure = rules.check(
        order, market_context(state, account, req.symbol), state.exchange_rules.exchange_filters
    )
    if failure is not None:
        raise ApiError(failure.code, failure.message)


def market_context(state: SimState, account: str, symbol: str) -> MarketContext:
    engine = state.engine
    now = state.now_ms()
    last = engine.last_price(symbol)
    avg = state.tape.average_price(symbol, now, AVG_PRICE_MINS)
    base_asset = state.symbol_info[symbol]["baseAsset"]
    balance = engine.balances(account).get(base_asset)
    open_buys = sum(
        (o.orig_qty - o.executed_qty for o in engine.open_orders(account, symbol) if o.side is Side.BUY),
        Decimal(0),
    )
    position = (balance.free + balance.locked if balance else Decimal(0)) + open_buys
    return MarketContext(
        last_price=last,
        weighted_avg_price=avg,
        open_orders=engine.open_order_count(account, symbol),
        open_algo_orders=engine.algo_order_count(account, symbol),
        open_iceberg_orders=engine.iceberg_order_count(account, symbol),
        account_open_orders=engine.open_order_count(account),
        account_open_algo_orders=engine.algo_order_count(account),
        account_open_iceberg_orders=engine.iceberg_order_count(account),
        base_position=position,
    )
