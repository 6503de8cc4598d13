"""Error code -> exception: the lookup tables built from :mod:`.code_rows`, and
:func:`error_from_response`, which picks the most specific class for an error answer.

HTTP status beats code for 403, 409, 418, 429 and 5xx, because the status decides the
reaction (back off, stop, look the order up). USDⓈ-M and COIN-M futures reuse some numbers with
other meanings (-2021 is "order would immediately trigger" there, a cancel-replace failure on
spot; -4xxx are filter errors there, wallet errors on SAPI), so futures codes live in their own
table, :data:`FUTURES_CODES`, chosen by the request path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tradeexec.binance.errors.code_rows import FUTURES_ROWS, SPOT_ROWS
from tradeexec.binance.errors.exceptions import (
    AlgoError,
    ApiKeyError,
    BadPrecision,
    BadRecvWindow,
    BadSymbol,
    BlvtError,
    CancelRejected,
    CancelReplaceFailed,
    CancelReplacePartialSuccess,
    CryptoLoanError,
    Disconnected,
    EngineError,
    ExchangeServerError,
    ExecutionStatusUnknown,
    FuturesError,
    GiftCardError,
    IllegalChars,
    InvalidListenKey,
    InvalidMessage,
    InvalidSignature,
    InvalidTimestamp,
    IPBanned,
    IPBannedTooManyRequests,
    LiquidSwapError,
    MandatoryParamMissing,
    MarginError,
    NoSuchOrder,
    NotFound,
    OrderArchived,
    OrderRateExceeded,
    OrderRejected,
    PortfolioMarginError,
    RateLimited,
    RequestError,
    RequestWeightExceeded,
    SavingsError,
    ServerBusy,
    ServerOrNetworkError,
    ServiceShuttingDown,
    TooManyOrders,
    TooManyParameters,
    TooManyRequests,
    UnknownOrderComposition,
    UnsupportedOperation,
    WAFRejected,
    WalletError,
)
from tradeexec.errors import BinanceAPIError


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One error code: ``message`` is the canonical text, ``messages`` every known variant
    (``%s`` marks where Binance fills in a value)."""

    code: int
    name: str
    message: str
    exc: type[BinanceAPIError]
    messages: tuple[str, ...]


_FAMILIES: Final[tuple[tuple[int, int, type[BinanceAPIError]], ...]] = (
    # (lowest, highest) absolute code -> family class
    (1000, 1099, ServerOrNetworkError),
    (1100, 2999, RequestError),
    (3000, 3999, MarginError),
    (4000, 5999, WalletError),
    (6000, 6999, SavingsError),
    (7000, 7999, FuturesError),
    (10000, 10999, CryptoLoanError),
    (12000, 12999, LiquidSwapError),
    (13000, 13999, BlvtError),
    (18000, 18999, GiftCardError),
    (20000, 20999, AlgoError),
    (21000, 21999, PortfolioMarginError),
)


def family_of(code: int) -> type[BinanceAPIError]:
    """The family class of a spot/SAPI code, for codes newer than this table."""
    for low, high, cls in _FAMILIES:
        if low <= -code <= high:
            return cls
    return BinanceAPIError


def _table(
    rows: tuple[tuple[int, str, str | tuple[str, ...]], ...],
    classes: dict[int, type[BinanceAPIError]],
    default: type[BinanceAPIError] | None = None,
) -> dict[int, CodeInfo]:
    table: dict[int, CodeInfo] = {}
    for code, name, text in rows:
        messages = (text,) if isinstance(text, str) else text
        if code in table:  # the reference lists -5012 twice: keep the first, remember the text
            first = table[code]
            table[code] = CodeInfo(code, first.name, first.message, first.exc, first.messages + messages)
            continue
        exc = classes.get(code) or default or family_of(code)
        table[code] = CodeInfo(code, name, messages[0], exc, messages)
    return table


_SPOT_CLASSES: Final[dict[int, type[BinanceAPIError]]] = {
    -1001: Disconnected,
    -1003: TooManyRequests,
    -1004: ServerBusy,
    -1006: ExecutionStatusUnknown,
    -1007: ExecutionStatusUnknown,
    -1008: ServerBusy,
    -1010: EngineError,
    -1013: InvalidMessage,
    -1014: UnknownOrderComposition,
    -1015: TooManyOrders,
    -1016: ServiceShuttingDown,
    -1020: UnsupportedOperation,
    -1021: InvalidTimestamp,
    -1022: InvalidSignature,
    -1100: IllegalChars,
    -1101: TooManyParameters,
    -1102: MandatoryParamMissing,
    -1111: BadPrecision,
    -1121: BadSymbol,
    -1125: InvalidListenKey,
    -1131: BadRecvWindow,
    -2010: OrderRejected,
    -2011: CancelRejected,
    -2013: NoSuchOrder,
    -2014: ApiKeyError,
    -2015: ApiKeyError,
    -2021: CancelReplaceFailed,
    -2022: CancelReplaceFailed,
    -2026: OrderArchived,
}

_FUTURES_CLASSES: Final[dict[int, type[BinanceAPIError]]] = {
    -1004: FuturesError,
    -1005: FuturesError,
    -1008: ServerBusy,
    -1011: ApiKeyError,
    -1023: RequestError,
    -1099: ServerOrNetworkError,
    -1108: RequestError,
    -1109: RequestError,
    -1110: RequestError,
    -1113: RequestError,
    -1125: InvalidListenKey,
    -1126: RequestError,
    -1136: RequestError,
}

CODES: Final[dict[int, CodeInfo]] = _table(SPOT_ROWS, _SPOT_CLASSES)
FUTURES_CODES: Final[dict[int, CodeInfo]] = _table(FUTURES_ROWS, _FUTURES_CLASSES, default=FuturesError)

_FUTURES_PREFIXES: Final = ("/fapi/", "/dapi/")


def is_futures_path(path: str) -> bool:
    return path.startswith(_FUTURES_PREFIXES)


def code_info(code: int, path: str = "") -> CodeInfo | None:
    """The table entry for ``code`` as the product behind ``path`` defines it."""
    if is_futures_path(path) and code in FUTURES_CODES:
        return FUTURES_CODES[code]
    return CODES.get(code)


def message_for(code: int, *, futures: bool = False) -> str:
    """Binance's canonical text for ``code``; KeyError for a code not in the tables."""
    info = code_info(code, _FUTURES_PREFIXES[0] if futures else "")
    if info is None:
        raise KeyError(f"no Binance error code {code} in the table")
    return info.message


def _class_for_code(code: int | None, path: str) -> type[BinanceAPIError]:
    if code is None:
        return BinanceAPIError
    info = code_info(code, path)
    if info is not None:
        return info.exc
    if is_futures_path(path) and -code >= 2000:
        return FuturesError
    return family_of(code)


def _class_for_status(http_status: int, code: int | None) -> type[BinanceAPIError] | None:
    if http_status == 429:
        return {-1003: RequestWeightExceeded, -1015: OrderRateExceeded}.get(code or 0, RateLimited)
    if http_status == 418:
        return IPBannedTooManyRequests if code == -1003 else IPBanned
    if http_status == 403:
        return WAFRejected
    if http_status == 409:
        return CancelReplacePartialSuccess
    if http_status >= 500:
        return ExchangeServerError
    if http_status == 404 and code is None:
        return NotFound
    return None


NO_CODE: Final = 0
"""The ``code`` of an error whose response carried none (a WAF page, a proxy's 502)."""


def error_from_response(
    http_status: int,
    code: int | None,
    msg: str | None,
    path: str,
    retry_after_s: float | None = None,
) -> BinanceAPIError:
    """The most specific exception for an error response.

    ``path`` is cut at '?' so no query string (and no signature) reaches the exception text.
    A missing ``msg`` is filled with Binance's canonical text for the code.
    """
    path = path.split("?", 1)[0]
    cls = _class_for_status(http_status, code) or _class_for_code(code, path)
    if msg is None:
        info = code_info(code, path) if code is not None else None
        msg = info.message if info is not None else f"HTTP {http_status}"
    number = NO_CODE if code is None else code
    if issubclass(cls, RateLimited):
        return cls(number, msg, http_status, path, retry_after_s)
    return cls(number, msg, http_status, path)
