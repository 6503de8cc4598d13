"""Request parameters as Binance parses them, with Binance's error for every way they go wrong.

``Params`` remembers which parameters an operation read, so that an operation can finish with
``ensure_all_read()`` and answer -1104 for anything sent that the endpoint does not take,
exactly as Binance does. The WebSocket API builds the same object from its JSON ``params``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from tradeexec.binance.errors import ErrorBody
from tradeexec.binance.rest.params import SYMBOL_LEGAL, is_symbol

E = TypeVar("E", bound=StrEnum)

MAX_PARAMS = 50
DECIMAL_RE = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
INT_RE = re.compile(r"^-?[0-9]{1,20}$")
CLIENT_ID_RE = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_LEGAL_DECIMAL = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
_LEGAL_INT = "^[0-9]{1,20}$"
_LEGAL_CLIENT_ID = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"


class ApiError(Exception):
    """A Binance error answer: ``{"code": code, "msg": msg}`` with ``http_status``.

    ``data`` carries the extra body of composite answers (cancelReplace's 409);
    ``headers`` extra response headers (Retry-After).
    """

    def __init__(
        self,
        code: int,
        msg: str,
        http_status: int = 400,
        *,
        data: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.data = data
        self.headers = dict(headers or {})
        super().__init__(f"{code}: {msg}")

    def body(self) -> ErrorBody:
        return ErrorBody(code=self.code, msg=self.msg, data=self.data)


def mandatory(name: str) -> ApiError:
    return ApiError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def illegal(name: str, legal: str) -> ApiError:
    return ApiError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'.")


def not_required(name: str) -> ApiError:
    return ApiError(-1106, f"Parameter '{name}' sent when not required.")


class Params:
    """The parameters of one request (query string and body merged, in arrival order)."""

    def __init__(self, pairs: Iterable[tuple[str, str]] | Mapping[str, str]) -> None:
        items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
        self._values: dict[str, str] = {}
        for key, value in items:
            if key in self._values:
                raise ApiError(-1101, "Duplicate values for a parameter detected.")
            self._values[key] = value
        if len(self._values) > MAX_PARAMS:
            raise ApiError(-1101, "Too many parameters sent for this endpoint.")
        self._read: set[str] = set()

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def __len__(self) -> int:
        return len(self._values)

    def names(self) -> list[str]:
        return list(self._values)

    def raw(self, name: str) -> str | None:
        """The value as sent ("" counts as sent), marking it read."""
        self._read.add(name)
        return self._values.get(name)

    def mark_read(self, *names: str) -> None:
        self._read.update(names)

    def get(self, name: str) -> str | None:
        """An optional parameter; empty counts as not sent."""
        value = self.raw(name)
        return value if value else None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise mandatory(name)
        return value

    def reject(self, *names: str) -> None:
        """-1106 for a parameter sent that this combination of others does not take."""
        for name in names:
            if self._values.get(name):
                self._read.add(name)
                raise not_required(name)

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.require(name) if required else self.get(name)
        if value is None:
            return None
        if not DECIMAL_RE.match(value):
            if required and _looks_empty(value):
                raise mandatory(name)
            raise illegal(name, _LEGAL_DECIMAL)
        try:
            return Decimal(value)
        except InvalidOperation as exc:
            raise illegal(name, _LEGAL_DECIMAL) from exc

    def req_decimal(self, name: str) -> Decimal:
        value = self.decimal(name, required=True)
        assert value is not None
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value = self.require(name) if required else self.get(name)
        if value is None:
            return None
        if not INT_RE.match(value):
            raise illegal(name, _LEGAL_INT)
        number = int(value)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise ApiError(
                -1100, f"Illegal characters found in parameter '{name}'; legal range is '{_LEGAL_INT}'."
            )
        return number

    def boolean(self, name: str) -> bool | None:
        value = self.get(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise ApiError(-1130, f"Data sent for parameter '{name}' is not valid.")
        return value.lower() == "true"

    def enum(self, name: str, enum: type[E], code: int, msg: str, *, required: bool = False) -> E | None:
        value = self.require(name) if required else self.get(name)
        if value is None:
            return None
        try:
            return enum(value.upper())
        except ValueError as exc:
            raise ApiError(code, msg) from exc

    def symbol(self, name: str = "symbol", *, required: bool = True) -> str | None:
        value = self.require(name) if required else self.get(name)
        if value is None:
            return None
        if not is_symbol(value):
            raise illegal(name, SYMBOL_LEGAL)
        return value

    def client_id(self, name: str) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        if value == "":
            raise ApiError(-1105, f"Parameter '{name}' was empty.")
        if not CLIENT_ID_RE.match(value):
            raise illegal(name, _LEGAL_CLIENT_ID)
        return value

    def ensure_all_read(self) -> None:
        unread = [n for n in self._values if n not in self._read]
        if unread:
            raise ApiError(
                -1104,
                f"Not all sent parameters were read; read '{len(self._values) - len(unread)}' "
                f"parameter(s) but was sent '{len(self._values)}'.",
            )


def _looks_empty(value: str) -> bool:
    return value.strip() == "" or value.lower() in ("null", "none", "undefined")
