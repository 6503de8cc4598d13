"""Case 6: the order manager's own cost per order, network excluded.

An in-process client answers every placement at once with a FULL response carrying one
fill, so what is timed is rounding and rules, risk, the journal commits and the bookkeeping
(state, fills, position). Orders alternate buy and sell so the position stays flat and no
limit trips; the order-rate and open-order limits are off (they would refuse a burst)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Literal

from bench.common import Result, Sample, Stopwatch
from tradeexec.binance.enums import OrderStatus, OrderType, Side, TimeInForce
from tradeexec.binance.models import Account, AssetBalance, AvgPrice, OrderFill, OrderFull, TickerPrice
from tradeexec.binance.rest.order_args import OrderArgs
from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution import Journal, OrderIntent, OrderManager, RiskLimits, RiskManager

CASE = "6 order manager overhead"
SYMBOL = "BTCUSDT"
MARK = Decimal("30000")
QTY = Decimal("0.001")


class InstantClient:
    """Fills every order in full at the mark, in no time."""

    def __init__(self) -> None:
        self._rules = ExchangeRules.from_exchange_info({"symbols": [DEFAULT_SYMBOL_INFO[SYMBOL]]})
        self._next = 0

    async def rules(self) -> ExchangeRules:
        return self._rules

    async def ticker_price(self, symbol: str) -> TickerPrice:
        return TickerPrice(symbol=symbol, price=MARK)

    async def ticker_prices(self, symbols: Sequence[str] | None = None) -> list[TickerPrice]:
        return [TickerPrice(symbol=s, price=MARK) for s in symbols or ()]

    async def account(self) -> Account:
        """Coins held at the start: the manager values them, and every fill re-values them."""
        held = [AssetBalance(asset="USDT", free=Decimal(10**6), locked=Decimal(0)),
                AssetBalance(asset="BTC", free=Decimal(1), locked=Decimal(0))]  # fmt: skip
        return Account(
            maker_commission=0, taker_commission=0, buyer_commission=0, seller_commission=0, can_trade=True,
            can_withdraw=False, can_deposit=True, update_time=0, account_type="SPOT", balances=held,
        )  # fmt: skip

    async def avg_price(self, symbol: str) -> AvgPrice:
        return AvgPrice(mins=5, price=MARK)

    def timestamp_ms(self) -> int:
        return 1_700_000_000_000 + self._next

    async def place(self, args: OrderArgs, *, recv_window: int | None = None) -> OrderFull:
        """The client's call for a checked order, which is what ``SpotVenue`` sends."""
        order = args.check
        symbol, side, type, quantity = order.symbol, order.side, order.type, order.quantity
        new_client_order_id = args.new_client_order_id
        assert quantity is not None and new_client_order_id is not None
        self._next += 1
        return OrderFull(
            symbol=symbol,
            order_id=self._next,
            client_order_id=new_client_order_id,
            price=Decimal(0),
            orig_qty=quantity,
            executed_qty=quantity,
            cummulative_quote_qty=quantity * MARK,
            status=OrderStatus.FILLED,
            time_in_force=TimeInForce.GTC,
            type=type,
            side=side,
            transact_time=1_700_000_000_000 + self._next,
            fills=[
                OrderFill(
                    price=MARK,
                    qty=quantity,
                    commission=Decimal(0),
                    commission_asset="BNB",
                    trade_id=self._next,
                )
            ],
        )


async def manager_round(n: int, durability: Literal["normal", "full"], directory: Path) -> Sample:
    journal = Journal(directory / f"journal-{durability}.sqlite", durability=durability)
    risk = RiskManager(
        RiskLimits(max_orders_per_second=None, max_open_orders=None, max_order_notional=Decimal(10**6))
    )
    manager = OrderManager(
        SpotVenue(InstantClient()),  # type: ignore[arg-type]
        journal,
        strategy="bench",
        risk=risk,
        prices=lambda _s: MARK,
        preflight=False,  # the instant client has no key and no system status to check
    )
    await manager.start(reconcile=False)
    intents = [
        OrderIntent(SYMBOL, Side.BUY if i % 2 == 0 else Side.SELL, OrderType.MARKET, quantity=QTY)
        for i in range(n)
    ]
    try:
        with Stopwatch() as sw:
            for intent in intents:
                await manager.submit(intent)
    finally:
        await manager.close()
        journal.close()
    return sw.sample


def run(n: int, rounds: int) -> list[Result]:
    results = []
    # The same durability at two history sizes shows whether the cost grows with the
    # number of orders the manager has seen.
    small = max(1, n // 10)
    for durability, n_used in (("normal", small), ("normal", n), ("full", small)):
        samples = []
        for _ in range(rounds):
            with tempfile.TemporaryDirectory(prefix="tradeexec-bench-") as tmp:
                samples.append(asyncio.run(manager_round(n_used, durability, Path(tmp))))  # type: ignore[arg-type]
        impl = f"OrderManager, durability={durability}, {n_used} orders"
        note = f"{n_used} MARKET orders per round, 1 fill each"
        results += [
            Result(
                CASE,
                impl,
                "tradeexec",
                "wall/order",
                "µs",
                False,
                [s.wall_s / n_used * 1e6 for s in samples],
                note,
            ),
            Result(
                CASE,
                impl,
                "tradeexec",
                "CPU/order",
                "µs",
                False,
                [s.cpu_s / n_used * 1e6 for s in samples],
                note,
            ),
        ]
    return results
