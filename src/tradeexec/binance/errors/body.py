"""Binance's error answer as it travels: ``{"code": -2010, "msg": "..."}``, with ``data`` on
the few errors that carry more (cancelReplace's two halves). The client decodes a failed
response with it and the local exchange writes its errors with it, so both read one shape."""

from __future__ import annotations

from typing import Any

import msgspec


class ErrorBody(msgspec.Struct, frozen=True, omit_defaults=True):
    """A field the server left out reads None (a non-Binance proxy's error page decodes to
    nothing); ``data`` is written only when there is some."""

    code: int | None = None
    msg: str | None = None
    data: Any = None
