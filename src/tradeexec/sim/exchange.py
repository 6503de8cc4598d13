"""``LocalExchange``: the local exchange as one object — start it, point a client at its URLs,
steer it from Python, stop it.

It prints nothing: the CLI decides what to show (the URLs and, for the default account, the
key and secret so that other programs can sign).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from decimal import Decimal
from types import TracebackType
from typing import Any

from aiohttp import web

from tradeexec.binance.enums import Side
from tradeexec.sim.admin import SimAdmin
from tradeexec.sim.binance.service import WireState
from tradeexec.sim.binance.ws_api import WS_API_PATHS, announce_shutdown
from tradeexec.sim.binance.ws_routes import WS_KEY, setup_ws_routes
from tradeexec.sim.config import SimConfig
from tradeexec.sim.engine import OrderRecord
from tradeexec.sim.faults import FaultInjector, FaultKind, FaultRecord, FaultRule
from tradeexec.sim.futures import HOUSE
from tradeexec.sim.market.replay import check_replay_config, run_configured
from tradeexec.sim.server import ADMIN_KEY, build_app

log = logging.getLogger(__name__)


def _log_failure(task: asyncio.Task[Any]) -> None:
    """A market or replay task that dies takes the market with it: say why in the log."""
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


class LocalExchange:
    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        api_secret: str | None = None,
        market: bool = True,
        products: tuple[str, ...] | None = None,
    ) -> None:
        if config is None:
            config = SimConfig.default(api_key, api_secret)
        elif api_key or api_secret or not config.accounts:
            config.ensure_default_account(api_key, api_secret)
        if products is not None:
            config.products = tuple(products)
        self.config = config
        self.host = host
        self._port = port
        self._market_enabled = market and config.market.enabled
        self.state = WireState(config)
        # A bad market setting or replay file is the user's error: say so now, not from a
        # background task.
        config.market.check()
        self._replay = bool(check_replay_config(self.state))
        self.app = build_app(self.state)
        self.admin: SimAdmin = self.app[ADMIN_KEY]
        self.ws = setup_ws_routes(self.app, self.state)
        self._runner: web.AppRunner | None = None
        self._market_task: asyncio.Task[Any] | None = None
        self._bound_port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            return
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self._bound_port = int(address[1])
        if self._replay:
            self._market_task = asyncio.create_task(run_configured(self.state), name="sim-replay")
            self._market_task.add_done_callback(_log_failure)
        elif self._market_enabled:
            from tradeexec.sim.market import synthetic_market

            self._market_task = asyncio.create_task(synthetic_market(self.state).run(), name="sim-market")
            self._market_task.add_done_callback(_log_failure)

    async def stop(self) -> None:
        if self._market_task is not None:
            self._market_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._market_task
            self._market_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalExchange:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def serve_forever(self, on_started: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run until SIGINT/SIGTERM (the ``tradeexec sim serve`` command). ``on_started`` runs
        once the port is bound, so a caller can announce the real URLs of port 0."""
        asyncio.run(self._serve(on_started))

    async def _serve(self, on_started: Callable[[], Awaitable[None]] | None) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with self:
            if on_started is not None:
                await on_started()
            await stop.wait()

    # ------------------------------------------------------------------ addresses and keys

    @property
    def port(self) -> int:
        if self._bound_port is None:
            raise RuntimeError("the exchange is not started")
        return self._bound_port

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def _hmac_key(self) -> tuple[str, str]:
        for key in self.config.accounts[0].keys:
            if key.key_type == "HMAC":
                return key.api_key, key.secret
        raise RuntimeError("the first account has no HMAC key")

    @property
    def api_key(self) -> str:
        return self._hmac_key()[0]

    @property
    def api_secret(self) -> str:
        return self._hmac_key()[1]

    @property
    def account(self) -> str:
        return self.config.accounts[0].name

    def __repr__(self) -> str:
        where = self.rest_url if self._bound_port is not None else "not started"
        return f"LocalExchange({where}, account={self.account!r}, api_key={self.api_key[:6]}...)"

    # ------------------------------------------------------------------ steering

    @property
    def faults(self) -> FaultInjector:
        return self.state.faults

    @property
    def fault_log(self) -> list[FaultRecord]:
        return list(self.state.faults.log)

    def inject(self, kind: FaultKind | str, target: str = "*", **kwargs: Any) -> FaultRule:
        return self.state.faults.inject(kind, target, **kwargs)

    def clear_faults(self, kind: FaultKind | str | None = None) -> None:
        self.state.faults.clear(kind)

    def server_shutdown(self, grace_s: float = 1.0, paths: tuple[str, ...] = WS_API_PATHS) -> int:
        """Send ``serverShutdown`` on every open connection to ``paths`` (the WebSocket
        APIs, spot's and futures', by default; ``"/stream"`` and ``"/ws"`` are spot's market
        streams, whose documentation defines the event too) and close each ``grace_s``
        seconds later; how many were told."""
        conns = self.app[WS_KEY].connections.connections()
        chosen = [c for c in conns if c.target in paths or any(c.target.startswith(f"{p}/") for p in paths)]
        return announce_shutdown(chosen, self.state.now_ms(), grace_s)

    def set_price(self, symbol: str, price: Decimal | str) -> None:
        self.admin.set_price(symbol, Decimal(price))

    def add_liquidity(
        self, symbol: str, side: str, price: Decimal | str, quantity: Decimal | str
    ) -> OrderRecord:
        return self.admin.add_liquidity(symbol, side, Decimal(price), Decimal(quantity))

    def futures_add_liquidity(
        self, symbol: str, side: str, price: Decimal | str, quantity: Decimal | str
    ) -> OrderRecord:
        """A resting GTC order on the futures book, from the house account (no margin check)."""
        return self.state.futures.add_liquidity(
            symbol, Side(side), Decimal(price), Decimal(quantity), self.state.now_ms()
        )

    def futures_cancel_all_liquidity(self, symbol: str) -> None:
        """Withdraw every resting order of the house account on ``symbol``."""
        self.state.futures.cancel_all(HOUSE, symbol, self.state.now_ms())

    def futures_set_funding_rate(self, symbol: str, rate: Decimal | str) -> None:
        """Pin the rate settled at the next funding times (unpinned: the rate of the sampled
        premium index when the futures market runs, else 0.0001)."""
        self.state.futures.contract(symbol)
        self.state.futures.funding_rates[symbol] = Decimal(rate)

    def futures_settle_funding(self) -> None:
        """Bring every contract's next funding time to now and settle it (a demo shows in a
        minute what Binance does every 8 hours); the following one is an interval later."""
        futures, now = self.state.futures, self.state.now_ms()
        futures.funding.bring_forward(now)
        futures.catch_up(now)

    def futures_set_funding_interval(self, symbol: str, hours: int, cap: Decimal | str | None = None) -> None:
        """Adjust a contract's funding interval (8, 4 or 1 hours) and optionally its rate cap,
        as Binance does to live symbols; fundingInfo then lists it."""
        fe = self.state.futures
        fe.contract(symbol)
        fe.funding.adjust(symbol, hours, None if cap is None else Decimal(cap), self.state.now_ms())

    def futures_set_mark_price(self, symbol: str, price: Decimal | str) -> None:
        """Pin the futures mark price (until then it follows the index with the futures
        market on, else the book's mid or last trade); positions it condemns are liquidated
        at once."""
        self.state.futures.set_mark(symbol, Decimal(price))
        self.state.futures.catch_up(self.state.now_ms())

    def deposit(self, asset: str, amount: Decimal | str, account: str | None = None) -> None:
        self.admin.deposit(account or self.account, asset, Decimal(amount))

    def balances(self, account: str | None = None) -> dict[str, tuple[Decimal, Decimal]]:
        """(free, locked) per asset, straight from the engine."""
        return {a: (b.free, b.locked) for a, b in self.state.engine.balances(account or self.account).items()}

    def reset(self) -> None:
        self.state.reset()
