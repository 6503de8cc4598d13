"""The matching loop. A priced order that is not FOK (LIMIT GTC / IOC, LIMIT_MAKER) matches
as it walks the book (``_take``): everything decided before the first change (its balance is
price x quantity, whatever it meets) is known without looking at the book. The others plan
what they would match first (FOK, the balance of a MARKET order and its quote amount, a
triggered stop), then execute that plan (``_plan``, ``_execute``). Both walks hold to the same
price-time priority and self-trade prevention rules, and both fill through ``_fill``."""

from __future__ import annotations

from collections import deque
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from tradeexec.binance.enums import ExecutionType, OrderStatus, SelfTradePreventionMode, Side
from tradeexec.sim.engine.core import (
    BUY,
    DEFAULT_RATES,
    FOK,
    GTC,
    NO_STP,
    ZERO,
    EngineCore,
    LiveOrder,
    SymbolBook,
)
from tradeexec.sim.engine.events import new_execution_event, new_trade_print_event
from tradeexec.sim.engine.records import OrderRecord, new_fill, new_trade_print

TRADE = ExecutionType.TRADE
FILLED, PARTIALLY_FILLED = OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED
EXPIRE_TAKER, EXPIRE_MAKER = SelfTradePreventionMode.EXPIRE_TAKER, SelfTradePreventionMode.EXPIRE_MAKER
_new_object = object.__new__


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
    """Adds the matching loop: match a priced taker as it goes, or plan a taker's matches and
    execute them fill by fill."""

    def _take(self, st: SymbolBook, live: LiveOrder, stp: SelfTradePreventionMode) -> None:
        """Matches a priced, non-FOK taker against the book as it walks it, then rests or
        expires what is left. Same walk as ``_plan``: best price first, oldest order first
        within a level, an iceberg's next slice behind the level's other orders."""
        order = live.order
        account = order.account
        buy = order.side is BUY
        book = st.asks if buy else st.bids
        prices, levels = book.prices, book.levels
        limit = live.limit_price
        assert limit is not None
        check_stp = stp is not NO_STP
        prevented = False
        # What is left is worked out as the plan does (quantity less what filled so far, from
        # 0), so that each fill's quantity is the same Decimal, down to its exponent.
        qty, filled = live.remaining, ZERO
        while prices:
            price = prices[0] if buy else prices[-1]
            if price > limit if buy else price < limit:
                break
            level = levels[price]
            while level:
                maker = level[0]
                if check_stp and maker.order.account == account:
                    if stp is not EXPIRE_TAKER:
                        self._expire_maker(st, maker)
                    if stp is not EXPIRE_MAKER:
                        prevented = True
                        break
                    continue
                visible = maker.visible
                left = qty - filled
                if left <= visible:
                    self._fill(st, live, maker, left, price)
                    break
                self._fill(st, live, maker, visible, price)
                filled += visible
            if prevented or not live.remaining:
                break
        self._finish_taker(st, live, prevented, quote_spent=False)

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
        buy = side is BUY
        book = st.opposite(side)
        step = st.step
        filled = cost = ZERO
        check_stp = stp is not NO_STP
        done = False
        for price in book.ordered_prices():
            if limit is not None and (price > limit if buy else price < limit):
                break
            # An iceberg's next slices: only allocated when an iceberg is used up at this level.
            refills: deque[tuple[LiveOrder, Decimal]] | None = None
            used: dict[int, Decimal] = {}  # quantity planned per iceberg at this level
            makers = iter(book.queue(price))
            while True:
                maker = next(makers, None)
                if maker is not None:
                    avail = maker.visible
                elif refills:
                    maker, avail = refills.popleft()
                else:
                    break
                if check_stp and maker.order.account == account:
                    if stp is not EXPIRE_TAKER:
                        steps.append((maker, ZERO, price))
                    if stp is not EXPIRE_MAKER:
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
        fok = order.time_in_force is FOK and live.limit_price is not None
        if fok and plan.filled < live.remaining:
            self._expire(st, live, OrderStatus.EXPIRED)
            return
        for maker, qty, price in plan.steps:
            if qty:
                self._fill(st, live, maker, qty, price)
            else:
                self._expire_maker(st, maker)
        self._finish_taker(st, live, plan.prevented, quote_spent=plan.quote_spent)

    def _expire_maker(self, st: SymbolBook, maker: LiveOrder) -> None:
        """Self-trade prevention expires a resting order (and ends its OCO)."""
        self._expire(st, maker, OrderStatus.EXPIRED_IN_MATCH)
        oco = maker.oco
        if oco is not None and oco.executing:
            self._finish_list(oco, expire=oco.stop)

    def _finish_taker(self, st: SymbolBook, live: LiveOrder, prevented: bool, *, quote_spent: bool) -> None:
        """After matching: rest what a GTC order has left, expire what another has left."""
        order = live.order
        if live.remaining > 0:
            if prevented:
                self._expire(st, live, OrderStatus.EXPIRED_IN_MATCH)
            elif live.limit_price is not None and order.time_in_force is GTC:
                self._rest(st, live)
            else:
                self._expire(st, live, OrderStatus.EXPIRED)
        elif (order.orig_quote_order_qty and not quote_spent) or order.orig_qty == 0:
            self._expire(st, live, OrderStatus.EXPIRED)
        else:
            self._close(st, live)

    def _fill(
        self,
        st: SymbolBook,
        taker: LiveOrder,
        maker: LiveOrder,
        qty: Decimal,
        price: Decimal,
    ) -> None:
        """One trade of ``qty`` at ``price`` between the taker and the maker at the head of
        its level (the hot path of matching: everything inline but the two fill records)."""
        now = self._now
        # Amounts that change hands are whole units of each asset's precision, as on Binance,
        # so balances never hold fractions of a unit the API could not show.
        quote_unit = st.quote_unit
        quote = (price * qty).quantize(quote_unit, ROUND_DOWN)
        taker_order, maker_order = taker.order, maker.order
        taker_account, maker_account = taker_order.account, maker_order.account
        rates = self._rates
        taker_rate = rates.get(taker_account, DEFAULT_RATES)[1]
        maker_rate = rates.get(maker_account, DEFAULT_RATES)[0]
        taker_buys = taker_order.side is BUY
        if taker_buys:
            buyer, buyer_rate, seller, seller_rate, book = taker, taker_rate, maker, maker_rate, st.asks
        else:
            buyer, buyer_rate, seller, seller_rate, book = maker, maker_rate, taker, taker_rate, st.bids
        buyer_order = buyer.order
        buyer_fee = (qty * buyer_rate).quantize(st.base_unit, ROUND_UP)
        seller_fee = (quote * seller_rate).quantize(quote_unit, ROUND_UP)
        reserved: Decimal | None = None
        if buyer.limit_price is not None:
            reserved = buyer.limit_price * qty
            buyer.lock -= reserved
        seller.lock -= qty
        spec = st.spec
        self._ledger.settle_trade(
            buyer_order.account,
            seller.order.account,
            spec.base_asset,
            spec.quote_asset,
            (qty, quote, reserved, buyer_fee, seller_fee),
        )

        trades = st.trades
        trade = new_trade_print(
            (
                len(trades) + 1,
                spec.symbol,
                price,
                qty,
                quote,
                now,
                buyer_order.order_id,
                seller.order.order_id,
                not taker_buys,
            )
        )
        trades.append(trade)
        st.last_price = price
        st.new_prices.append(price)
        # Each side's execution: its order's figures move on, its fill goes to its account's
        # trade list (a two-step loop rather than a method: no frame per side on the hot path).
        taker_fee, maker_fee = (buyer_fee, seller_fee) if taker_buys else (seller_fee, buyer_fee)
        base_asset, quote_asset, symbol = spec.base_asset, spec.quote_asset, spec.symbol
        trade_id = trade[0]
        for live, fee, is_maker in ((taker, taker_fee, False), (maker, maker_fee, True)):
            order = live.order
            is_buyer = order.side is BUY
            live.remaining = remaining = live.remaining - qty
            order.executed_qty += qty
            order.cummulative_quote_qty += quote
            order.status = PARTIALLY_FILLED if remaining else FILLED
            order.update_time = now
            fill = new_fill(
                (
                    trade_id,
                    price,
                    qty,
                    quote,
                    fee,
                    base_asset if is_buyer else quote_asset,
                    is_maker,
                    is_buyer,
                    now,
                    order.order_id,
                    order.account,
                    symbol,
                )
            )
            live.trade_log.append(fill)
            if is_maker:
                maker_fill = fill
            else:
                taker_fill = fill
        if taker.fills is not None:
            taker.fills.append(taker_fill)

        # The book: the maker is its level's head (``_take`` and every plan fill levels in order).
        before, level_qty = book.before, book.qty
        if price not in before:
            before[price] = level_qty[price]
        level_qty[price] -= qty
        maker.visible -= qty
        if not maker.remaining:
            level = book.levels[price]
            if level[0] is maker:
                level.popleft()
            else:
                level.remove(maker)
            if not level:
                book.drop_level(price)
            maker.in_book = False
            self._close(st, maker)
        elif not maker.visible:  # an iceberg shows its next slice at the back of the level
            level = book.levels[price]
            if level[0] is maker:
                level.rotate(-1)
            else:
                level.remove(maker)
                level.append(maker)
            maker.visible = visible = min(maker_order.iceberg_qty, maker.remaining)
            level_qty[price] += visible
        events = self._events
        taker_snapshot = _new_object(OrderRecord)
        taker_snapshot.__dict__ = taker_order.__dict__.copy()
        maker_snapshot = _new_object(OrderRecord)
        maker_snapshot.__dict__ = maker_order.__dict__.copy()
        events.append(
            new_execution_event((taker_account, taker_snapshot, TRADE, "NONE", taker_fill, "", "", now))
        )
        events.append(
            new_execution_event((maker_account, maker_snapshot, TRADE, "NONE", maker_fill, "", "", now))
        )
        events.append(new_trade_print_event((trade,)))
        oco = maker.oco
        if oco is not None and oco.executing:
            self._finish_list(oco, expire=oco.stop)
            if maker.remaining:
                self._release_excess(st, maker)
