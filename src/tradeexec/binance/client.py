"""``BinanceClient``: the asynchronous Binance REST client.

It is the typed-call groups (spot, wallet, margin, futures) on top of one ``Transport``.
Settings resolve as explicit argument > environment > config file > defaults (see
``tradeexec.config``); the default venue is the local exchange.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

from tradeexec.binance.net.auth import load_signer
from tradeexec.binance.net.budget import open_budget
from tradeexec.binance.net.endpoints import Endpoint, lookup
from tradeexec.binance.net.ratelimit import BudgetUsage, RateLimitRule
from tradeexec.binance.net.transport import Transport, check_recv_window
from tradeexec.binance.rest.api import Params, RecvWindow
from tradeexec.binance.rest.futures import FuturesApi
from tradeexec.binance.rest.futures_account import FuturesAccountApi
from tradeexec.binance.rest.futures_algo import FuturesAlgoApi
from tradeexec.binance.rest.futures_trading import FuturesTradingApi
from tradeexec.binance.rest.margin import MarginApi
from tradeexec.binance.rest.spot import SpotApi
from tradeexec.binance.rest.wallet import WalletApi
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.config import ApiFamily, Settings, Venue, load_settings
from tradeexec.errors import ConfigError, InvalidParameter

__all__ = ["BinanceClient"]

T = TypeVar("T")

_PRIMARY_FAMILY = {
    Venue.USDM_FUTURES: ApiFamily.USDM,
    Venue.FUTURES_TESTNET: ApiFamily.USDM,
    Venue.FUTURES_DEMO: ApiFamily.USDM,
    Venue.COINM_FUTURES: ApiFamily.COINM,
}


class BinanceClient(
    SpotApi, WalletApi, MarginApi, FuturesApi, FuturesAlgoApi, FuturesAccountApi, FuturesTradingApi
):
    """Asynchronous client for the Binance REST API (spot, wallet, margin, USDT-M futures).

    ``async with BinanceClient(api_key, api_secret) as client:`` opens one HTTP session and,
    when the client can sign, measures the server-time offset. Give ``private_key`` (PEM
    text, bytes or file path; RSA or Ed25519) instead of ``api_secret`` for asymmetric keys.
    Every endpoint of the registry is callable with ``request``/``call``; the typed methods
    check their arguments before sending. ``retry_base_delay`` is the first backoff of
    idempotent retries (doubling each time); ``rate_limit_margin`` the share of each rate
    limit the client lets itself use.

    ``shared_budget`` shares the rate-limit counts with every other process of the same key
    and venue on this machine (a memory-mapped file, ``tradeexec.binance.net.budget``): True or
    ``"auto"`` for the default directory, a directory, or False; by default the directory
    in ``$TRADEEXEC_BUDGET_DIR`` when set (``auto`` allowed there too), else not shared.
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        private_key: bytes | str | os.PathLike[str] | None = None,
        private_key_password: bytes | str | None = None,
        venue: Venue | str | None = None,
        base_url: str | None = None,
        recv_window: int | Decimal | str | None = None,
        timeout: float | None = None,
        rate_limit_margin: float = 0.8,
        retry_base_delay: float = 1.0,
        max_retries: int = 3,
        wait_on_rate_limit: bool = True,
        max_rate_limit_wait_s: float | None = None,
        exchange_info_ttl: float = 300.0,
        config_path: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
        shared_budget: bool | str | os.PathLike[str] | None = None,
    ) -> None:
        window = None if recv_window is None else check_recv_window(recv_window)
        self.settings: Settings = load_settings(
            api_key=api_key,
            api_secret=api_secret,
            private_key=private_key,
            private_key_password=private_key_password,
            venue=venue,
            base_url=base_url,
            timeout=timeout,
            config_path=config_path,
        )
        credentials = self.settings.credentials
        signer = (
            load_signer(
                api_secret=credentials.api_secret.reveal() if credentials.api_secret else None,
                private_key=credentials.private_key.reveal() if credentials.private_key else None,
                private_key_password=(
                    credentials.private_key_password.reveal() if credentials.private_key_password else None
                ),
            )
            if credentials.can_sign
            else None
        )
        self.exchange_info_ttl = exchange_info_ttl
        self.budget = open_budget(shared_budget, credentials.api_key, self.settings.urls.rest)
        self._transport = Transport(
            self.settings.urls,
            api_key=credentials.api_key,
            signer=signer,
            recv_window=window if window is not None else self.settings.recv_window,
            timeout=self.settings.timeout,
            safety_margin=rate_limit_margin,
            retry_base_delay=retry_base_delay,
            max_retries=max_retries,
            wait_on_rate_limit=wait_on_rate_limit,
            max_rate_limit_wait_s=max_rate_limit_wait_s,
            clock=clock,
            budget=self.budget,
        )
        self._signer = signer

    def __repr__(self) -> str:
        return (
            f"BinanceClient(venue={self.settings.venue.value!r}, rest={self.settings.urls.rest!r}, "
            f"credentials={self.settings.credentials!r})"
        )

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> BinanceClient:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Open the HTTP session and, if the client can sign, measure the clock offset."""
        await self._transport.open()
        if self._signer is not None:
            try:
                await self._transport.sync_time(_PRIMARY_FAMILY.get(self.settings.venue, ApiFamily.SPOT))
            except BaseException:
                await self._transport.close()
                raise

    async def close(self) -> None:
        await self._transport.close()

    # ---------------------------------------------------------------- plumbing

    @property
    def transport(self) -> Transport:
        return self._transport

    def timestamp_ms(self, family: ApiFamily = ApiFamily.SPOT) -> int:
        """The ``timestamp`` a signed request would carry now (local clock + server offset)."""
        return self._transport.timestamp_ms(family)

    async def sync_time(self, family: ApiFamily = ApiFamily.SPOT) -> float:
        """Re-measure the server-time offset (ms); the client also does this on -1021."""
        return await self._transport.sync_time(family)

    def ws_api(self, **options: Any) -> WsApiClient:
        """A WebSocket API session on this client's venue, key and signer, charging the same
        request budget: Binance counts REST and WebSocket API requests against one limit, so
        two limiters would each believe they had the whole of it. ``options`` go to
        :class:`WsApiClient` (timeouts, backoff, rules, callbacks)."""
        url = self.settings.urls.ws_api
        if url is None:
            raise ConfigError(f"venue {self.settings.venue.value} has no WebSocket API")
        api_key = self.settings.credentials.api_key
        if api_key is None or self._signer is None:
            raise ConfigError("the WebSocket API needs an API key and a secret or private key")
        options.setdefault("limiter", self._transport.limiter("api"))
        return WsApiClient(url, api_key, self._signer, **options)

    def rate_limit_usage(self) -> dict[str, list[BudgetUsage]]:
        """Current usage of every rate-limit budget, per API base."""
        return {base: limiter.usage() for base, limiter in self._transport.limiters.items()}

    def _call(
        self,
        method: str,
        path: str,
        params: Params | None,
        decode: Callable[[bytes], T],
        recv_window: RecvWindow,
    ) -> Awaitable[T]:
        window = None if recv_window is None else check_recv_window(recv_window)
        return self._transport.request(_endpoint(method, path), params, decode, recv_window=window)

    def _use_rate_limits(self, base: str, rules: Sequence[RateLimitRule]) -> None:
        self._transport.configure_limits(base, rules)


# Every typed call names its endpoint with the same literal method and path, so the
# registry lookup (upper-casing, splitting, building the key) is done once per call site.
_ENDPOINTS: dict[tuple[str, str], Endpoint] = {}


def _endpoint(method: str, path: str) -> Endpoint:
    endpoint = _ENDPOINTS.get((method, path))
    if endpoint is not None:
        return endpoint
    if "?" in path:
        raise InvalidParameter("path", "pass parameters in params, not in the path", path.split("?", 1)[0])
    try:
        endpoint = lookup(method, path)
    except KeyError:
        raise InvalidParameter("path", "not a Binance endpoint in the registry", f"{method} {path}") from None
    _ENDPOINTS[(method, path)] = endpoint
    return endpoint
