"""Typed USDT-M account calls of today's documentation: the v3 account and positionRisk,
notional/leverage brackets, the income history and the symbol configuration, decoded into
the structs the local exchange encodes with (``models.futures_positions``, ``models.futures_market``).

v3 is what Binance documents now: positionRisk v3 lists only symbols with a position or open
orders, and the v3 account drops the permission flags of v2.
"""

from __future__ import annotations

from tradeexec.binance.models.futures_market import SymbolLeverageBrackets
from tradeexec.binance.models.futures_positions import (
    FuturesAccountV3,
    FuturesIncome,
    FuturesSymbolConfig,
    PositionRiskV3,
)
from tradeexec.binance.rest.api import RecvWindow, RestApi
from tradeexec.binance.rest.params import check_symbol, opt_limit, opt_time
from tradeexec.errors import InvalidParameter

__all__ = ["INCOME_TYPES", "FuturesAccountApi"]

# The incomeType values of "Get Income History".
INCOME_TYPES = frozenset(
    {
        "TRANSFER",
        "WELCOME_BONUS",
        "REALIZED_PNL",
        "FUNDING_FEE",
        "COMMISSION",
        "INSURANCE_CLEAR",
        "REFERRAL_KICKBACK",
        "COMMISSION_REBATE",
        "API_REBATE",
        "CONTEST_REWARD",
        "CROSS_COLLATERAL_TRANSFER",
        "OPTIONS_PREMIUM_FEE",
        "OPTIONS_SETTLE_PROFIT",
        "INTERNAL_TRANSFER",
        "AUTO_EXCHANGE",
        "DELIVERED_SETTELMENT",
        "COIN_SWAP_DEPOSIT",
        "COIN_SWAP_WITHDRAW",
        "POSITION_LIMIT_INCREASE_FEE",
        "STRATEGY_UMFUTURES_TRANSFER",
        "FEE_RETURN",
        "BFUSD_REWARD",
    }
)


def _opt_symbol(symbol: str | None) -> str | None:
    return None if symbol is None else check_symbol(symbol)


class FuturesAccountApi(RestApi):
    async def futures_account_v3(self, *, recv_window: RecvWindow = None) -> FuturesAccountV3:
        return await self.request("GET", "/fapi/v3/account", model=FuturesAccountV3, recv_window=recv_window)

    async def futures_position_risk_v3(
        self, symbol: str | None = None, *, recv_window: RecvWindow = None
    ) -> list[PositionRiskV3]:
        """Open positions (and symbols with open orders); a flat symbol is absent."""
        return await self.request(
            "GET",
            "/fapi/v3/positionRisk",
            {"symbol": _opt_symbol(symbol)},
            model=list[PositionRiskV3],
            recv_window=recv_window,
        )

    async def futures_symbol_config(
        self, symbol: str | None = None, *, recv_window: RecvWindow = None
    ) -> list[FuturesSymbolConfig]:
        """The account's margin type, leverage and maximum notional per symbol (every symbol,
        or one): what positionRisk v3 no longer says, set here or anywhere else (the web UI,
        another program)."""
        return await self.request(
            "GET",
            "/fapi/v1/symbolConfig",
            {"symbol": _opt_symbol(symbol)},
            model=list[FuturesSymbolConfig],
            recv_window=recv_window,
        )

    async def futures_leverage_brackets(
        self, symbol: str | None = None, *, recv_window: RecvWindow = None
    ) -> list[SymbolLeverageBrackets]:
        """Every symbol's brackets, or one symbol's: Binance answers that case with a single
        object, returned here as a one-element list so the shape never depends on the call."""
        if symbol is None:
            return await self.request(
                "GET", "/fapi/v1/leverageBracket", model=list[SymbolLeverageBrackets], recv_window=recv_window
            )
        one = await self.request(
            "GET",
            "/fapi/v1/leverageBracket",
            {"symbol": check_symbol(symbol)},
            model=SymbolLeverageBrackets,
            recv_window=recv_window,
        )
        return [one]

    async def futures_income(
        self,
        symbol: str | None = None,
        *,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[FuturesIncome]:
        """Realized PnL, commissions, funding fees and the rest, oldest first (default 100
        rows, at most 1000)."""
        if income_type is not None and income_type not in INCOME_TYPES:
            raise InvalidParameter("incomeType", "one of Binance's income types", repr(income_type))
        start, end = opt_time("startTime", start_time), opt_time("endTime", end_time)
        if start is not None and end is not None and start > end:
            raise InvalidParameter("startTime", "must not be after endTime", f"{start} > {end}")
        params = {
            "symbol": _opt_symbol(symbol),
            "incomeType": income_type,
            "startTime": start,
            "endTime": end,
            "limit": opt_limit(limit, 1000),
        }
        return await self.request(
            "GET", "/fapi/v1/income", params, model=list[FuturesIncome], recv_window=recv_window
        )
