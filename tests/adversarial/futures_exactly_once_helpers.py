"""Shared by the futures exactly-once attacks: the local exchange trading USDT-M futures with
books to trade against, an ``OrderManager`` on ``FuturesVenue`` over real sockets, and the
exchange's own count of orders per client order ID."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.sim.engine import OrderRecord

D = Decimal
SYMBOL = "BTCUSDT"
WALLET = D("100000")
ALL = 10**9  # the engine's history queries take a limit


@dataclass
class Futures:
    ex: LocalExchange
    client: BinanceClient
    venue: FuturesVenue


@contextlib.asynccontextmanager
async def futures(tmp_path: Path, *, timeout: float = 2.0, hedge: bool = False) -> AsyncIterator[Futures]:
    """The local exchange (no market maker) with a futures wallet and both sides of the
    BTCUSDT book, and a client on it; the account in hedge mode when ``hedge``."""
    cfg = SimConfig.default()
    cfg.market.enabled = False
    cfg.accounts[0].balances["USDT"] = WALLET
    (tmp_path / "empty.toml").touch()
    async with LocalExchange(cfg, market=False) as ex:
        ex.futures_add_liquidity(SYMBOL, "SELL", "60000", "5")
        ex.futures_add_liquidity(SYMBOL, "BUY", "59990", "5")
        config = tmp_path / "empty.toml"
        async with BinanceClient(
            ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=timeout, config_path=config
        ) as client:
            if hedge:
                await client.futures_change_position_mode(True)
            venue = FuturesVenue(client)
            assert await venue.hedge_mode() is hedge
            yield Futures(ex, client, venue)


@contextlib.asynccontextmanager
async def manager(venue: Any, path: Path, **options: Any) -> AsyncIterator[OrderManager]:
    """A started manager on ``venue`` resolving fast (short polls, a small resend margin);
    ``options`` are more of ``OrderManager``'s settings."""
    with Journal(path) as journal:
        async with OrderManager(
            venue,
            journal,
            strategy="fx1",
            risk=RiskManager(RiskLimits(require_ip_restriction=False, max_orders_per_second=None)),
            poll_interval_s=0.05,
            stale_after_s=0.05,
            resend_margin_ms=100,
            **options,
        ) as om:
            yield om


def exchange_orders(ex: LocalExchange, cid: str | None = None) -> list[OrderRecord]:
    """The exchange's own record (its engine, not what any client believes) of the account's
    futures orders, of one client order ID when given."""
    orders = ex.state.futures.engine.all_orders(ex.account, SYMBOL, limit=ALL)
    return [o for o in orders if cid is None or o.client_order_id == cid]


def position(ex: LocalExchange, leg: str = "BOTH") -> Decimal:
    """The account's position on ``leg`` as the exchange holds it."""
    acct = ex.state.futures.account(ex.account)
    legs = [f.position for f in ex.state.futures.figures.positions(acct, SYMBOL)]
    return next((p.amt for p in legs if p.position_side == leg), D(0))
