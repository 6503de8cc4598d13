"""A blocking facade over ``BinanceClient`` for scripts and notebooks.

The async client runs on a private event loop in a daemon thread, and every public
coroutine method of ``BinanceClient`` gets a blocking twin here, generated from the class
so the two can never drift apart. Running on a separate thread (rather than
``asyncio.run`` per call) keeps one session, one rate limiter and one clock offset alive
across calls, and works inside notebooks whose own loop is already running.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from tradeexec.binance.client import BinanceClient

__all__ = ["SyncClient"]

T = TypeVar("T")


class SyncClient:
    """``BinanceClient`` with blocking methods; takes the same arguments.

    Use it as a context manager, or call ``close()``: the loop thread is a daemon, but the
    HTTP session should be closed cleanly.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tradeexec-sync", daemon=True)
        self._thread.start()
        self._closed = False

        async def start() -> BinanceClient:
            client = BinanceClient(*args, **kwargs)
            await client.__aenter__()
            return client

        try:
            self._client = self._run(start())
        except BaseException:
            self._stop_loop()
            raise

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coro.close()
            raise RuntimeError("SyncClient is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    @property
    def client(self) -> BinanceClient:
        """The async client underneath (its methods must run on this client's loop)."""
        return self._client

    def close(self) -> None:
        if self._closed:
            return
        try:
            self._run(self._client.close())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SyncClient({self._client!r})"

    if TYPE_CHECKING:
        # The blocking twins are generated below; to a type checker they are Any.
        def __getattr__(self, name: str) -> Any: ...


def _blocking(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: SyncClient, *args: Any, **kwargs: Any) -> Any:
        return self._run(getattr(self._client, name)(*args, **kwargs))

    return call


def _install() -> None:
    for name, method in inspect.getmembers(BinanceClient, inspect.iscoroutinefunction):
        if not name.startswith("_") and name not in ("close",):
            setattr(SyncClient, name, _blocking(name, method))


_install()
