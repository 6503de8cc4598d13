"""Proof that a third-party client under test talks to nothing but the local exchange.

The clients (ccxt, python-binance) carry real Binance hosts in their defaults, and one missed
URL would send signed requests to the internet. ``loopback_only`` patches the socket layer
every HTTP and WebSocket library ends in: a connection to, or a name lookup of, anything that
is not a loopback address is refused on the spot and recorded, and the test fails on exit.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOCAL_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@contextmanager
def loopback_only() -> Iterator[list[object]]:
    """Refuse and record every non-loopback connection or lookup made inside the block; the
    block fails afterwards if there was any (even one a client swallowed and retried)."""
    refused: list[object] = []
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def check(address: Any) -> None:
        if isinstance(address, tuple) and not is_loopback(str(address[0])):
            refused.append(address)
            raise ConnectionRefusedError(f"test guard: {address[0]} is not a loopback address")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        check(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None:
            check((host.decode() if isinstance(host, bytes) else str(host), 0))
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo
    try:
        yield refused
    finally:
        socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = getaddrinfo
    assert refused == [], f"connections off this machine were attempted: {refused}"


_URL = re.compile(r"^(https?|wss?)://([^/:]+|\[[^]]+\])(:\d+)?(.*)$")


def point_urls_at(urls: Any, rest_base: str, ws_base: str) -> Any:
    """A copy of a client's URL tree with every http(s)/ws(s) URL moved to the local exchange,
    path kept; every other value is kept as it is."""
    if isinstance(urls, dict):
        return {k: point_urls_at(v, rest_base, ws_base) for k, v in urls.items()}
    if isinstance(urls, list):
        return [point_urls_at(v, rest_base, ws_base) for v in urls]
    if isinstance(urls, str):
        m = _URL.match(urls)
        if m is not None:
            return (ws_base if m[1].startswith("ws") else rest_base) + m[4]
    return urls


def urls_in(tree: Any) -> Iterator[str]:
    if isinstance(tree, dict):
        for v in tree.values():
            yield from urls_in(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from urls_in(v)
    elif isinstance(tree, str) and _URL.match(tree):
        yield tree


def url_host(url: str) -> str:
    m = _URL.match(url)
    assert m is not None
    return m[2]
