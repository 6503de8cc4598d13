"""The USDT-M futures REST surface under ``/fapi`` (same server and port as spot): the table
of operations, and the public market data handlers. Signed handlers are in
``futures_private``; both are mixins of ``service.Service`` over the state's
``FuturesEngine``. Authentication, signatures, rate-limit headers and the error shape are the
spot side's (``dispatch.ServiceBase``, ``server.RestRoutes``): imported, not copied."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeexec.binance.enums import SecurityType
from tradeexec.binance.models import Kline
from tradeexec.binance.models.futures_market import FuturesBookTicker, FuturesPriceTicker, PremiumIndex
from tradeexec.sim.binance import views
from tradeexec.sim.binance.dispatch import ServiceBase
from tradeexec.sim.binance.futures_views import wire
from tradeexec.sim.binance.market_data import kline_rows
from tradeexec.sim.binance.operation import Operation
from tradeexec.sim.futures import FuturesEngine
from tradeexec.sim.params import ApiError, Params
from tradeexec.sim.state import ApiAccount

INTEREST_RATE = Decimal("0.00010000")
_SIGNING = ("timestamp", "recvWindow", "signature")


def futures_operations() -> tuple[Operation, ...]:
    """Every ``/fapi`` endpoint served, for ``service.OPERATIONS``."""
    n, t, u = SecurityType.NONE, SecurityType.TRADE, SecurityType.USER_DATA
    k = SecurityType.USER_STREAM
    return (
        Operation("f_ping", "GET", "/fapi/v1/ping", n, 1),
        Operation("f_time", "GET", "/fapi/v1/time", n, 1),
        Operation("futures_exchange_info", "GET", "/fapi/v1/exchangeInfo", n, 1),
        Operation("f_depth", "GET", "/fapi/v1/depth", n, 5),
        Operation("f_trades", "GET", "/fapi/v1/trades", n, 5),
        Operation("f_klines", "GET", "/fapi/v1/klines", n, 5),
        Operation("f_premium_index", "GET", "/fapi/v1/premiumIndex", n, 1),
        Operation("f_ticker_price", "GET", "/fapi/v1/ticker/price", n, 1),
        Operation("f_ticker_price", "GET", "/fapi/v2/ticker/price", n, 1),
        Operation("f_book_ticker", "GET", "/fapi/v1/ticker/bookTicker", n, 2),
        Operation("f_new_order", "POST", "/fapi/v1/order", t, 0),
        Operation("f_get_order", "GET", "/fapi/v1/order", u, 1),
        Operation("f_cancel_order", "DELETE", "/fapi/v1/order", t, 1),
        Operation("f_cancel_all", "DELETE", "/fapi/v1/allOpenOrders", t, 1),
        Operation("f_open_orders", "GET", "/fapi/v1/openOrders", u, 1),
        Operation("f_all_orders", "GET", "/fapi/v1/allOrders", u, 5),
        Operation("f_user_trades", "GET", "/fapi/v1/userTrades", u, 5),
        Operation("f_leverage", "POST", "/fapi/v1/leverage", t, 1),
        Operation("f_margin_type", "POST", "/fapi/v1/marginType", t, 1),
        Operation("f_set_dual", "POST", "/fapi/v1/positionSide/dual", t, 1),
        Operation("f_get_dual", "GET", "/fapi/v1/positionSide/dual", u, 30),
        Operation("f_leverage_bracket", "GET", "/fapi/v1/leverageBracket", u, 1),
        Operation("f_symbol_config", "GET", "/fapi/v1/symbolConfig", u, 5),
        Operation("f_commission_rate", "GET", "/fapi/v1/commissionRate", u, 20),
        Operation("f_account", "GET", "/fapi/v3/account", u, 5),
        Operation("f_account", "GET", "/fapi/v2/account", u, 5),
        Operation("f_balance", "GET", "/fapi/v3/balance", u, 5),
        Operation("f_balance", "GET", "/fapi/v2/balance", u, 5),
        Operation("f_position_risk", "GET", "/fapi/v3/positionRisk", u, 5),
        Operation("f_position_risk", "GET", "/fapi/v2/positionRisk", u, 5),
        Operation("f_income", "GET", "/fapi/v1/income", u, 30),
        Operation("f_new_algo", "POST", "/fapi/v1/algoOrder", t, 0),
        Operation("f_cancel_algo", "DELETE", "/fapi/v1/algoOrder", t, 1),
        Operation("f_get_algo", "GET", "/fapi/v1/algoOrder", u, 1),
        Operation("f_open_algos", "GET", "/fapi/v1/openAlgoOrders", u, 1),
        Operation("f_listen_key_create", "POST", "/fapi/v1/listenKey", k, 1),
        Operation("f_listen_key_keepalive", "PUT", "/fapi/v1/listenKey", k, 1),
        Operation("f_listen_key_close", "DELETE", "/fapi/v1/listenKey", k, 1),
    )


class FuturesBase(ServiceBase):
    """What both futures mixins share: the futures engine and the symbol parameter."""

    def call(self, op: Operation, params: Params, account: ApiAccount | None) -> Any:
        """Every /fapi request first brings the futures side up to the server's clock (funding
        times passed), so that what it reads or changes is as of now."""
        if op.path.startswith("/fapi/"):
            if not self.serves_futures and op.handler != "futures_exchange_info":
                raise ApiError(-1020, "This operation is not supported.", 404)
            self.state.futures.catch_up(self._now())
        return super().call(op, params, account)

    @property
    def serves_futures(self) -> bool:
        return "futures" in self.state.config.products

    @property
    def futures(self) -> FuturesEngine:
        return self.state.futures

    def _fsymbol(self, p: Params) -> str:
        symbol = p.symbol("symbol")
        assert symbol is not None
        if symbol not in self.futures.contracts:
            raise ApiError(-1121, "Invalid symbol.")
        return symbol

    def _opt_fsymbol(self, p: Params) -> str | None:
        return None if p.get("symbol") is None else self._fsymbol(p)


class FuturesPublicOps(FuturesBase):
    def f_ping(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        return {}

    def f_time(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        p.ensure_all_read()
        return {"serverTime": self._now()}

    def futures_exchange_info(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        p.mark_read(*_SIGNING)
        p.ensure_all_read()
        return {
            "timezone": "UTC",
            "serverTime": self._now(),
            "futuresType": "U_MARGINED",
            "rateLimits": self.state.futures_limiter.rate_limits(),  # what it enforces
            "exchangeFilters": [],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
            "symbols": [c.info() for c in self.futures.contracts.values()] if self.serves_futures else [],
        }

    def delivery_exchange_info(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        """COIN-M is not served: an exchangeInfo without symbols, as for an empty product."""
        p.mark_read("symbol", *_SIGNING)
        p.ensure_all_read()
        return {
            "timezone": "UTC",
            "serverTime": self._now(),
            "rateLimits": [],
            "exchangeFilters": [],
            "symbols": [],
        }

    def f_depth(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        symbol = self._fsymbol(p)
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        snap = self.futures.engine.depth(symbol, limit)
        now = self._now()
        return {
            "lastUpdateId": snap.last_update_id,
            "E": now,
            "T": now,
            "bids": [[views.dec(p), views.dec(q)] for p, q in snap.bids],
            "asks": [[views.dec(p), views.dec(q)] for p, q in snap.asks],
        }

    def f_trades(self, p: Params, _: ApiAccount | None) -> list[dict[str, Any]]:
        symbol = self._fsymbol(p)
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        return [
            {
                "id": t.trade_id,
                "price": format(t.price, "f"),
                "qty": format(t.qty, "f"),
                "quoteQty": format(t.quote_qty, "f"),
                "time": t.time,
                "isBuyerMaker": t.is_buyer_maker,
            }
            for t in self.futures.engine.recent_trades(symbol, limit)
        ]

    def f_klines(self, p: Params, _: ApiAccount | None) -> list[Kline]:
        return kline_rows(self.futures.tape, self._fsymbol(p), p, self._now(), max_limit=1500)

    def premium_index(self, symbol: str) -> PremiumIndex:
        """Mark, index and funding now: the REST answer and the markPrice stream's event."""
        now = self._now()
        mark = self.futures.mark_price(symbol)
        return PremiumIndex(
            symbol=symbol,
            mark_price=mark,
            index_price=self.futures.index_price(symbol),
            estimated_settle_price=mark,
            last_funding_rate=self.futures.funding_rate(symbol),
            interest_rate=INTEREST_RATE,
            next_funding_time=self.futures.funding.next_time(symbol, now),
            time=now,
        )

    def f_premium_index(self, p: Params, _: ApiAccount | None) -> Any:
        symbol = self._opt_fsymbol(p)
        p.ensure_all_read()
        if symbol is not None:
            return wire(self.premium_index(symbol))
        return wire([self.premium_index(s) for s in self.futures.contracts])

    def _fprice(self, symbol: str) -> FuturesPriceTicker:
        last = self.futures.engine.last_price(symbol)
        return FuturesPriceTicker(
            symbol=symbol,
            price=last if last is not None else self.futures.mark_price(symbol),
            time=self._now(),
        )

    def f_ticker_price(self, p: Params, _: ApiAccount | None) -> Any:
        symbol = self._opt_fsymbol(p)
        p.ensure_all_read()
        if symbol is not None:
            return wire(self._fprice(symbol))
        return wire([self._fprice(s) for s in self.futures.contracts])

    def _fbook(self, symbol: str) -> FuturesBookTicker:
        engine = self.futures.engine
        bid, bid_qty, ask, ask_qty = engine.book_ticker(symbol)
        return FuturesBookTicker(
            symbol=symbol,
            bid_price=bid,
            bid_qty=bid_qty,
            ask_price=ask,
            ask_qty=ask_qty,
            time=self._now(),
            last_update_id=engine.last_update_id(symbol),
        )

    def f_book_ticker(self, p: Params, _: ApiAccount | None) -> Any:
        symbol = self._opt_fsymbol(p)
        p.ensure_all_read()
        if symbol is not None:
            return wire(self._fbook(symbol))
        return wire([self._fbook(s) for s in self.futures.contracts])
