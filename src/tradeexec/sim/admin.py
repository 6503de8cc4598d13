"""Operator controls of the local exchange (never reachable through Binance's paths):
move prices, add liquidity, fund accounts, reset, and read raw state for tests.

Prices move by trading, not by decree: ``set_price`` prints a trade at the price from an
internal account, so every market-data consumer (tickers, klines, PERCENT_PRICE filters,
streams) sees the same move a real trade would cause.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradeexec.binance.enums import OrderType, SelfTradePreventionMode, Side, TimeInForce
from tradeexec.binance.models.wire import wire_builtins
from tradeexec.sim.binance import views
from tradeexec.sim.engine import OrderRecord, OrderRequest

if TYPE_CHECKING:
    from tradeexec.sim.state import SimState

ADMIN_ACCOUNT = "__sim_admin__"
_ADMIN_FUNDS = Decimal("1000000000000")


class SimAdmin:
    def __init__(self, state: SimState) -> None:
        self.state = state

    def _admin(self) -> str:
        """The internal account that provides liquidity; funded without limit."""
        st = self.state
        if ADMIN_ACCOUNT not in st.accounts:
            assets = {a for i in st.symbol_info.values() for a in (i["baseAsset"], i["quoteAsset"])}
            st.add_account(
                ADMIN_ACCOUNT,
                dict.fromkeys(sorted(assets), _ADMIN_FUNDS),
                maker_commission=Decimal(0),
                taker_commission=Decimal(0),
            )
        return ADMIN_ACCOUNT

    def _step(self, symbol: str) -> Decimal:
        lot = self.state.rules[symbol].lot_size
        return lot.step_size if lot is not None and lot.step_size > 0 else Decimal("0.00000001")

    def add_liquidity(
        self, symbol: str, side: Side | str, price: Decimal, quantity: Decimal, *, account: str | None = None
    ) -> OrderRecord:
        """A resting GTC LIMIT order (filters not applied: the operator may place anything)."""
        acct = account or self._admin()
        now = self.state.now_ms()
        result = self.state.engine.place(
            acct,
            OrderRequest(
                symbol,
                Side(side),
                OrderType.LIMIT,
                quantity=quantity,
                price=price,
                time_in_force=TimeInForce.GTC,
            ),
            now,
        )
        self.state.publish(result.events)
        return result.order

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Print one minimum-size trade at ``price``: a resting admin sell, then an admin IOC
        buy against it (self-trade allowed). A better resting ask would be hit instead."""
        acct = self._admin()
        qty = self._step(symbol)
        now = self.state.now_ms()
        engine = self.state.engine
        for side, tif in ((Side.SELL, TimeInForce.GTC), (Side.BUY, TimeInForce.IOC)):
            result = engine.place(
                acct,
                OrderRequest(
                    symbol,
                    side,
                    OrderType.LIMIT,
                    quantity=qty,
                    price=price,
                    time_in_force=tif,
                    stp_mode=SelfTradePreventionMode.NONE,
                ),
                now,
            )
            self.state.publish(result.events)

    def deposit(self, account: str, asset: str, amount: Decimal) -> None:
        self.state.publish(self.state.engine.deposit(account, asset, amount, self.state.now_ms()))

    def cancel_all(self, account: str | None = None) -> int:
        """Cancel every open order of ``account`` (default: the admin's liquidity)."""
        acct = account or self._admin()
        count = 0
        for symbol in self.state.symbol_info:
            orders, events = self.state.engine.cancel_all(acct, symbol, self.state.now_ms())
            self.state.publish(events)
            count += len(orders)
        return count

    def snapshot(self, account: str | None = None) -> dict[str, Any]:
        """Balances and open orders of an account (default: the first configured one)."""
        acct = account or self.state.accounts[0]
        balances = self.state.engine.balances(acct)
        return {
            "account": acct,
            "balances": {
                a: {"free": views.dec(b.free), "locked": views.dec(b.locked)}
                for a, b in sorted(balances.items())
            },
            "openOrders": [wire_builtins(views.order_query(o)) for o in self.state.engine.open_orders(acct)],
        }
