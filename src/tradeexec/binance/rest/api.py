"""The one call the typed-method groups (spot, wallet, margin, futures) are written against.

Each group is a mixin of ``BinanceClient``; keeping them on this small abstract base lets
every group live in its own module without importing the client. The base also owns the
choice of decoder: one cached msgspec decoder per response type, with ``float_hook=Decimal``
so that even an untyped answer never holds a float, except for the shapes whose decoding
cost matters enough to have their own (the order book).
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar, overload

import msgspec

from tradeexec.binance.models import OrderBook, decode_order_book
from tradeexec.binance.net.ratelimit import RateLimitRule

__all__ = ["Params", "RecvWindow", "RestApi", "decoder_for"]

T = TypeVar("T")
Params = Mapping[str, object]
RecvWindow = int | Decimal | str | None

_JSON = msgspec.json.Decoder(float_hook=Decimal)
_OWN_DECODERS: dict[Any, Callable[[bytes], Any]] = {OrderBook: decode_order_book}


@functools.cache
def decoder_for(model: Any) -> Callable[[bytes], Any]:
    """The cached ``decode`` of a msgspec decoder for ``model`` (plain JSON for None)."""
    if model is None:
        return _JSON.decode
    own = _OWN_DECODERS.get(model)
    return own if own is not None else msgspec.json.Decoder(model, float_hook=Decimal).decode


class RestApi(ABC):
    @overload
    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        model: type[T],
        recv_window: RecvWindow = None,
    ) -> T: ...

    @overload
    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        model: None = None,
        recv_window: RecvWindow = None,
    ) -> Any: ...

    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        model: Any = None,
        recv_window: RecvWindow = None,
    ) -> Any:
        """Call any endpoint of the registry; the answer is decoded into ``model`` (a msgspec
        struct or a type such as ``list[Order]``), or into plain JSON values without one."""
        return await self._call(method, path, params, decoder_for(model), recv_window)

    async def call(
        self, method: str, path: str, params: Params | None = None, *, recv_window: RecvWindow = None
    ) -> Any:
        """Call any endpoint of the registry and get its JSON answer, numbers as Decimal."""
        return await self._call(method, path, params, _JSON.decode, recv_window)

    @abstractmethod
    def _call(
        self,
        method: str,
        path: str,
        params: Params | None,
        decode: Callable[[bytes], T],
        recv_window: RecvWindow,
    ) -> Awaitable[T]:
        """Send the request; awaiting the result gives its answer passed through ``decode``.

        Not a coroutine itself: it hands back the transport's, so that an order's call goes
        through no extra layer of coroutine between the typed method and the transport."""

    @abstractmethod
    def _use_rate_limits(self, base: str, rules: Sequence[RateLimitRule]) -> None:
        """Adopt the rate limits an exchangeInfo answer announced for an API base."""
