"""Typed USDT-M calls the execution layer and the CLI need beside ``futures.py``: the
account's position mode (one-way or hedge), cancel-all, and the order and trade history.

Kept apart from ``futures.py`` so that each file stays one job: these are what an emergency
stop and a reconciliation read (the history, with each fill's realized PnL and commission)
and the account-wide switches a trader sets once.
"""

from __future__ import annotations

from tradeexec.binance.models.futures import FuturesOrder
from tradeexec.binance.models.futures_market import PositionModeResponse
from tradeexec.binance.models.futures_positions import FuturesTrade
from tradeexec.binance.rest.api import RecvWindow, RestApi
from tradeexec.binance.rest.params import check_symbol, opt_limit, opt_order_id, opt_time
from tradeexec.errors import InvalidParameter

__all__ = ["FuturesTradingApi"]


def _history(
    symbol: str, order_id: int | None, start_time: int | None, end_time: int | None, limit: int | None
) -> dict[str, object]:
    """The parameters allOrders and userTrades share, checked (default 500 rows, max 1000)."""
    start, end = opt_time("startTime", start_time), opt_time("endTime", end_time)
    if start is not None and end is not None and start > end:
        raise InvalidParameter("startTime", "must not be after endTime", f"{start} > {end}")
    return {
        "symbol": check_symbol(symbol),
        "orderId": opt_order_id("orderId", order_id),
        "startTime": start,
        "endTime": end,
        "limit": opt_limit(limit, 1000),
    }


class FuturesTradingApi(RestApi):
    async def futures_position_mode(self, *, recv_window: RecvWindow = None) -> bool:
        """True in hedge mode (LONG and SHORT legs apart), False in one-way mode."""
        answer = await self.request(
            "GET", "/fapi/v1/positionSide/dual", model=PositionModeResponse, recv_window=recv_window
        )
        return answer.dual_side_position

    async def futures_change_position_mode(self, dual: bool, *, recv_window: RecvWindow = None) -> None:
        """Switch the whole account between hedge (``dual``) and one-way mode; the exchange
        refuses it while any symbol has a position or an open order."""
        if not isinstance(dual, bool):
            raise InvalidParameter("dualSidePosition", "must be true or false", repr(dual))
        params = {"dualSidePosition": "true" if dual else "false"}
        await self.request("POST", "/fapi/v1/positionSide/dual", params, recv_window=recv_window)

    async def futures_cancel_all_orders(self, symbol: str, *, recv_window: RecvWindow = None) -> None:
        """Cancel every open (plain) order of ``symbol``; its conditional orders are the Algo
        Service's and stay. The exchange answers with a code, not the orders."""
        await self.request(
            "DELETE", "/fapi/v1/allOpenOrders", {"symbol": check_symbol(symbol)}, recv_window=recv_window
        )

    async def futures_all_orders(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[FuturesOrder]:
        """Orders of ``symbol``, open and closed, from ``order_id`` on (default 500, max 1000)."""
        params = _history(symbol, order_id, start_time, end_time, limit)
        return await self.request(
            "GET", "/fapi/v1/allOrders", params, model=list[FuturesOrder], recv_window=recv_window
        )

    async def futures_user_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        recv_window: RecvWindow = None,
    ) -> list[FuturesTrade]:
        """The account's fills in ``symbol`` with their realized PnL and commission, oldest
        first (default 500, max 1000); ``order_id`` keeps one order's."""
        params = {
            **_history(symbol, order_id, start_time, end_time, limit),
            "fromId": opt_order_id("fromId", from_id),
        }
        return await self.request(
            "GET", "/fapi/v1/userTrades", params, model=list[FuturesTrade], recv_window=recv_window
        )
