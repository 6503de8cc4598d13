"""What every response and event struct shares: the REST base ``Model`` (camelCase, frozen,
keyword-only), the ``e``-tagged event bases, and the two answers with no family (empty, server
time). Every price, quantity, amount and commission is a ``Decimal`` decoded straight from the
wire text, so no value ever passes through a float."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

import msgspec

PriceLevel: TypeAlias = tuple[Decimal, Decimal]
"""One order book level: (price, quantity)."""


class Model(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    """Base of every REST response: camelCase on the wire, immutable, keyword-constructed
    (keyword-only lets subclasses add required fields after inherited optional ones).
    Subclasses repeat ``frozen=True, kw_only=True`` because type checkers do not inherit
    class keywords, though msgspec does."""


class EmptyResponse(Model, frozen=True, kw_only=True):
    """``{}``: ping, listenKey keepalive and close."""


class ServerTime(Model, frozen=True, kw_only=True):
    server_time: int


class _Event(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag_field="e"):
    """Base of events tagged by ``e``; the tag itself is not an attribute."""

    event_time: int = msgspec.field(name="E")


class _SymbolEvent(_Event, frozen=True, kw_only=True):
    symbol: str = msgspec.field(name="s")
