"""The matching loop: plan what a taker would match (FOK, balance and self-trade prevention
decided before the first change), then execute it fill by fill against the book."""

from __future__ import annotations

from collections import deque
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from tradeexec.binance.enums import ExecutionType, OrderStatus, SelfTradePreventionMode, Side, TimeInForce
from tradeexec.sim.engine.core import DEFAULT_RATES, ZERO, EngineCore, LiveOrder, SymbolBook
from tradeexec.sim.engine.events import ExecutionEvent, TradePrintEvent
from tradeexec.sim.engine.records import Fill, TradePrint

TRADE = ExecutionType.TRADE
FILLED, PARTIALLY_FILLED = OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED


class MatchPlan:
    """What a taker would match, computed without changing anything so that FOK, balance and
    STP decisions are taken before the first change. A step with quantity 0 expires the maker
    (self-trade prevention)."""

    __slots__ = ("cost", "filled", "prevented", "quote_spent", "steps")

    def __init__(self) -> None:
        self.steps: list[tuple[LiveOrder, Decimal, Decimal]] = []
        self.filled = ZERO
        self.cost = ZERO
        self.prevented = False
        self.quote_spent = False


class Matching(EngineCore):
    """Adds the matching loop: plan a taker's matches, then execute them fill by fill."""

    def _plan(
        self,
        st: SymbolBook,
        account: str,
        side: Side,
        *,
        limit: Decimal | None,
        qty: Decimal | None,
        quote: Decimal | None = None,
        stp: SelfTradePreventionMode,
    ) -> MatchPlan:
        plan = MatchPlan()
        steps = plan.steps
        buy = side is Side.BUY
        book = st.opposite(side)
        step = st.step
        filled = cost = ZERO
        check_stp = stp is not SelfTradePreventionMode.NONE
        done = False
        for price in book.prices():
            if limit is not None and (price > limit if buy else price < limit):
                break
            # An iceberg's next slices: only allocated when an iceberg is used up at this level.
            refills: deque[tuple[LiveOrder, Decimal]] | None = None
            used: dict[int, Decimal] = {}  # quantity planned per iceberg at this level
            makers = iter(book.queue(price).values())
            while True:
                maker = next(makers, None)
                if maker is not None:
                    avail = maker.visible
                elif refills:
                    maker, avail = refills.popleft()
                else:
                    break
                if check_stp and maker.order.account == account:
                    if stp is not SelfTradePreventionMode.EXPIRE_TAKER:
                        steps.append((maker, ZERO, price))
                    if stp is not SelfTradePreventionMode.EXPIRE_MAKER:
                        plan.prevented = done = True
                        break
                    continue
                if quote is None:
                    assert qty is not None
                    q = min(qty - filled, avail)
                else:
                    q = min((quote - cost) // (price * step) * step, avail)
                    if q <= 0:
                        plan.quote_spent = done = True
                        break
                steps.append((maker, q, price))
                filled += q
                cost += q * price
                if q < avail or filled == qty:  # the quote amount or the quantity is used up
                    plan.quote_spent = quote is not None
                    done = True
                    break
                if q == avail and maker.order.iceberg_qty:
                    oid = maker.order.order_id
                    used[oid] = used.get(oid, ZERO) + q
                    hidden = maker.remaining - used[oid]
                    if hidden > 0:
                        if refills is None:
                            refills = deque()
                        refills.append((maker, min(maker.order.iceberg_qty, hidden)))
            if done:
                break
        plan.filled = filled
        plan.cost = cost
        if quote is not None and cost == quote:
            plan.quote_spent = True
        return plan

    def _execute(self, st: SymbolBook, live: LiveOrder, plan: MatchPlan) -> None:
        order = live.order
        priced = live.limit_price is not None
        if order.time_in_force is TimeInForce.FOK and priced and plan.filled < live.remaining:
            self._expire(st, live, OrderStatus.EXPIRED)
            return
        for maker, qty, price in plan.steps:
            if qty:
                self._fill(st, live, maker, qty, price)
            else:
                self._expire(st, maker, OrderStatus.EXPIRED_IN_MATCH)
                oco = maker.oco
                if oco is not None and oco.executing:
                    self._finish_list(oco, expire=oco.stop)
        if live.remaining > 0:
            if plan.prevented:
                self._expire(st, live, OrderStatus.EXPIRED_IN_MATCH)
            elif priced and order.time_in_force is TimeInForce.GTC:
                self._rest(st, live)
            else:
                self._expire(st, live, OrderStatus.EXPIRED)
        elif (order.orig_quote_order_qty and not plan.quote_spent) or order.orig_qty == 0:
            self._expire(st, live, OrderStatus.EXPIRED)
        else:
            self._close(st, live)

    def _fill(self, st: SymbolBook, taker: LiveOrder, maker: LiveOrder, qty: Decimal, price: Decimal) -> None:
        now = self._now
        spec = st.spec
        # Amounts that change hands are whole units of each asset's precision, as on Binance,
        # so balances never hold fractions of a unit the API could not show.
        quote = (price * qty).quantize(st.quote_unit, ROUND_DOWN)
        taker_order, maker_order = taker.order, maker.order
        taker_buys = taker_order.side is Side.BUY
        buyer, seller = (taker, maker) if taker_buys else (maker, taker)
        buyer_acct, seller_acct = buyer.order.account, seller.order.account
        rates, default = self._rates, DEFAULT_RATES
        buyer_fee = (qty * rates.get(buyer_acct, default)[1 if taker_buys else 0]).quantize(
            st.base_unit, ROUND_UP
        )
        seller_fee = (quote * rates.get(seller_acct, default)[0 if taker_buys else 1]).quantize(
            st.quote_unit, ROUND_UP
        )
        reserved: Decimal | None = None
        if buyer.limit_price is not None:
            reserved = buyer.limit_price * qty
            buyer.lock -= reserved
        seller.lock -= qty
        self._ledger.settle_trade(
            buyer_acct,
            seller_acct,
            spec.base_asset,
            spec.quote_asset,
            (qty, quote, reserved, buyer_fee, seller_fee),
        )

        trades = st.trades
        trade = TradePrint(
            len(trades) + 1,
            spec.symbol,
            price,
            qty,
            quote,
            now,
            buyer.order.order_id,
            seller.order.order_id,
            not taker_buys,
        )
        trades.append(trade)
        st.last_price = price
        st.new_prices.append(price)
        taker_fee, maker_fee = (buyer_fee, seller_fee) if taker_buys else (seller_fee, buyer_fee)
        taker_fill = self._record_fill(st, taker, trade, taker_fee, False)
        maker_fill = self._record_fill(st, maker, trade, maker_fee, True)
        if taker.fills is not None:
            taker.fills.append(taker_fill)

        maker.visible -= qty
        book = st.bids if maker_order.side is Side.BUY else st.asks
        book.reduce(price, qty)
        if maker.remaining == 0:
            book.remove(price, maker_order.order_id, ZERO)
            maker.in_book = False
            self._close(st, maker)
        elif maker.visible == 0:
            maker.visible = min(maker_order.iceberg_qty, maker.remaining)
            book.requeue(price, maker_order.order_id, maker.visible)
        events = self._events
        events.append(
            ExecutionEvent(
                taker_order.account, taker_order.snapshot(), TRADE, "NONE", taker_fill, "", "", now
            )
        )
        events.append(
            ExecutionEvent(
                maker_order.account, maker_order.snapshot(), TRADE, "NONE", maker_fill, "", "", now
            )
        )
        events.append(TradePrintEvent(trade))
        oco = maker.oco
        if oco is not None and oco.executing:
            self._finish_list(oco, expire=oco.stop)
            if maker.remaining:
                self._release_excess(st, maker)

    def _record_fill(
        self, st: SymbolBook, live: LiveOrder, trade: TradePrint, fee: Decimal, is_maker: bool
    ) -> Fill:
        order = live.order
        is_buyer = order.side is Side.BUY
        qty = trade.qty
        live.remaining -= qty
        order.executed_qty += qty
        order.cummulative_quote_qty += trade.quote_qty
        order.status = PARTIALLY_FILLED if live.remaining else FILLED
        order.update_time = trade.time
        fill = Fill(
            trade.trade_id,
            trade.price,
            qty,
            trade.quote_qty,
            fee,
            st.spec.base_asset if is_buyer else st.spec.quote_asset,
            is_maker,
            is_buyer,
            trade.time,
            order.order_id,
            order.account,
            order.symbol,
        )
        key = (order.account, order.symbol)
        fills = self._fills.get(key)
        if fills is None:
            fills = self._fills[key] = []
        fills.append(fill)
        return fill
