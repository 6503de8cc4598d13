"""Every Binance error code as a typed exception, and the exact texts Binance sends.

The codes are a table, not a class per code: :data:`CODES` maps each code to its name, its
canonical message and the exception class raised for it. Classes exist for code *families*
and for the few codes a trading program branches on (timestamp, signature, rate limits,
unknown execution status, order rejections). :func:`error_from_response` picks the most
specific class; the local exchange uses :func:`message_for` and the ``MSG_*`` constants so its
answers are byte-for-byte what Binance would say.

HTTP status beats code for 403, 409, 418, 429 and 5xx, because the status decides the
reaction (back off, stop, look the order up). Where a status and a code both matter, a class
inherits from both, so ``except TooManyRequests`` and ``except RateLimited`` both catch a 429
carrying -1003.

USDⓈ-M and COIN-M futures reuse some numbers with other meanings (-2021 is "order would
immediately trigger" there, a cancel-replace failure on spot; -4xxx are filter errors there,
wallet errors on SAPI), so futures codes live in their own table, :data:`FUTURES_CODES`,
chosen by the request path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tradeexec.errors import BinanceAPIError

# ============================================================================ classes


class ServerOrNetworkError(BinanceAPIError):
    """-10xx: general server or network issues."""


class Disconnected(ServerOrNetworkError):
    """-1001: internal error; Binance asks to try again."""


class TooManyRequests(ServerOrNetworkError):
    """-1003: request weight exceeded or too many queued requests."""


class ServerBusy(ServerOrNetworkError):
    """-1004 / -1008: the server is overloaded; back off and retry."""


class ExecutionStatusUnknown(ServerOrNetworkError):
    """-1006 / -1007 (and every 5xx): the request may or may not have been executed. An order
    must be looked up by client order ID, never resent."""


class UnknownOrderComposition(ServerOrNetworkError):
    """-1014: unsupported combination of order parameters."""


class TooManyOrders(ServerOrNetworkError):
    """-1015: the ORDERS budget is exhausted (comes without Retry-After)."""


class ServiceShuttingDown(ServerOrNetworkError):
    """-1016: this service is no longer available."""


class UnsupportedOperation(ServerOrNetworkError):
    """-1020."""


class InvalidTimestamp(ServerOrNetworkError):
    """-1021: the clock offset or recvWindow is wrong; resync server time."""


class InvalidSignature(ServerOrNetworkError):
    """-1022: the payload signed differs from the one sent, or the key is wrong."""


class RequestError(BinanceAPIError):
    """-11xx and -2xxx: something about the request itself."""


class InvalidMessage(RequestError):
    """-1013: rejected by the API before the matching engine, usually a filter failure."""

    @property
    def filter_name(self) -> str | None:
        """``"LOT_SIZE"`` for ``"Filter failure: LOT_SIZE"``; None for other messages."""
        return (
            self.msg.removeprefix(_FILTER_FAILURE_PREFIX)
            if self.msg.startswith(_FILTER_FAILURE_PREFIX)
            else None
        )


class IllegalChars(RequestError):
    """-1100."""


class TooManyParameters(RequestError):
    """-1101."""


class MandatoryParamMissing(RequestError):
    """-1102."""


class BadPrecision(RequestError):
    """-1111: more decimals than the asset allows; round with the symbol's rules first."""


class BadSymbol(RequestError):
    """-1121."""


class InvalidListenKey(RequestError):
    """-1125: the listenKey expired or never existed; create a new one."""


class BadRecvWindow(RequestError):
    """-1131."""


class _EngineReject(RequestError):
    """A refusal by the matching engine; ``reason`` names it (a key of REJECT_MESSAGES)."""

    @property
    def reason(self) -> str | None:
        return REJECT_REASONS.get(self.msg)


class EngineError(_EngineReject):
    """-1010 ERROR_MSG_RECEIVED."""


class OrderRejected(_EngineReject):
    """-2010: the new order was refused; nothing was placed."""


class CancelRejected(_EngineReject):
    """-2011: the cancel was refused (often: the order is already gone)."""


class NoSuchOrder(RequestError):
    """-2013: the queried order does not exist."""


class OrderArchived(NoSuchOrder):
    """-2026: the order was archived (canceled or expired without fills over 90 days ago)."""


class ApiKeyError(RequestError):
    """-2014 / -2015: key format, key validity, IP allow-list or key permissions."""


class CancelReplaceFailed(RequestError):
    """-2021 / -2022 on spot: one or both halves of a cancel-replace failed."""


class SapiError(BinanceAPIError):
    """-3xxx and beyond: SAPI product errors."""


class MarginError(SapiError):
    """-3xxx."""


class WalletError(SapiError):
    """-4xxx and -5xxx on SAPI: capital, withdrawals, asset transfers."""


class SavingsError(SapiError):
    """-6xxx."""


class CryptoLoanError(SapiError):
    """-10xxx."""


class LiquidSwapError(SapiError):
    """-12xxx."""


class BlvtError(SapiError):
    """-13xxx."""


class GiftCardError(SapiError):
    """-18xxx (Binance Code)."""


class AlgoError(SapiError):
    """-20xxx (futures and spot algo orders)."""


class PortfolioMarginError(SapiError):
    """-21xxx."""


class FuturesError(BinanceAPIError):
    """-70xx on SAPI, and the futures-only codes of /fapi and /dapi."""


# ---------------------------------------------------------------- by HTTP status


class WAFRejected(BinanceAPIError):
    """403: the web application firewall refused the request."""


class NotFound(BinanceAPIError):
    """404 without a Binance error code: no such endpoint."""


class CancelReplacePartialSuccess(CancelReplaceFailed):
    """409: a cancel-replace where one half succeeded; the body says which."""


class RateLimited(BinanceAPIError):
    """429: back off for ``retry_after_s`` seconds (None when Binance gave no Retry-After)."""

    def __init__(
        self, code: int, msg: str, http_status: int, path: str = "", retry_after_s: float | None = None
    ) -> None:
        super().__init__(code, msg, http_status, path)
        self.retry_after_s = retry_after_s

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.code, self.msg, self.http_status, self.path, self.retry_after_s))


class IPBanned(RateLimited):
    """418: the IP is banned after repeated 429s, from 2 minutes up to 3 days."""


class ExchangeServerError(ExecutionStatusUnknown):
    """5xx: Binance failed internally; the request's outcome is unknown."""


class RequestWeightExceeded(RateLimited, TooManyRequests):
    """429 with -1003."""


class OrderRateExceeded(RateLimited, TooManyOrders):
    """429 with -1015."""


class IPBannedTooManyRequests(IPBanned, TooManyRequests):
    """418 with -1003."""


def outcome_unknown(exc: BaseException) -> bool:
    """True when the request may have been executed even though it failed (5xx, -1006, -1007)."""
    return isinstance(exc, ExecutionStatusUnknown)


# ============================================================================ texts

_FILTER_FAILURE_PREFIX: Final = "Filter failure: "


def filter_failure(name: str) -> str:
    """The -1013 message for a failed filter, e.g. ``"Filter failure: LOT_SIZE"``."""
    return f"{_FILTER_FAILURE_PREFIX}{name}"


# Messages of -1010 / -2010 / -2011 from the matching engine, keyed by reason.
REJECT_MESSAGES: Final[dict[str, str]] = {
    "UNKNOWN_ORDER": "Unknown order sent.",
    "DUPLICATE_ORDER": "Duplicate order sent.",
    "MARKET_CLOSED": "Market is closed.",
    "INSUFFICIENT_BALANCE": "Account has insufficient balance for requested action.",
    "MARKET_ORDERS_NOT_SUPPORTED": "Market orders are not supported for this symbol.",
    "ICEBERG_NOT_SUPPORTED": "Iceberg orders are not supported for this symbol.",
    "STOP_LOSS_NOT_SUPPORTED": "Stop loss orders are not supported for this symbol.",
    "STOP_LOSS_LIMIT_NOT_SUPPORTED": "Stop loss limit orders are not supported for this symbol.",
    "TAKE_PROFIT_NOT_SUPPORTED": "Take profit orders are not supported for this symbol.",
    "TAKE_PROFIT_LIMIT_NOT_SUPPORTED": "Take profit limit orders are not supported for this symbol.",
    "PRICE_QTY_ZERO": "Price * QTY is zero or less.",
    "ICEBERG_QTY_EXCEEDS_QTY": "IcebergQty exceeds QTY.",
    "ACTION_DISABLED": "This action is disabled on this account.",
    "ACCOUNT_CANNOT_TRADE": "This account may not place or cancel orders.",
    "UNSUPPORTED_ORDER_COMBINATION": "Unsupported order combination",
    "WOULD_TRIGGER": "Order would trigger immediately.",
    "CANCEL_INVALID": "Cancel order is invalid. Check origClientOrderId and orderId.",
    "WOULD_TAKE": "Order would immediately match and take.",
    "OCO_PRICE_RELATIONSHIP": "The relationship of the prices for the orders is not correct.",
    "OCO_NOT_SUPPORTED": "OCO orders are not supported for this symbol",
    "QUOTE_QTY_NOT_SUPPORTED": "Quote order qty market orders are not support for this symbol.",
    "TRAILING_STOP_NOT_SUPPORTED": "Trailing stop orders are not supported for this symbol.",
    "CANCEL_REPLACE_NOT_SUPPORTED": "Order cancel-replace is not supported for this symbol.",
    "SYMBOL_NOT_PERMITTED": "This symbol is not permitted for this account.",
    "SYMBOL_RESTRICTED": "This symbol is restricted for this account.",
    "CANCEL_RESTRICTED": "Order was not canceled due to cancel restrictions.",
    "REST_TRADING_DISABLED": "Rest API trading is not enabled.",
    "WS_TRADING_DISABLED": "WebSocket API trading is not enabled.",
    "LIQUIDITY_BELOW_LOT_SIZE": "Order book liquidity is less than LOT_SIZE filter minimum quantity.",
    "LIQUIDITY_BELOW_MARKET_LOT_SIZE": (
        "Order book liquidity is less than MARKET_LOT_SIZE filter minimum quantity."
    ),
    "LIQUIDITY_BELOW_MIN_QTY": "Order book liquidity is less than symbol minimum quantity.",
}
REJECT_REASONS: Final[dict[str, str]] = {msg: reason for reason, msg in REJECT_MESSAGES.items()}

MSG_UNKNOWN_ORDER: Final = REJECT_MESSAGES["UNKNOWN_ORDER"]
MSG_DUPLICATE_ORDER: Final = REJECT_MESSAGES["DUPLICATE_ORDER"]
MSG_MARKET_CLOSED: Final = REJECT_MESSAGES["MARKET_CLOSED"]
MSG_INSUFFICIENT_BALANCE: Final = REJECT_MESSAGES["INSUFFICIENT_BALANCE"]
MSG_WOULD_TAKE: Final = REJECT_MESSAGES["WOULD_TAKE"]
MSG_ORDER_WOULD_TRIGGER: Final = REJECT_MESSAGES["WOULD_TRIGGER"]
MSG_UNSUPPORTED_ORDER_COMBINATION: Final = REJECT_MESSAGES["UNSUPPORTED_ORDER_COMBINATION"]
MSG_CANCEL_INVALID: Final = REJECT_MESSAGES["CANCEL_INVALID"]
MSG_OCO_PRICE_RELATIONSHIP: Final = REJECT_MESSAGES["OCO_PRICE_RELATIONSHIP"]

MSG_UNKNOWN: Final = "An unknown error occurred while processing the request."
MSG_DISCONNECTED: Final = "Internal error; unable to process your request. Please try again."
MSG_TOO_MANY_REQUESTS_QUEUED: Final = "Too many requests queued."
MSG_REQUEST_WEIGHT_EXCEEDED: Final = (
    "Too much request weight used; current limit is %s request weight per %s. "
    "Please use WebSocket Streams for live updates to avoid polling the API."
)
MSG_IP_BANNED: Final = (
    "Way too much request weight used; IP banned until %s. "
    "Please use WebSocket Streams for live updates to avoid bans."
)
MSG_TIMEOUT: Final = (
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
)
MSG_TOO_MANY_ORDERS: Final = "Too many new orders."
MSG_TOO_MANY_ORDERS_LIMIT: Final = "Too many new orders; current limit is %s orders per %s."
MSG_TIMESTAMP_OUTSIDE_RECV_WINDOW: Final = "Timestamp for this request is outside of the recvWindow."
MSG_TIMESTAMP_AHEAD: Final = "Timestamp for this request was 1000ms ahead of the server's time."
MSG_INVALID_SIGNATURE: Final = "Signature for this request is not valid."
MSG_ILLEGAL_CHARS: Final = "Illegal characters found in parameter '%s'; legal range is '%s'."
MSG_TOO_MANY_PARAMETERS: Final = "Too many parameters sent for this endpoint."
MSG_DUPLICATE_PARAMETER: Final = "Duplicate values for a parameter detected."
MSG_MANDATORY_PARAM: Final = "Mandatory parameter '%s' was not sent, was empty/null, or malformed."
MSG_EITHER_PARAM: Final = "Param '%s' or '%s' must be sent, but both were empty/null!"
MSG_UNKNOWN_PARAM: Final = "An unknown parameter was sent."
MSG_UNREAD_PARAMETERS: Final = "Not all sent parameters were read; read '%s' parameter(s) but was sent '%s'."
MSG_PARAM_EMPTY: Final = "Parameter '%s' was empty."
MSG_PARAM_NOT_REQUIRED: Final = "Parameter '%s' sent when not required."
MSG_BAD_PRECISION: Final = "Precision is over the maximum defined for this asset."
MSG_INVALID_PARAMETER: Final = "Data sent for parameter '%s' is not valid."
MSG_INVALID_SYMBOL: Final = "Invalid symbol."
MSG_INVALID_INTERVAL: Final = "Invalid interval."
MSG_INVALID_LISTEN_KEY: Final = "This listenKey does not exist."
MSG_BAD_RECV_WINDOW: Final = "recvWindow must be less than 60000"
MSG_ORDER_DOES_NOT_EXIST: Final = "Order does not exist."
MSG_API_KEY_FORMAT: Final = "API-key format invalid."
MSG_REJECTED_API_KEY: Final = "Invalid API-key, IP, or permissions for action."


def mandatory_param_missing(name: str) -> str:
    return MSG_MANDATORY_PARAM % name


def illegal_chars(name: str, legal_range: str) -> str:
    return MSG_ILLEGAL_CHARS % (name, legal_range)


def unread_parameters(read: int, sent: int) -> str:
    return MSG_UNREAD_PARAMETERS % (read, sent)


def invalid_parameter(name: str) -> str:
    return MSG_INVALID_PARAMETER % name


# ============================================================================ the table


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

# Spot and SAPI codes: the "Error Codes" section of the Spot API reference, plus the codes
# Binance added since (marked "current docs"). Texts are Binance's, '%s' where it fills a value.
_SPOT_ROWS: Final[tuple[tuple[int, str, str | tuple[str, ...]], ...]] = (
    # 10xx - General server or network issues
    (-1000, "UNKNOWN", (MSG_UNKNOWN, "An unknown error occurred while processing the request.[%s]")),
    (-1001, "DISCONNECTED", MSG_DISCONNECTED),
    (-1002, "UNAUTHORIZED", "You are not authorized to execute this request."),
    (-1003, "TOO_MANY_REQUESTS", (MSG_TOO_MANY_REQUESTS_QUEUED, MSG_REQUEST_WEIGHT_EXCEEDED, MSG_IP_BANNED)),
    (-1004, "SERVER_BUSY", "Server is busy, please wait and try again"),
    (-1006, "UNEXPECTED_RESP",
     "An unexpected response was received from the message bus. Execution status unknown."),
    (-1007, "TIMEOUT", MSG_TIMEOUT),
    (-1008, "SERVER_BUSY", (
        "Spot server is currently overloaded with other requests. Please try again in a few minutes.",
        "Server is currently overloaded with other requests. Please try again in a few minutes.",
    )),
    (-1010, "ERROR_MSG_RECEIVED", "ERROR_MSG_RECEIVED"),  # current docs; real text: REJECT_MESSAGES
    (-1013, "INVALID_MESSAGE",  # current docs
     "The request is rejected by the API. (i.e. The request didn't reach the Matching Engine.)"),
    (-1014, "UNKNOWN_ORDER_COMPOSITION", "Unsupported order combination."),
    (-1015, "TOO_MANY_ORDERS", (MSG_TOO_MANY_ORDERS, MSG_TOO_MANY_ORDERS_LIMIT)),
    (-1016, "SERVICE_SHUTTING_DOWN", "This service is no longer available."),
    (-1020, "UNSUPPORTED_OPERATION", "This operation is not supported."),
    (-1021, "INVALID_TIMESTAMP", (MSG_TIMESTAMP_OUTSIDE_RECV_WINDOW, MSG_TIMESTAMP_AHEAD)),
    (-1022, "INVALID_SIGNATURE", MSG_INVALID_SIGNATURE),
    (-1099, "NOT_FOUND", "Not found, authenticated, or authorized"),
    # 11xx - 2xxx Request issues
    (-1100, "ILLEGAL_CHARS", ("Illegal characters found in a parameter.", MSG_ILLEGAL_CHARS)),
    (-1101, "TOO_MANY_PARAMETERS", (
        MSG_TOO_MANY_PARAMETERS,
        "Too many parameters; expected '%s' and received '%s'.",
        MSG_DUPLICATE_PARAMETER,
    )),
    (-1102, "MANDATORY_PARAM_EMPTY_OR_MALFORMED", (
        "A mandatory parameter was not sent, was empty/null, or malformed.",
        MSG_MANDATORY_PARAM,
        MSG_EITHER_PARAM,
    )),
    (-1103, "UNKNOWN_PARAM", MSG_UNKNOWN_PARAM),
    (-1104, "UNREAD_PARAMETERS", ("Not all sent parameters were read.", MSG_UNREAD_PARAMETERS)),
    (-1105, "PARAM_EMPTY", ("A parameter was empty.", MSG_PARAM_EMPTY)),
    (-1106, "PARAM_NOT_REQUIRED", ("A parameter was sent when not required.", MSG_PARAM_NOT_REQUIRED)),
    (-1108, "PARAM_OVERFLOW", "Parameter '%s' overflowed."),  # current docs
    (-1111, "BAD_PRECISION", (MSG_BAD_PRECISION, "Parameter '%s' has too much precision.")),
    (-1112, "NO_DEPTH", "No orders on book for symbol."),
    (-1114, "TIF_NOT_REQUIRED", "TimeInForce parameter sent when not required."),
    (-1115, "INVALID_TIF", "Invalid timeInForce."),
    (-1116, "INVALID_ORDER_TYPE", "Invalid orderType."),
    (-1117, "INVALID_SIDE", "Invalid side."),
    (-1118, "EMPTY_NEW_CL_ORD_ID", "New client order ID was empty."),
    (-1119, "EMPTY_ORG_CL_ORD_ID", "Original client order ID was empty."),
    (-1120, "BAD_INTERVAL", MSG_INVALID_INTERVAL),
    (-1121, "BAD_SYMBOL", MSG_INVALID_SYMBOL),
    (-1122, "INVALID_SYMBOLSTATUS", "Invalid symbolStatus."),  # current docs
    (-1125, "INVALID_LISTEN_KEY", MSG_INVALID_LISTEN_KEY),
    (-1127, "MORE_THAN_XX_HOURS", (
        "Lookup interval is too big.",
        "More than %s hours between startTime and endTime.",
    )),
    (-1128, "OPTIONAL_PARAMS_BAD_COMBO", (
        "Combination of optional parameters invalid.",
        "Fields [%s] must be sent together or omitted entirely.",
    )),
    (-1130, "INVALID_PARAMETER", ("Invalid data sent for a parameter.", MSG_INVALID_PARAMETER)),
    (-1131, "BAD_RECV_WINDOW", MSG_BAD_RECV_WINDOW),
    (-1134, "BAD_STRATEGY_TYPE", "strategyType was less than 1000000."),
    (-1135, "INVALID_JSON", ("Invalid JSON Request", "JSON sent for parameter '%s' is not valid")),  # current
    (-1139, "INVALID_TICKER_TYPE", "Invalid ticker type."),  # current docs
    (-1145, "INVALID_CANCEL_RESTRICTIONS",
     "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED."),
    (-1151, "DUPLICATE_SYMBOLS", "Symbol is present multiple times in the list."),  # current docs
    (-1152, "INVALID_SBE_HEADER", "Invalid X-MBX-SBE header; expected <SCHEMA_ID>:<VERSION>."),  # current
    (-1153, "UNSUPPORTED_SCHEMA_ID",
     "Unsupported SBE schema ID or version specified in the X-MBX-SBE header."),
    (-1155, "SBE_DISABLED", "SBE is not enabled."),  # current docs
    (-1158, "OCO_ORDER_TYPE_REJECTED", "Order type not supported in OCO."),  # current docs
    (-1160, "OCO_ICEBERGQTY_TIMEINFORCE",
     "Parameter '%s' is not supported if aboveTimeInForce/belowTimeInForce is not GTC."),
    (-1161, "DEPRECATED_SCHEMA",
     "Unable to encode the response in SBE schema 'x'. Please use schema 'y' or higher."),
    (-1165, "BUY_OCO_LIMIT_MUST_BE_BELOW", "A limit order in a buy OCO must be below."),  # current docs
    (-1166, "SELL_OCO_LIMIT_MUST_BE_ABOVE", "A limit order in a sell OCO must be above."),  # current docs
    (-1168, "BOTH_OCO_ORDERS_CANNOT_BE_LIMIT", "At least one OCO order must be contingent."),  # current docs
    (-1194, "INVALID_TIME_UNIT", "Invalid value for time unit; expected either MICROSECOND or MILLISECOND."),
    (-1196, "BUY_OCO_STOP_LOSS_MUST_BE_ABOVE", "A stop loss order in a buy OCO must be above."),  # current
    (-1197, "SELL_OCO_STOP_LOSS_MUST_BE_BELOW", "A stop loss order in a sell OCO must be below."),  # current
    (-1198, "BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW",  # current
     "A take profit order in a buy OCO must be below."),
    (-1199, "SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE",  # current
     "A take profit order in a sell OCO must be above."),
    (-2010, "NEW_ORDER_REJECTED", "NEW_ORDER_REJECTED"),
    (-2011, "CANCEL_REJECTED", "CANCEL_REJECTED"),
    (-2013, "NO_SUCH_ORDER", MSG_ORDER_DOES_NOT_EXIST),
    (-2014, "BAD_API_KEY_FMT", MSG_API_KEY_FORMAT),
    (-2015, "REJECTED_MBX_KEY", MSG_REJECTED_API_KEY),
    (-2016, "NO_TRADING_WINDOW",
     "No trading window could be found for the symbol. Try ticker/24hrs instead."),
    (-2021, "CANCEL_REPLACE_PARTIALLY_FAILED", "Order cancel-replace partially failed."),
    (-2022, "CANCEL_REPLACE_FAILED", "Order cancel-replace failed."),
    (-2026, "ORDER_ARCHIVED",
     "Order was canceled or expired with no executed qty over 90 days ago and has been archived."),
    # 3xxx-5xxx SAPI-specific issues
    (-3000, "INNER_FAILURE", "Internal server error."),
    (-3001, "NEED_ENABLE_2FA", "Please enable 2FA first."),
    (-3002, "ASSET_DEFICIENCY", "We don't have this asset."),
    (-3003, "NO_OPENED_MARGIN_ACCOUNT", "Margin account does not exist."),
    (-3004, "TRADE_NOT_ALLOWED", "Trade not allowed."),
    (-3005, "TRANSFER_OUT_NOT_ALLOWED", "Transferring out not allowed."),
    (-3006, "EXCEED_MAX_BORROWABLE", "Your borrow amount has exceed maximum borrow amount."),
    (-3007, "HAS_PENDING_TRANSACTION", "You have pending transaction, please try again later."),
    (-3008, "BORROW_NOT_ALLOWED", "Borrow not allowed."),
    (-3009, "ASSET_NOT_MORTGAGEABLE",
     "This asset are not allowed to transfer into margin account currently."),
    (-3010, "REPAY_NOT_ALLOWED", "Repay not allowed."),
    (-3011, "BAD_DATE_RANGE", "Your input date is invalid."),
    (-3012, "ASSET_ADMIN_BAN_BORROW", "Borrow is banned for this asset."),
    (-3013, "LT_MIN_BORROWABLE", "Borrow amount less than minimum borrow amount."),
    (-3014, "ACCOUNT_BAN_BORROW", "Borrow is banned for this account."),
    (-3015, "REPAY_EXCEED_LIABILITY", "Repay amount exceeds borrow amount."),
    (-3016, "LT_MIN_REPAY", "Repay amount less than minimum repay amount."),
    (-3017, "ASSET_ADMIN_BAN_MORTGAGE",
     "This asset are not allowed to transfer into margin account currently."),
    (-3018, "ACCOUNT_BAN_MORTGAGE", "Transferring in has been banned for this account."),
    (-3019, "ACCOUNT_BAN_ROLLOUT", "Transferring out has been banned for this account."),
    (-3020, "EXCEED_MAX_ROLLOUT", "Transfer out amount exceeds max amount."),
    (-3021, "PAIR_ADMIN_BAN_TRADE", "Margin account are not allowed to trade this trading pair."),
    (-3022, "ACCOUNT_BAN_TRADE", "You account's trading is banned."),
    (-3023, "WARNING_MARGIN_LEVEL", "You can't transfer out/place order under current margin level."),
    (-3024, "FEW_LIABILITY_LEFT", "The unpaid debt is too small after this repayment."),
    (-3025, "INVALID_EFFECTIVE_TIME", "Your input date is invalid."),
    (-3026, "VALIDATION_FAILED", "Your input param is invalid."),
    (-3027, "NOT_VALID_MARGIN_ASSET", "Not a valid margin asset."),
    (-3028, "NOT_VALID_MARGIN_PAIR", "Not a valid margin pair."),
    (-3029, "TRANSFER_FAILED", "Transfer failed."),
    (-3036, "ACCOUNT_BAN_REPAY", "This account is not allowed to repay."),
    (-3037, "PNL_CLEARING", "PNL is clearing. Wait a second."),
    (-3038, "LISTEN_KEY_NOT_FOUND", "Listen key not found."),
    (-3041, "BALANCE_NOT_CLEARED", "Balance is not enough"),
    (-3042, "PRICE_INDEX_NOT_FOUND", "PriceIndex not available for this margin pair."),
    (-3043, "TRANSFER_IN_NOT_ALLOWED", "Transferring in not allowed."),
    (-3044, "SYSTEM_BUSY", "System busy."),
    (-3045, "SYSTEM", "The system doesn't have enough asset now."),
    (-3999, "NOT_WHITELIST_USER", "This function is only available for invited users."),
    (-4001, "CAPITAL_INVALID", "Invalid operation."),
    (-4002, "CAPITAL_IG", "Invalid get."),
    (-4003, "CAPITAL_IEV", "Your input email is invalid."),
    (-4004, "CAPITAL_UA", "You don't login or auth."),
    (-4005, "CAPAITAL_TOO_MANY_REQUEST", "Too many new requests."),
    (-4006, "CAPITAL_ONLY_SUPPORT_PRIMARY_ACCOUNT", "Support main account only."),
    (-4007, "CAPITAL_ADDRESS_VERIFICATION_NOT_PASS", "Address validation is not passed."),
    (-4008, "CAPITAL_ADDRESS_TAG_VERIFICATION_NOT_PASS", "Address tag validation is not passed."),
    (-4010, "CAPITAL_WHITELIST_EMAIL_CONFIRM", "White list mail has been confirmed."),
    (-4011, "CAPITAL_WHITELIST_EMAIL_EXPIRED", "White list mail is invalid."),
    (-4012, "CAPITAL_WHITELIST_CLOSE", "White list is not opened."),
    (-4013, "CAPITAL_WITHDRAW_2FA_VERIFY", "2FA is not opened."),
    (-4014, "CAPITAL_WITHDRAW_LOGIN_DELAY", "Withdraw is not allowed within 2 min login."),
    (-4015, "CAPITAL_WITHDRAW_RESTRICTED_MINUTE", "Withdraw is limited."),
    (-4016, "CAPITAL_WITHDRAW_RESTRICTED_PASSWORD",
     "Within 24 hours after password modification, withdrawal is prohibited."),
    (-4017, "CAPITAL_WITHDRAW_RESTRICTED_UNBIND_2FA",
     "Within 24 hours after the release of 2FA, withdrawal is prohibited."),
    (-4018, "CAPITAL_WITHDRAW_ASSET_NOT_EXIST", "We don't have this asset."),
    (-4019, "CAPITAL_WITHDRAW_ASSET_PROHIBIT", "Current asset is not open for withdrawal."),
    (-4021, "CAPITAL_WITHDRAW_AMOUNT_MULTIPLE", "Asset withdrawal must be an %s multiple of %s."),
    (-4022, "CAPITAL_WITHDRAW_MIN_AMOUNT", "Not less than the minimum pick-up quantity %s."),
    (-4023, "CAPITAL_WITHDRAW_MAX_AMOUNT", "Within 24 hours, the withdrawal exceeds the maximum amount."),
    (-4024, "CAPITAL_WITHDRAW_USER_NO_ASSET", "You don't have this asset."),
    (-4025, "CAPITAL_WITHDRAW_USER_ASSET_LESS_THAN_ZERO", "The number of hold asset is less than zero."),
    (-4026, "CAPITAL_WITHDRAW_USER_ASSET_NOT_ENOUGH", "You have insufficient balance."),
    (-4027, "CAPITAL_WITHDRAW_GET_TRAN_ID_FAILURE", "Failed to obtain tranId."),
    (-4028, "CAPITAL_WITHDRAW_MORE_THAN_FEE",
     "The amount of withdrawal must be greater than the Commission."),
    (-4029, "CAPITAL_WITHDRAW_NOT_EXIST", "The withdrawal record does not exist."),
    (-4030, "CAPITAL_WITHDRAW_CONFIRM_SUCCESS", "Confirmation of successful asset withdrawal."),
    (-4031, "CAPITAL_WITHDRAW_CANCEL_FAILURE", "Cancellation failed."),
    (-4032, "CAPITAL_WITHDRAW_CHECKSUM_VERIFY_FAILURE", "Withdraw verification exception."),
    (-4033, "CAPITAL_WITHDRAW_ILLEGAL_ADDRESS", "Illegal address."),
    (-4034, "CAPITAL_WITHDRAW_ADDRESS_CHEAT", "The address is suspected of fake."),
    (-4035, "CAPITAL_WITHDRAW_NOT_WHITE_ADDRESS",
     "This address is not on the whitelist. Please join and try again."),
    (-4036, "CAPITAL_WITHDRAW_NEW_ADDRESS", "The new address needs to be withdrawn in {0} hours."),
    (-4037, "CAPITAL_WITHDRAW_RESEND_EMAIL_FAIL", "Re-sending Mail failed."),
    (-4038, "CAPITAL_WITHDRAW_RESEND_EMAIL_TIME_OUT", "Please try again in 5 minutes."),
    (-4039, "CAPITAL_USER_EMPTY", "The user does not exist."),
    (-4040, "CAPITAL_NO_CHARGE", "This address not charged."),
    (-4041, "CAPITAL_MINUTE_TOO_SMALL", "Please try again in one minute."),
    (-4042, "CAPITAL_CHARGE_NOT_RESET", "This asset cannot get deposit address again."),
    (-4043, "CAPITAL_ADDRESS_TOO_MUCH", "More than 100 recharge addresses were used in 24 hours."),
    (-4044, "CAPITAL_BLACKLIST_COUNTRY_GET_ADDRESS", "This is a blacklist country."),
    (-4045, "CAPITAL_GET_ASSET_ERROR", "Failure to acquire assets."),
    (-4046, "CAPITAL_AGREEMENT_NOT_CONFIRMED", "Agreement not confirmed."),
    (-4047, "CAPITAL_DATE_INTERVAL_LIMIT", "Time interval must be within 0-90 days"),
    (-4060, "CAPITAL_WITHDRAW_USER_ASSET_LOCK_DEPOSIT",
     "As your deposit has not reached the required block confirmations, we have temporarily "
     "locked {0} asset"),
    (-5001, "ASSET_DRIBBLET_CONVERT_SWITCH_OFF", "Don't allow transfer to micro assets."),
    (-5002, "ASSET_ASSET_NOT_ENOUGH", "You have insufficient balance."),
    (-5003, "ASSET_USER_HAVE_NO_ASSET", "You don't have this asset."),
    (-5004, "USER_OUT_OF_TRANSFER_FLOAT", (
        "The residual balances have exceeded 0.001BTC, Please re-choose.",
        "The residual balances of %s have exceeded 0.001BTC, Please re-choose.",
    )),
    (-5005, "USER_ASSET_AMOUNT_IS_TOO_LOW", (
        "The residual balances of the BTC is too low",
        "The residual balances of %s is too low, Please re-choose.",
    )),
    (-5006, "USER_CAN_NOT_REQUEST_IN_24_HOURS", "Only transfer once in 24 hours."),
    (-5007, "AMOUNT_OVER_ZERO", "Quantity must be greater than zero."),
    (-5008, "ASSET_WITHDRAW_WITHDRAWING_NOT_ENOUGH", "Insufficient amount of returnable assets."),
    (-5009, "PRODUCT_NOT_EXIST", "Product does not exist."),
    (-5010, "TRANSFER_FAIL", "Asset transfer fail."),
    (-5011, "FUTURE_ACCT_NOT_EXIST", "future account not exists."),
    (-5012, "TRANSFER_PENDING", "Asset transfer is in pending."),
    (-5021, "PARENT_SUB_HAVE_NO_RELATION", "This parent sub have no relation"),
    (-5012, "FUTURE_ACCT_OR_SUBRELATION_NOT_EXIST", "future account or sub relation not exists."),
    # 6xxx - Savings
    (-6001, "DAILY_PRODUCT_NOT_EXIST", "Daily product not exists."),
    (-6003, "DAILY_PRODUCT_NOT_ACCESSIBLE", "Product not exist or you don't have permission"),
    (-6004, "DAILY_PRODUCT_NOT_PURCHASABLE", "Product not in purchase status"),
    (-6005, "DAILY_LOWER_THAN_MIN_PURCHASE_LIMIT", "Smaller than min purchase limit"),
    (-6006, "DAILY_REDEEM_AMOUNT_ERROR", "Redeem amount error"),
    (-6007, "DAILY_REDEEM_TIME_ERROR", "Not in redeem time"),
    (-6008, "DAILY_PRODUCT_NOT_REDEEMABLE", "Product not in redeem status"),
    (-6009, "REQUEST_FREQUENCY_TOO_HIGH", "Request frequency too high"),
    (-6011, "EXCEEDED_USER_PURCHASE_LIMIT", "Exceeding the maximum num allowed to purchase per user"),
    (-6012, "BALANCE_NOT_ENOUGH", "Balance not enough"),
    (-6013, "PURCHASING_FAILED", "Purchasing failed"),
    (-6014, "UPDATE_FAILED", "Exceed up-limit allowed to purchased"),
    (-6015, "EMPTY_REQUEST_BODY", "Empty request body"),
    (-6016, "PARAMS_ERR", "Parameter err"),
    (-6017, "NOT_IN_WHITELIST", "Not in whitelist"),
    (-6018, "ASSET_NOT_ENOUGH", "Asset not enough"),
    (-6019, "PENDING", "Need confirm"),
    (-6020, "PROJECT_NOT_EXISTS", "Project not exists"),
    # 70xx - Futures (via SAPI)
    (-7001, "FUTURES_BAD_DATE_RANGE", "Date range is not supported."),
    (-7002, "FUTURES_BAD_TYPE", "Data request type is not supported."),
    # 10xxx - Crypto loans
    (-10001, "SYSTEM_MAINTENANCE", "The system is under maintenance, please try again later."),
    (-10002, "INVALID_INPUT", "Invalid input parameters."),
    (-10005, "NO_RECORDS", "No records found."),
    (-10007, "COIN_NOT_LOANABLE", "This coin is not loanable."),
    (-10008, "COIN_NOT_LOANABLE", "This coin is not loanable"),
    (-10009, "COIN_NOT_COLLATERAL", "This coin can not be used as collateral."),
    (-10010, "COIN_NOT_COLLATERAL", "This coin can not be used as collateral."),
    (-10011, "INSUFFICIENT_ASSET", "Insufficient spot assets."),
    (-10012, "INVALID_AMOUNT", "Invalid repayment amount."),
    (-10013, "INSUFFICIENT_AMOUNT", "Insufficient collateral amount."),
    (-10015, "DEDUCTION_FAILED", "Collateral deduction failed."),
    (-10016, "LOAN_FAILED", "Failed to provide loan."),
    (-10017, "REPAY_EXCEED_DEBT", "Repayment amount exceeds debt."),
    (-10018, "INVALID_AMOUNT", "Invalid repayment amount."),
    (-10019, "CONFIG_NOT_EXIST", "Configuration does not exists."),
    (-10020, "UID_NOT_EXIST", "User ID does not exist."),
    (-10021, "ORDER_NOT_EXIST", "Order does not exist."),
    (-10022, "INVALID_AMOUNT", "Invalid adjustment amount."),
    (-10023, "ADJUST_LTV_FAILED", "Failed to adjust LTV."),
    (-10024, "ADJUST_LTV_NOT_SUPPORTED", "LTV adjustment not supported."),
    (-10025, "REPAY_FAILED", "Repayment failed."),
    (-10026, "INVALID_PARAMETER", "Invalid parameter."),
    (-10028, "INVALID_PARAMETER", "Invalid parameter."),
    (-10029, "AMOUNT_TOO_SMALL", "Loan amount is too small."),
    (-10030, "AMOUNT_TOO_LARGE", "Loan amount is too much."),
    (-10031, "QUOTA_REACHED", "Individual loan quota reached."),
    (-10032, "REPAY_NOT_AVAILABLE", "Repayment is temporarily unavailable."),
    (-10034, "REPAY_NOT_AVAILABLE",
     "Repay with collateral is not available currently, please try to repay with borrowed coin."),
    (-10039, "AMOUNT_TOO_SMALL", "Repayment amount is too small."),
    (-10040, "AMOUNT_TOO_LARGE", "Repayment amount is too large."),
    (-10041, "INSUFFICIENT_AMOUNT",
     "Due to high demand, there are currently insufficient loanable assets for {0}. Please "
     "adjust your borrow amount or try again tomorrow."),
    (-10042, "ASSET_NOT_SUPPORTED", "asset %s is not supported"),
    (-10043, "ASSET_NOT_SUPPORTED", "{0} borrowing is currently not supported."),
    (-10044, "QUOTA_REACHED",
     "Collateral amount has reached the limit. Please reduce your collateral amount or try with "
     "other collaterals."),
    (-10045, "COLLTERAL_REPAY_NOT_SUPPORTED",
     "The loan coin does not support collateral repayment. Please try again later."),
    (-10046, "EXCEED_MAX_ADJUSTMENT", "Collateral Adjustment exceeds the maximum limit. Please try again."),
    (-10047, "REGION_NOT_SUPPORTED",
     "This coin is currently not supported in your location due to local regulations."),
    # 12xxx - Liquid swap
    (-12014, "TOO_MANY_REQUESTS", "More than 1 request in 2 seconds"),
    # 13xxx - BLVT
    (-13000, "BLVT_FORBID_REDEEM", "Redeption of the token is forbiden now"),
    (-13001, "BLVT_EXCEED_DAILY_LIMIT", "Exceeds individual 24h redemption limit of the token"),
    (-13002, "BLVT_EXCEED_TOKEN_DAILY_LIMIT", "Exceeds total 24h redemption limit of the token"),
    (-13003, "BLVT_FORBID_PURCHASE", "Subscription of the token is forbiden now"),
    (-13004, "BLVT_EXCEED_DAILY_PURCHASE_LIMIT", "Exceeds individual 24h subscription limit of the token"),
    (-13005, "BLVT_EXCEED_TOKEN_DAILY_PURCHASE_LIMIT", "Exceeds total 24h subscription limit of the token"),
    (-13006, "BLVT_PURCHASE_LESS_MIN_AMOUNT", "Subscription amount is too small"),
    (-13007, "BLVT_PURCHASE_AGREEMENT_NOT_SIGN", "The Agreement is not signed"),
    # 18xxx - Binance Code (gift cards); the reference gives no names
    (-18002, "GIFTCARD_AMOUNT_DAILY_LIMIT",
     "The total amount of codes you created has exceeded the 24-hour limit, please try again "
     "after UTC 0"),
    (-18003, "GIFTCARD_COUNT_DAILY_LIMIT",
     "Too many codes created in 24 hours, please try again after UTC 0"),
    (-18004, "GIFTCARD_REDEEM_ATTEMPTS",
     "Too many invalid redeem attempts in 24 hours, please try again after UTC 0"),
    (-18005, "GIFTCARD_VERIFY_ATTEMPTS", "Too many invalid verify attempts, please try later"),
    (-18006, "GIFTCARD_AMOUNT_TOO_SMALL", "The amount is too small, please re-enter"),
    (-18007, "GIFTCARD_TOKEN_NOT_SUPPORTED", "This token is not currently supported, please re-enter"),
    # 20xxx - Futures/spot algo; the reference gives no names
    (-20121, "ALGO_INVALID_SYMBOL", "Invalid symbol."),
    (-20124, "ALGO_INVALID_ID", "Invalid algo id or it has been completed."),
    (-20130, "ALGO_INVALID_PARAMETER", "Invalid data sent for a parameter."),
    (-20132, "ALGO_DUPLICATE_CLIENT_ID", "The client algo id is duplicated."),
    (-20194, "ALGO_DURATION_TOO_SHORT", "Duration is too short to execute all required quantity."),
    (-20195, "ALGO_SIZE_TOO_SMALL", "The total size is too small."),
    (-20196, "ALGO_SIZE_TOO_LARGE", "The total size is too large."),
    (-20198, "ALGO_MAX_OPEN_ORDERS", "Reach the max open orders allowed."),
    (-20204, "ALGO_NOTIONAL_OUT_OF_RANGE", "The notional of USD is less or more than the limit."),
    # 21xxx - Portfolio margin
    (-21001, "USER_IS_NOT_UNIACCOUNT", "Request ID is not a Portfolio Margin Account."),
    (-21002, "UNI_ACCOUNT_CANT_TRANSFER_FUTURE",
     "Portfolio Margin Account doesn't support transfer from margin to futures."),
    (-21003, "NET_ASSET_MUST_LTE_RATIO", "Fail to retrieve margin assets."),
    (-21004, "USER_NO_LIABILITY", "User doesn’t have portfolio margin bankruptcy loan"),
    (-21005, "NO_ENOUGH_ASSET",
     "User’s spot wallet doesn’t have enough BUSD to repay portfolio margin bankruptcy loan"),
    (-21006, "HAD_IN_PROCESS_REPAY", "User had portfolio margin bankruptcy loan repayment in process"),
    (-21007, "IN_FORCE_LIQUIDATION",
     "User failed to repay portfolio margin bankruptcy loan since liquidation was in process"),
)  # fmt: skip

# Futures (/fapi, /dapi) codes whose number is unknown on spot or means something else there.
# Codes not listed here (e.g. -1021, -2013) mean the same as on spot and are taken from CODES.
_FUTURES_ROWS: Final[tuple[tuple[int, str, str | tuple[str, ...]], ...]] = (
    (-1004, "DUPLICATE_IP", "This IP is already on the white list"),
    (-1005, "NO_SUCH_IP", "No such IP has been white listed"),
    (-1008, "REQUEST_THROTTLED", (
        "Server is currently overloaded with other requests. Please try again in a few minutes.",
        "Request throttled by system-level protection. Reduce-only/close-position orders are exempt. "
        "Please try again.",
    )),
    (-1011, "NON_WHITE_LIST", "This IP cannot access this route."),
    (-1023, "START_TIME_GREATER_THAN_END_TIME", "Start time is greater than end time."),
    (-1099, "NOT_FOUND", "Not found, unauthenticated, or unauthorized."),
    (-1108, "BAD_ASSET", "Invalid asset."),
    (-1109, "BAD_ACCOUNT", "Invalid account."),
    (-1110, "BAD_INSTRUMENT_TYPE", "Invalid symbolType."),
    (-1113, "WITHDRAW_NOT_NEGATIVE", "Withdrawal amount must be negative."),
    (-1125, "INVALID_LISTEN_KEY",
     "This listenKey does not exist. Please use POST /fapi/v1/listenKey to recreate listenKey"),
    (-1126, "ASSET_NOT_SUPPORTED", "This asset is not supported."),
    (-1136, "INVALID_NEW_ORDER_RESP_TYPE", "Invalid newOrderRespType."),
    (-2012, "CANCEL_ALL_FAIL", "Batch cancel failure."),
    (-2017, "API_KEYS_LOCKED", "API Keys are locked on this account."),
    (-2018, "BALANCE_NOT_SUFFICIENT", "Balance is insufficient."),
    (-2019, "MARGIN_NOT_SUFFICIEN", "Margin is insufficient."),
    (-2020, "UNABLE_TO_FILL", "Unable to fill."),
    (-2021, "ORDER_WOULD_IMMEDIATELY_TRIGGER", "Order would immediately trigger."),
    (-2022, "REDUCE_ONLY_REJECT", "ReduceOnly Order is rejected."),
    (-2023, "USER_IN_LIQUIDATION", "User in liquidation mode now."),
    (-2024, "POSITION_NOT_SUFFICIENT", "Position is not sufficient."),
    (-2025, "MAX_OPEN_ORDER_EXCEEDED", "Reach max open order limit."),
    (-2026, "REDUCE_ONLY_ORDER_TYPE_NOT_SUPPORTED", "This OrderType is not supported when reduceOnly."),
    (-2027, "MAX_LEVERAGE_RATIO", "Exceeded the maximum allowable position at current leverage."),
    (-2028, "MIN_LEVERAGE_RATIO", "Leverage is smaller than permitted: insufficient margin balance."),
    (-4000, "INVALID_ORDER_STATUS", "Invalid order status."),
    (-4001, "PRICE_LESS_THAN_ZERO", "Price less than 0."),
    (-4002, "PRICE_GREATER_THAN_MAX_PRICE", "Price greater than max price."),
    (-4003, "QTY_LESS_THAN_ZERO", "Quantity less than zero."),
    (-4004, "QTY_LESS_THAN_MIN_QTY", "Quantity less than min quantity."),
    (-4005, "QTY_GREATER_THAN_MAX_QTY", "Quantity greater than max quantity."),
    (-4006, "STOP_PRICE_LESS_THAN_ZERO", "Stop price less than zero."),
    (-4013, "PRICE_LESS_THAN_MIN_PRICE", "Price less than min price."),
    (-4014, "PRICE_NOT_INCREASED_BY_TICK_SIZE", "Price not increased by tick size."),
    (-4015, "INVALID_CL_ORD_ID_LEN", (
        "Client order id is not valid.",
        "Client order id length should not be more than 36 chars",
    )),
    (-4016, "PRICE_HIGHTER_THAN_MULTIPLIER_UP", "Price is higher than mark price multiplier cap."),
    (-4023, "QTY_NOT_INCREASED_BY_STEP_SIZE", "Qty not increased by step size."),
    (-4024, "PRICE_LOWER_THAN_MULTIPLIER_DOWN", "Price is lower than mark price multiplier floor."),
    (-4028, "INVALID_LEVERAGE", (
        "Invalid leverage",
        "Leverage %s is not valid",
        "Leverage %s already exist with %s",
    )),
    (-4046, "NO_NEED_TO_CHANGE_MARGIN_TYPE", "No need to change margin type."),
    (-4047, "THERE_EXISTS_OPEN_ORDERS", "Margin type cannot be changed if there exists open orders."),
    (-4048, "THERE_EXISTS_QUANTITY", "Margin type cannot be changed if there exists position."),
    (-4059, "NO_NEED_TO_CHANGE_POSITION_SIDE", "No need to change position side."),
    (-4060, "INVALID_POSITION_SIDE", "Invalid position side."),
    (-4061, "POSITION_SIDE_NOT_MATCH", "Order's position side does not match user's setting."),
    (-4062, "REDUCE_ONLY_CONFLICT", "Invalid or improper reduceOnly value."),
    (-4164, "MIN_NOTIONAL", (
        "Order's notional must be no smaller than 5.0 (unless you choose reduce only)",
        "Order's notional must be no smaller than %s (unless you choose reduce only)",
    )),
    (-5021, "FOK_ORDER_REJECT",
     "Due to the order could not be filled immediately, the FOK order has been rejected."),
    (-5022, "GTX_ORDER_REJECT",
     "Due to the order could not be executed as maker, the Post Only order will be rejected."),
)  # fmt: skip

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

CODES: Final[dict[int, CodeInfo]] = _table(_SPOT_ROWS, _SPOT_CLASSES)
FUTURES_CODES: Final[dict[int, CodeInfo]] = _table(_FUTURES_ROWS, _FUTURES_CLASSES, default=FuturesError)

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
