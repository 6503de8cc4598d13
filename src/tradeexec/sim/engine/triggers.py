"""Stop orders (STOP_LOSS / TAKE_PROFIT, with or without limit, trailing): arming them,
watching trade prices, and firing them into the matching loop once the price crosses."""

from __future__ import annotations

from decimal import Decimal
from heapq import heappop, heappush

from tradeexec.binance.enums import ExecutionType, OrderStatus, OrderType, Side
from tradeexec.sim.engine.core import ZERO, LiveOrder, SymbolBook
from tradeexec.sim.engine.matching import Matching

_BIPS = Decimal(10_000)


def fires_on_rise(order_type: OrderType, side: Side) -> bool:
    """STOP_LOSS BUY and TAKE_PROFIT SELL wait for the price to rise to the stop price; the
    other two wait for it to fall."""
    return (order_type in (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT)) == (side is Side.BUY)


def stop_hit(order_type: OrderType, side: Side, stop: Decimal, price: Decimal) -> bool:
    return price >= stop if fires_on_rise(order_type, side) else price <= stop


class Triggers(Matching):
    """Adds stop orders: arm, watch trade prices, fire into the matching loop."""

    def _arm(self, st: SymbolBook, live: LiveOrder) -> None:
        order = live.order
        if order.trailing_delta is not None:
            st.trailing[order.order_id] = live
            if not order.stop_price and st.last_price is not None:
                self._activate(live, st.last_price)
        elif fires_on_rise(order.type, order.side):
            heappush(st.stops_up, (order.stop_price, order.order_id))
        else:
            heappush(st.stops_down, (-order.stop_price, order.order_id))

    def _activate(self, live: LiveOrder, price: Decimal) -> None:
        live.activated = True
        live.extreme = price
        live.order.trailing_time = self._now

    def _settle(self, st: SymbolBook) -> None:
        """Shows every new trade price to the waiting stop orders and runs those it triggers;
        their trades are shown in turn. Each stop triggers at most once, so this ends."""
        if not (st.stops_up or st.stops_down or st.trailing):
            st.new_prices.clear()  # nothing waits for a price (the common case: no call below)
            return
        while st.new_prices:
            prices, st.new_prices = st.new_prices, []
            fired: list[LiveOrder] = []
            for price in prices:
                fired.extend(self._fired_by(st, price))
            for live in fired:
                self._trigger(st, live)

    def _fired_by(self, st: SymbolBook, price: Decimal) -> list[LiveOrder]:
        fired: list[LiveOrder] = []
        live_orders = st.live
        up, down = st.stops_up, st.stops_down
        while up and up[0][0] <= price:
            live = live_orders.get(heappop(up)[1])
            if live is not None and not live.triggered:
                fired.append(live)
        while down and -down[0][0] >= price:
            live = live_orders.get(heappop(down)[1])
            if live is not None and not live.triggered:
                fired.append(live)
        if st.trailing:
            for order_id, live in list(st.trailing.items()):
                if order_id not in live_orders or live.triggered:
                    del st.trailing[order_id]
                elif self._trails_out(live, price):
                    del st.trailing[order_id]
                    fired.append(live)
        if len(fired) > 1:
            fired.sort(key=lambda lv: lv.order.order_id)
        return fired

    def _trails_out(self, live: LiveOrder, price: Decimal) -> bool:
        """Trailing stop: tracks the best price since activation and fires when the price
        comes back by trailingDelta BIPS from it."""
        order = live.order
        if not live.activated:
            if not order.stop_price or stop_hit(order.type, order.side, order.stop_price, price):
                self._activate(live, price)
            return False
        assert order.trailing_delta is not None
        delta = order.trailing_delta / _BIPS
        if order.side is Side.SELL:
            if price > live.extreme:
                live.extreme = price
                return False
            return price <= live.extreme * (1 - delta)
        if price < live.extreme:
            live.extreme = price
            return False
        return price >= live.extreme * (1 + delta)

    def _trigger(self, st: SymbolBook, live: LiveOrder) -> None:
        order = live.order
        if live.triggered or order.order_id not in st.live:
            return
        live.triggered = True
        order.is_working = True
        order.working_time = order.update_time = self._now
        self._emit(live, ExecutionType.NEW)
        oco = live.oco
        if oco is not None and oco.executing:
            other = oco.limit
            live.lock, other.lock = live.lock + other.lock, ZERO
            self._finish_list(oco, expire=other)
            self._release_excess(st, live)
        plan = self._plan(
            st, order.account, order.side, limit=live.limit_price, qty=live.remaining, stp=order.stp_mode
        )
        if (
            order.side is Side.BUY
            and live.limit_price is None
            and plan.cost > self._ledger.free(order.account, st.spec.quote_asset)
        ):
            self._expire(st, live, OrderStatus.EXPIRED)
            return
        self._execute(st, live, plan)
