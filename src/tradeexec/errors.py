"""The exception hierarchy every part of tradeexec raises.

Callers branch on the type, never on message text: a local refusal (nothing was sent), an
exchange error (the exchange answered no), and an unknown outcome (the order may exist) need
three different reactions from an order manager, so each has its own class.
"""

from __future__ import annotations


class TradeexecError(Exception):
    """Base of every error raised by tradeexec."""


class ConfigError(TradeexecError, ValueError):
    """Bad configuration or credentials given by the user (malformed key, unknown venue)."""


class ConfigFileError(ConfigError):
    """The config file breaks a rule; the message names the file, the line and the key."""


class StrategyLoadError(ConfigError):
    """A strategy file or module cannot be run: missing, broken, or no ``strategy(ctx)``."""


class InvalidParameter(TradeexecError, ValueError):
    """A request parameter the user gave breaks a rule; raised before anything is sent.

    ``field`` names the parameter, ``rule`` the rule it broke, ``detail`` the values involved.
    """

    def __init__(self, field: str, rule: str, detail: str) -> None:
        self.field = field
        self.rule = rule
        self.detail = detail
        super().__init__(f"{field}: {rule}: {detail}")


class OrderRejectedLocally(InvalidParameter):
    """The order would be rejected by the exchange's rules (filters, precision, risk limits),
    so it was refused locally and never sent. ``rule`` is the exchange's filter name when one
    applies (``"LOT_SIZE"``), so the message matches what Binance would have said."""

    def __init__(self, rule: str, field: str, detail: str) -> None:
        super().__init__(field, rule, detail)

    def __str__(self) -> str:
        return f"Filter failure: {self.rule} ({self.field}: {self.detail})"


class StrategyFailed(TradeexecError):
    """A user's strategy raised; the run cancelled its resting orders and checked the
    exchange before reporting it. The strategy's exception is the ``__cause__``."""


class TransportError(TradeexecError):
    """The request could not be delivered or its answer could not be read (connection refused,
    reset, timeout). For non-idempotent calls the client raises OrderStatusUnknown instead."""


class OrderStatusUnknown(TradeexecError):
    """An order placement or cancellation was sent but its outcome is unknown (timeout, 5xx,
    -1007, dropped connection). The order may or may not exist: it must be looked up by
    ``client_order_id``, never resent blindly."""

    def __init__(self, symbol: str, client_order_id: str, cause: str) -> None:
        self.symbol = symbol
        self.client_order_id = client_order_id
        self.cause = cause
        super().__init__(
            f"outcome unknown for order {client_order_id!r} on {symbol}: {cause}; "
            "look it up by origClientOrderId before doing anything else"
        )


class OrderNotFound(TradeexecError):
    """The venue says no order with the ID asked for exists (Binance: -2013). A lookup's
    "no" is an answer, not a failure: the resend rule rests on it."""


class OutcomeUnknown(TradeexecError):
    """The venue answered that it cannot say whether the request was executed (Binance:
    -1006, -1007, any 5xx). An order must be looked up by client order ID, never resent."""


class DuplicateOrderId(TradeexecError):
    """The venue refused a placement because an open order already carries its client order
    ID (Binance: MSG_DUPLICATE_ORDER): the order exists, so it is looked up, never
    taken for rejected."""


class StoppedBeforeSigning(TradeexecError):
    """The venue did not send a placement: the stop gate it was handed (``StopGate``) said
    trading had stopped at the moment the request was to be signed. Nothing reached the
    exchange and no signature was made, so the order is given up, never looked up."""

    def __init__(self, client_order_id: str, reason: str) -> None:
        self.client_order_id = client_order_id
        self.reason = reason
        super().__init__(
            f"order {client_order_id!r} not sent: trading stopped before it was signed ({reason})"
        )


class Throttled(TradeexecError):
    """The venue refused the request for the rate of requests (Binance: 429, 418 ban);
    ``retry_after_s`` is how long it asked to wait, None when it did not say."""

    retry_after_s: float | None = None


class BinanceAPIError(TradeexecError):
    """The exchange answered with an error.

    ``path`` is the request path only (no query string), so no signature, key or parameter
    value can leak through the exception text.
    """

    def __init__(self, code: int, msg: str, http_status: int, path: str = "") -> None:
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.path = path
        super().__init__(f"Binance error {code} (HTTP {http_status}) on {path or '?'}: {msg}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.code, self.msg, self.http_status, self.path))


class RateLimitBanActive(TradeexecError):
    """The client holds back a request because the IP is banned (418) or a budget is blocked
    after a 429 until ``until_ms``, and the caller asked not to wait."""

    def __init__(self, until_ms: int, reason: str) -> None:
        self.until_ms = until_ms
        self.reason = reason
        super().__init__(f"requests held back until {until_ms} (epoch ms): {reason}")


class JournalError(TradeexecError):
    """The order journal cannot be used as asked. Nothing was sent because of it; the message
    names the journal file and the cause."""


class JournalLocked(JournalError):
    """Another live process (named with its pid and host) is the journal's writer: two writers
    on one journal would each resend the same unresolved orders."""


class JournalUnavailable(JournalError):
    """A journal read or write failed for a reason that is not corruption (locked database,
    full or read-only disk, no file descriptors left). The journal is left where it is; an
    order manager goes degraded (no new orders) until writes succeed again."""


class JournalVersionError(JournalError):
    """The journal's schema was written by a newer tradeexec (or is unknown): refused rather
    than read wrongly."""
