"""The exception classes for Binance's error codes: one per code family, and one for each
code a trading program branches on (timestamp, signature, rate limits, unknown execution status,
order rejections). Where an HTTP status and a code both matter a class inherits from both, so
``except TooManyRequests`` and ``except RateLimited`` both catch a 429 carrying -1003."""

from __future__ import annotations

from tradeexec.binance.errors.messages import FILTER_FAILURE_PREFIX, REJECT_REASONS
from tradeexec.errors import BinanceAPIError, OrderNotFound, OutcomeUnknown, Throttled


class ServerOrNetworkError(BinanceAPIError):
    """-10xx: general server or network issues."""


class Disconnected(ServerOrNetworkError):
    """-1001: internal error; Binance asks to try again."""


class TooManyRequests(ServerOrNetworkError):
    """-1003: request weight exceeded or too many queued requests."""


class ServerBusy(ServerOrNetworkError):
    """-1004 / -1008: the server is overloaded; back off and retry."""


class ExecutionStatusUnknown(ServerOrNetworkError, OutcomeUnknown):
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
            self.msg.removeprefix(FILTER_FAILURE_PREFIX)
            if self.msg.startswith(FILTER_FAILURE_PREFIX)
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


class NoSuchOrder(RequestError, OrderNotFound):
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


class RateLimited(BinanceAPIError, Throttled):
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
