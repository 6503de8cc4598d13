"""What every endpoint family shares: running an operation, authenticating the caller
(API key, signature, timestamp, permissions), and reading the common parameters (symbol,
symbols, limit, order reference). The endpoint families (``market_data``, ``trading``,
``order_lists``, ``account``, ``wallet``) are mixins over ``ServiceBase``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tradeexec.binance.enums import SecurityType
from tradeexec.binance.rest.params import SYMBOL_LEGAL, is_symbol
from tradeexec.binance.rules.limits import DEFAULT_RECV_WINDOW, MAX_RECV_WINDOW, MAX_SYMBOLS
from tradeexec.sim.binance.operation import Operation
from tradeexec.sim.engine import EngineReject
from tradeexec.sim.params import ApiError, Params, illegal, mandatory
from tradeexec.sim.state import ApiAccount, SimState

API_KEY_RE = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
INVALID_SYMBOL = "Invalid symbol."
_SYMBOL_ITEM = SYMBOL_LEGAL[1:-1]
SYMBOLS_LEGAL = f'^\\[("{_SYMBOL_ITEM}"(,"{_SYMBOL_ITEM}"){{0,}}){{0,1}}\\]$'


class ServiceBase:
    """Dispatch, authentication and parameter helpers; ``Service`` sets ``state``."""

    state: SimState

    def call(self, op: Operation, params: Params, account: ApiAccount | None) -> Any:
        """Run one operation; the params must all have been read by it (-1104 otherwise)."""
        handler: Callable[[Params, ApiAccount | None], Any] = getattr(self, op.handler)
        return handler(params, account)

    def authenticate(
        self,
        security: SecurityType,
        api_key: str | None,
        payload: bytes,
        signature: str | None,
        params: Params,
        *,
        client_ip: str | None = None,
    ) -> ApiAccount | None:
        """Binance's checks, in Binance's order: key format (-2014), known key, IP and
        permissions (-2015), timestamp and recvWindow (-1102/-1021), signature (-1022).
        ``payload`` is exactly what was signed (query then body, no separator, signature
        removed). Returns None for NONE security when no key was sent."""
        if not security.needs_key:
            return None
        if not api_key or not API_KEY_RE.match(api_key):
            raise ApiError(-2014, "API-key format invalid.", 401)
        account = self.state.keys.get(api_key)
        if account is None or not account.permissions.ip_allowed(client_ip):
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        if not security.signed:
            return account
        params.mark_read("signature")
        if not signature:
            raise mandatory("signature")
        self.check_timestamp(params)
        if not account.verifier.verify(payload, signature):
            raise ApiError(-1022, "Signature for this request is not valid.")
        self.check_permission(account, security)
        return account

    def check_timestamp(self, params: Params) -> None:
        """The recvWindow rule: ``timestamp < serverTime + 1000`` and
        ``serverTime - timestamp <= recvWindow`` (recvWindow may carry microseconds)."""
        raw_window = params.get("recvWindow")
        window = DEFAULT_RECV_WINDOW
        if raw_window is not None:
            if not re.fullmatch(r"[0-9]{1,20}(\.[0-9]{1,3})?", raw_window):
                raise illegal("recvWindow", "^[0-9]{1,20}(\\.[0-9]{1,3})?$")
            window = Decimal(raw_window)
            if window > MAX_RECV_WINDOW:
                # -1131 (BAD_RECV_WINDOW) left Binance's error list; this is its current answer.
                raise ApiError(
                    -1102,
                    f"'recvWindow' contains unexpected value. Cannot be greater than {MAX_RECV_WINDOW}.",
                )
        raw_ts = params.get("timestamp")
        if raw_ts is None or not re.fullmatch(r"[0-9]{1,20}", raw_ts):
            raise mandatory("timestamp")
        timestamp = int(raw_ts)
        now = self.state.now_ms()
        if timestamp >= now + 1000:
            raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - timestamp > window:
            raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")

    def check_permission(self, account: ApiAccount, security: SecurityType) -> None:
        perms = account.permissions
        if (security is SecurityType.TRADE and not perms.enable_spot_trading) or not perms.enable_reading:
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)

    def _symbol(self, p: Params, name: str = "symbol") -> str:
        symbol = p.symbol(name)
        assert symbol is not None
        if symbol not in self.state.symbol_info:
            raise ApiError(-1121, INVALID_SYMBOL)
        return symbol

    def _opt_symbol(self, p: Params) -> str | None:
        if p.get("symbol") is None:
            return None
        return self._symbol(p)

    def _symbols(self, p: Params) -> list[str] | None:
        """``symbol`` or ``symbols`` (a JSON array); None when neither was sent."""
        one = p.get("symbol")
        many = p.get("symbols")
        if one is not None and many is not None:
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        if one is not None:
            return [self._symbol(p)]
        if many is None:
            return None
        names = _symbol_list(many)
        if names is None:
            raise illegal("symbols", SYMBOLS_LEGAL)
        if len(names) > MAX_SYMBOLS:
            raise ApiError(
                -1101, f"Too many values sent for parameter 'symbols', maximum allowed up to {MAX_SYMBOLS}."
            )
        for name in names:
            if name not in self.state.symbol_info:
                raise ApiError(-1121, INVALID_SYMBOL)
        return list(dict.fromkeys(names))

    def _limit(self, p: Params, default: int, maximum: int) -> int:
        return read_limit(p, default, maximum)

    def _order_ref(self, p: Params) -> tuple[int | None, str | None]:
        order_id = p.integer("orderId")
        orig = p.get("origClientOrderId")
        if order_id is None and orig is None:
            raise ApiError(
                -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
            )
        return order_id, orig

    @staticmethod
    def _engine(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except EngineReject as exc:
            raise ApiError(exc.code, exc.msg) from None

    def _now(self) -> int:
        return self.state.now_ms()


def _symbol_list(raw: str) -> list[str] | None:
    """A JSON array of well-formed symbols (spaces between items allowed), or None."""
    try:
        names = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) and is_symbol(n) for n in names):
        return None
    return names


def read_limit(p: Params, default: int, maximum: int) -> int:
    """``limit``: ``default`` when absent, at most ``maximum``, -1100 when not positive."""
    limit = p.integer("limit")
    if limit is None:
        return default
    if limit <= 0:
        raise illegal("limit", "^[0-9]{1,20}$")
    return min(limit, maximum)
