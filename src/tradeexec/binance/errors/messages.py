"""The exact texts Binance sends with its error codes, as constants and fill-in helpers: the
local exchange answers with them byte for byte, and the client compares against them (e.g. the
duplicate-client-order-ID rejection, :data:`MSG_DUPLICATE_ORDER`), so each text is written once."""

from __future__ import annotations

from typing import Final

FILTER_FAILURE_PREFIX: Final = "Filter failure: "


def filter_failure(name: str) -> str:
    """The -1013 message for a failed filter, e.g. ``"Filter failure: LOT_SIZE"``."""
    return f"{FILTER_FAILURE_PREFIX}{name}"


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
