"""What each WebSocket API endpoint of the local exchange serves: spot's ``/ws-api/v3`` and
USDⓈ-M futures' ``/ws-fapi/v1`` (Binance's ``ws-fapi`` host). Both run the same session
machinery (``ws_api.py``) over the shared ``Service``; a product names its methods (each the
twin of a REST operation), which session methods it has, which methods place or execute
orders, and whose rate budget it draws on (futures requests count against the futures
limiter, shared with ``/fapi`` REST, as Binance documents: "same as REST, shared with it")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tradeexec.sim.binance.operation import Operation
from tradeexec.sim.limits import RateLimitEnforcer
from tradeexec.sim.state import SimState

SPOT_SESSION = frozenset({
    "session.logon", "session.status", "session.logout", "session.subscriptions",
    "userDataStream.subscribe", "userDataStream.subscribe.signature", "userDataStream.unsubscribe",
    "userDataStream.start", "userDataStream.ping", "userDataStream.stop",
})  # fmt: skip
SPOT_ORDERS = frozenset({"order.place", "order.cancelReplace", "orderList.place", "orderList.place.oco"})
SPOT_EXECUTING = frozenset({
    "order.place", "order.cancel", "order.cancelReplace", "openOrders.cancelAll",
    "orderList.place", "orderList.place.oco", "orderList.cancel",
})  # fmt: skip

# USDⓈ-M futures WebSocket API methods and the REST operation each mirrors (the "Trade" and
# "Account" pages' WebSocket API sections; ``v2/`` names the older answer shapes).
FUTURES_METHODS: Mapping[str, tuple[str, str]] = {
    "order.place": ("POST", "/fapi/v1/order"),
    "order.modify": ("PUT", "/fapi/v1/order"),
    "order.cancel": ("DELETE", "/fapi/v1/order"),
    "order.status": ("GET", "/fapi/v1/order"),
    "account.status": ("GET", "/fapi/v3/account"),
    "v2/account.status": ("GET", "/fapi/v2/account"),
    "account.balance": ("GET", "/fapi/v3/balance"),
    "v2/account.balance": ("GET", "/fapi/v2/balance"),
    "account.position": ("GET", "/fapi/v3/positionRisk"),
    "v2/account.position": ("GET", "/fapi/v2/positionRisk"),
}
FUTURES_SESSION = frozenset({"session.logon", "session.status", "session.logout"})
FUTURES_ORDERS = frozenset({"order.place", "order.modify"})
FUTURES_EXECUTING = frozenset({"order.place", "order.modify", "order.cancel"})


@dataclass(frozen=True, slots=True)
class WsProduct:
    path: str
    methods: Mapping[str, Operation]
    session_methods: frozenset[str]
    order_methods: frozenset[str]
    executing: frozenset[str]
    futures: bool

    def limiter(self, state: SimState) -> RateLimitEnforcer:
        return state.futures_limiter if self.futures else state.limiter


def spot_product(by_ws_method: Mapping[str, Operation]) -> WsProduct:
    return WsProduct("/ws-api/v3", by_ws_method, SPOT_SESSION, SPOT_ORDERS, SPOT_EXECUTING, futures=False)


def futures_product(by_route: Mapping[tuple[str, str], Operation]) -> WsProduct:
    methods = {name: by_route[route] for name, route in FUTURES_METHODS.items()}
    return WsProduct("/ws-fapi/v1", methods, FUTURES_SESSION, FUTURES_ORDERS, FUTURES_EXECUTING, futures=True)
