"""``FuturesEngine``: USDT-M perpetuals on the shared matching engine.

One ``sim.engine.Engine`` of its own holds the futures books (a futures BTCUSDT is not the spot
BTCUSDT), used through its public API only. That engine's balance ledger is a stand-in: every
futures account is opened in it with an unlimited amount of each contract's base and quote
asset and zero commission, so the engine never refuses an order for balance; collateral,
positions, margin and fees live here, in ``FuturesWallet``, checked before the engine is
called and moved from the fills it reports. Nothing here knows HTTP: refusals are
``EngineReject`` with Binance's futures code and text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from copy import copy
from decimal import Decimal
from functools import partial

from tradeexec.binance.enums import ExecutionType, OrderType, Side, TimeInForce
from tradeexec.binance.errors import MSG_DUPLICATE_ORDER
from tradeexec.sim.engine import (
    Engine,
    EngineReject,
    Event,
    ExecutionEvent,
    Fill,
    OrderRecord,
    OrderRequest,
    SymbolSpec,
)
from tradeexec.sim.futures import rules
from tradeexec.sim.futures.accounts import CROSSED, ISOLATED, UNIT, FuturesWallet, OpenPosition
from tradeexec.sim.futures.algo import AlgoBook, AlgoOrder
from tradeexec.sim.futures.algo_service import AlgoService
from tradeexec.sim.futures.countdown import Countdowns
from tradeexec.sim.futures.events import (
    AccountUpdate,
    AlgoChange,
    AssetModeChange,
    FuturesEvent,
    LeverageChange,
    OrderUpdate,
    PositionState,
)
from tradeexec.sim.futures.figures import Figures, PositionFigures
from tradeexec.sim.futures.funding import FundingPayment, Income, default_rate, fund
from tradeexec.sim.futures.funding_schedule import FundingSchedule
from tradeexec.sim.futures.liquidator import LIQUIDATION, Liquidations
from tradeexec.sim.futures.margin import ZERO, unrealized_pnl
from tradeexec.sim.futures.margin_calls import MarginCalls
from tradeexec.sim.futures.market_history import MarketHistory
from tradeexec.sim.futures.orders import FuturesFill, FuturesOrderRequest, OrderMeta, Placed
from tradeexec.sim.futures.pricing import Pricing
from tradeexec.sim.futures.symbols import Contract, default_contracts
from tradeexec.sim.tape import TradeTape

HOUSE = "futures-house"
# Standard USDⓈ-M fees (regular tier): maker 0.0200 %, taker 0.0500 %.
MAKER_RATE = Decimal("0.0002")
TAKER_RATE = Decimal("0.0005")
_UNLIMITED = Decimal(10) ** 30
# The engine amends an order in place as spot's REPLACED; futures streams call it AMENDMENT.
_EXECUTION_TYPES = {ExecutionType.REPLACED: "AMENDMENT"}


class FuturesEngine(AlgoService, Liquidations):
    def __init__(
        self, accounts: Iterable[tuple[str, Decimal]], contracts: dict[str, Contract] | None = None
    ) -> None:
        self.contracts = contracts if contracts is not None else default_contracts()
        self.engine = Engine(
            SymbolSpec(c.symbol, c.base, c.quote, step_size=c.step) for c in self.contracts.values()
        )
        self.accounts: dict[str, FuturesWallet] = {}
        self.meta: dict[tuple[str, int], OrderMeta] = {}
        self.fills: dict[str, list[FuturesFill]] = {}
        self.marks: dict[str, Decimal] = {}
        self.figures = Figures(self)
        self.tape = TradeTape(self.contracts)
        self.funding_rates: dict[str, Decimal] = {}
        self.funding = FundingSchedule(self.contracts)
        self.incomes: dict[str, list[Income]] = {}
        self.algos = AlgoBook()
        self.countdowns = Countdowns()
        self.margin_calls = MarginCalls()
        self._triggered: dict[tuple[str, int], AlgoOrder] = {}  # resting orders of fired algos
        self._liquidations = 0
        self._tran_id = 0
        # Called with each change's events, before the call that caused them returns.
        self.listeners: list[Callable[[list[FuturesEvent]], None]] = []
        # Funding charged, mark samples, liquidations: the public market data's memory.
        self.history = MarketHistory(self.contracts)
        # Called with the engine's own events (trades, depth) of each change: market streams.
        self.market_listeners: list[Callable[[Sequence[Event]], None]] = []
        # Binance's index, mark and funding rate, once a market gives the index (``use_index``).
        self.pricing: Pricing | None = None
        for name, wallet in accounts:
            self.open_account(name, wallet)
        self.open_account(HOUSE, _UNLIMITED, exempt=True)

    def open_account(self, name: str, wallet: Decimal, *, exempt: bool = False) -> FuturesWallet:
        balances = {}
        for c in self.contracts.values():
            balances[c.base] = balances[c.quote] = _UNLIMITED
        self.engine.create_account(name, balances, maker_commission=Decimal(0), taker_commission=Decimal(0))
        acct = self.accounts[name] = FuturesWallet(name, wallet, exempt=exempt)
        return acct

    def contract(self, symbol: str) -> Contract:
        contract = self.contracts.get(symbol)
        if contract is None:
            raise EngineReject(-1121, "Invalid symbol.")
        return contract

    def account(self, name: str) -> FuturesWallet:
        acct = self.accounts.get(name)
        if acct is None:
            acct = self.open_account(name, Decimal(0))
        return acct

    # ------------------------------------------------------------------ prices

    def use_index(self, index_of: Callable[[str], Decimal | None]) -> None:
        """From now on the index is ``index_of(symbol)`` and the mark and funding rate follow
        Binance's rules around it (``pricing.py``); the synthetic market calls this."""
        self.pricing = Pricing(self.engine, index_of, self.funding)

    def mark_price(self, symbol: str) -> Decimal:
        """The admin-set mark, else Binance's mark around the index, else the book's mid, else
        the last trade, else the start price."""
        if symbol in self.marks:
            return self.marks[symbol]
        if self.pricing is not None and (mark := self.pricing.mark(symbol)) is not None:
            return mark
        bid, _, ask, _ = self.engine.book_ticker(symbol)
        if bid and ask:
            return (bid + ask) / 2
        last = self.engine.last_price(symbol)
        return last if last is not None else self.contract(symbol).start_price

    def index_price(self, symbol: str) -> Decimal:
        """The spot index, else (no market gives one) the mark."""
        index = self.pricing.index(symbol) if self.pricing is not None else None
        return self.mark_price(symbol) if index is None else index

    def set_mark(self, symbol: str, price: Decimal) -> None:
        self.contract(symbol)
        self.marks[symbol] = price

    # ------------------------------------------------------------------ settings

    def set_leverage(self, name: str, symbol: str, leverage: int, now_ms: int = 0) -> Decimal:
        """Returns the maximum notional at that leverage (the answer's ``maxNotionalValue``);
        the stream hears of it (ACCOUNT_CONFIG_UPDATE)."""
        contract = self.contract(symbol)
        top = contract.brackets[0].initial_leverage
        if not 1 <= leverage <= top:
            raise EngineReject(-4028, f"Leverage {leverage} is not valid")
        acct = self.account(name)
        acct.leverage[symbol] = leverage
        if not acct.exempt:
            self._tell([LeverageChange(name, symbol, leverage, now_ms)])
        return self.max_notional(symbol, leverage)

    def max_notional(self, symbol: str, leverage: int) -> Decimal:
        caps = [b.notional_cap for b in self.contract(symbol).brackets if b.initial_leverage >= leverage]
        return max(caps)

    def set_margin_type(self, name: str, symbol: str, margin_type: str) -> None:
        self.contract(symbol)
        acct = self.account(name)
        if margin_type not in (CROSSED, ISOLATED):
            raise EngineReject(
                -1102, "Mandatory parameter 'marginType' was not sent, was empty/null, or malformed."
            )
        if acct.margin_type_of(symbol) == margin_type:
            raise EngineReject(-4046, "No need to change margin type.")
        if self.engine.open_orders(name, symbol):
            raise EngineReject(-4047, "Margin type cannot be changed if there exists open orders.")
        if acct.open_positions(symbol):
            raise EngineReject(-4048, "Margin type cannot be changed if there exists position.")
        if margin_type == ISOLATED and acct.multi_assets:
            raise EngineReject(-4168, "Unable to adjust to isolated-margin mode under the Multi-Assets mode.")
        acct.margin_type[symbol] = margin_type

    def set_multi_assets(self, name: str, on: bool, now_ms: int) -> None:
        """Multi-Assets or Single-Asset mode (``POST /fapi/v1/multiAssetsMargin``); USDT is
        the only margin asset here, so the mode changes no figure. The stream hears of it."""
        acct = self.account(name)
        if acct.multi_assets == on:
            raise EngineReject(
                -4171, "Adjusted asset mode is currently set and does not need to be adjusted repeatedly."
            )
        if on and ISOLATED in acct.margin_type.values():
            raise EngineReject(
                -4167,
                "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures "
                "under isolated-margin mode.",
            )
        acct.multi_assets = on
        self._tell([AssetModeChange(name, on, now_ms)])

    def set_dual_side(self, name: str, dual: bool) -> None:
        acct = self.account(name)
        if acct.dual_side == dual:
            raise EngineReject(-4059, "No need to change position side.")
        if any(self.engine.open_orders(name, s) for s in self.contracts):
            raise EngineReject(-4067, "Position side cannot be changed if there exists open orders.")
        if acct.open_positions():
            raise EngineReject(-4068, "Position side cannot be changed if there exists position.")
        acct.dual_side = dual

    # ------------------------------------------------------------------ orders

    def place(self, name: str, req: FuturesOrderRequest, now_ms: int) -> Placed:
        contract = self.contract(req.symbol)
        acct = self.account(name)
        rules.check_shape(req, contract, acct.dual_side)
        pos = acct.position(req.symbol, req.position_side)
        # An exempt account's orders are never reduce-only nor margin-checked: no need to scan
        # its open orders (the synthetic market's makers hold hundreds).
        pending = self.pending_close(name, req) if req.reduce_only or not acct.exempt else ZERO
        closing = rules.closing_quantity(req, pos.amt, pending)
        opening = req.quantity - closing
        tif = req.time_in_force or "GTC"
        if tif == "GTX" and self.would_take(req):
            raise EngineReject(-5022, rules.GTX_REJECTED)
        if opening and not acct.exempt:
            self.check_margin(acct, req, opening)
        meta = OrderMeta(req.position_side, req.reduce_only, req.type, tif)
        engine_req = OrderRequest(
            req.symbol,
            req.side,
            OrderType.LIMIT if req.type == "LIMIT" else OrderType.MARKET,
            quantity=req.quantity,
            price=req.price,
            time_in_force=TimeInForce("GTC" if tif == "GTX" else tif) if req.type == "LIMIT" else None,
            client_order_id=req.client_order_id,
        )
        try:
            result = self.engine.place(name, engine_req, now_ms)
        except EngineReject as exc:
            if exc.msg == MSG_DUPLICATE_ORDER:
                raise EngineReject(-4116, "clientOrderId is duplicated") from None
            raise
        self.meta[(req.symbol, result.order.order_id)] = meta
        fills = self.settle(result.events, now_ms)
        mine = [f for f in fills if f.order_id == result.order.order_id and not f.maker]
        return Placed(result.order, meta, mine)

    def cancel(
        self, name: str, symbol: str, order_id: int | None, client_id: str | None, now_ms: int
    ) -> OrderRecord:
        self.contract(symbol)
        order, events = self.engine.cancel(
            name, symbol, order_id=order_id, client_order_id=client_id, now_ms=now_ms
        )
        self.settle(events, now_ms)
        return order

    def cancel_all(self, name: str, symbol: str, now_ms: int) -> None:
        self.contract(symbol)
        if self.engine.open_orders(name, symbol):
            _, events = self.engine.cancel_all(name, symbol, now_ms)
            self.settle(events, now_ms)

    def add_liquidity(
        self, symbol: str, side: Side, price: Decimal, qty: Decimal, now_ms: int
    ) -> OrderRecord:
        """A resting GTC order of the house account (no margin check)."""
        req = FuturesOrderRequest(symbol, side, "LIMIT", qty, price, "GTC")
        return self.place(HOUSE, req, now_ms).order

    def meta_of(self, order: OrderRecord) -> OrderMeta:
        return self.meta[(order.symbol, order.order_id)]

    # ------------------------------------------------------------------ internals

    def pending_close(self, name: str, req: FuturesOrderRequest, *, exclude: int | None = None) -> Decimal:
        """Open orders of the same position that close it (reduce-only, or hedge closing),
        but ``exclude`` (the order being modified)."""
        total = Decimal(0)
        for order in self.engine.open_orders(name, req.symbol):
            if order.order_id == exclude:
                continue
            meta = self.meta[(req.symbol, order.order_id)]
            if meta.position_side != req.position_side or order.side is not req.side:
                continue
            hedge_close = meta.position_side != "BOTH" and (meta.position_side == "LONG") != (
                order.side is Side.BUY
            )
            if meta.reduce_only or hedge_close:
                total += order.orig_qty - order.executed_qty
        return total

    def would_take(self, req: FuturesOrderRequest) -> bool:
        bid, _, ask, _ = self.engine.book_ticker(req.symbol)
        assert req.price is not None
        if req.side is Side.BUY:
            return bool(ask) and req.price >= ask
        return bool(bid) and req.price <= bid

    def check_margin(self, acct: FuturesWallet, req: FuturesOrderRequest, opening: Decimal) -> None:
        """-2019 when the initial margin of the part that opens exceeds the available balance
        (priced at the order's price, or for MARKET at the worse of book and mark), -2027 when the
        position would pass the notional cap of its leverage."""
        leverage = acct.leverage_of(req.symbol)
        mark = self.mark_price(req.symbol)
        price = req.price
        if price is None:
            bid, _, ask, _ = self.engine.book_ticker(req.symbol)
            book = ask if req.side is Side.BUY else bid
            price = max(book, mark) if req.side is Side.BUY else (min(book, mark) if book else mark)
        need = opening * price / leverage
        if need > self.figures.available(acct):
            raise EngineReject(-2019, rules.MARGIN_INSUFFICIENT)
        pos = acct.position(req.symbol, req.position_side)
        if (abs(pos.amt) + opening) * price > self.max_notional(req.symbol, leverage):
            raise EngineReject(-2027, "Exceeded the maximum allowable position at current leverage.")

    def settle(self, events: Sequence[Event], now_ms: int) -> list[FuturesFill]:
        """Move positions and wallets for every fill the engine reported, maker and taker, and
        tell the listeners: each order change, then each moved account."""
        self.tape.on_events(events)
        for market_listener in list(self.market_listeners):
            market_listener(events)
        out: list[FuturesFill] = []
        updates: list[FuturesEvent] = []
        moved: dict[str, dict[tuple[str, str], None]] = {}
        for ev in events:
            if not isinstance(ev, ExecutionEvent):
                continue
            meta = self.meta.get((ev.order.symbol, ev.order.order_id))
            if meta is None:  # not placed through this class: nothing to settle
                continue
            record = None if ev.last_fill is None else self._book_fill(ev.account, ev.last_fill, meta)
            if record is not None:
                out.append(record)
                moved.setdefault(ev.account, {})[(record.symbol, meta.position_side)] = None
            kind = _kind(ev.execution_type, meta)
            if kind is not None and not self.accounts[ev.account].exempt:
                updates.append(OrderUpdate(ev.account, ev.order, meta, kind, record, now_ms))
            parent = self._triggered.get((ev.order.symbol, ev.order.order_id))
            if parent is not None and ev.order.status.is_final:
                del self._triggered[(ev.order.symbol, ev.order.order_id)]
                parent.status, parent.update_time = "FINISHED", now_ms
                updates.append(AlgoChange(parent.account, copy(parent), ev.order, now_ms))
        for name, keys in moved.items():
            acct = self.accounts[name]
            if acct.exempt:
                continue
            states = tuple(self._position_state(acct, acct.position(s, side)) for s, side in keys)
            updates.append(
                AccountUpdate(name, "ORDER", acct.wallet, acct.cross_wallet(), ZERO, states, now_ms)
            )
        self._tell(updates)
        return out

    def _book_fill(self, name: str, fill: Fill, meta: OrderMeta) -> FuturesFill:
        acct = self.accounts[name]
        liquidation = meta.order_type == LIQUIDATION  # the clearance fee is its charge
        rate = ZERO if liquidation else MAKER_RATE if fill.is_maker else TAKER_RATE
        commission = (fill.quote_qty * rate).quantize(UNIT)
        signed = fill.qty if fill.is_buyer else -fill.qty
        pos = acct.position(fill.symbol, meta.position_side)
        effect = acct.apply_fill(pos, signed, fill.price, commission, fill.time)
        record = FuturesFill(
            fill.trade_id,
            fill.order_id,
            fill.symbol,
            Side.BUY if fill.is_buyer else Side.SELL,
            meta.position_side,
            fill.price,
            fill.qty,
            fill.quote_qty,
            commission,
            effect.realized,
            fill.is_maker,
            fill.time,
        )
        self.fills.setdefault(name, []).append(record)
        if effect.realized:
            self._income(
                name, fill.symbol, "REALIZED_PNL", effect.realized, fill.time, trade_id=fill.trade_id
            )
        if not liquidation:
            self._income(name, fill.symbol, "COMMISSION", -commission, fill.time, trade_id=fill.trade_id)
        return record

    def _income(
        self, name: str, symbol: str, kind: str, amount: Decimal, time: int, *, trade_id: int = 0
    ) -> None:
        if self.accounts[name].exempt:
            return
        self._tran_id += 1
        self.incomes.setdefault(name, []).append(Income(symbol, kind, amount, time, self._tran_id, trade_id))

    # ------------------------------------------------------------------ time

    def catch_up(self, now_ms: int) -> None:
        """Bring the futures side up to ``now_ms``: settle every funding time passed since the
        last call, in order, then liquidate what the margin ratio condemns. Called before every
        /fapi request, by the stream's timer and when the admin moves the mark price."""
        self.history.sample_prices(self.contracts, self.mark_price, self.index_price, now_ms)
        for time, symbols in self.funding.due(now_ms):
            if self.pricing is not None:
                self.pricing.advance(time)
            self._settle_funding(time, symbols)
        if self.pricing is not None:
            self.pricing.advance(now_ms)
        for name, symbol in self.countdowns.elapsed(now_ms):
            self.cancel_all(name, symbol, now_ms)
        self._run_algos(now_ms)
        self._warn(now_ms)
        self._liquidate(now_ms)

    def _warn(self, now_ms: int) -> None:
        """MARGIN_CALL for positions whose margin ratio reached the warning level."""
        warnings: list[FuturesEvent] = []
        for acct in self.accounts.values():
            if acct.exempt or not acct.open_positions():
                continue
            found = self.margin_calls.check(self.figures, acct, partial(self._state_of, acct), now_ms)
            if found is not None:
                warnings.append(found)
        self._tell(warnings)

    def funding_rate(self, symbol: str) -> Decimal:
        """The admin-set rate, else the running interval's estimate, else the interest rate's
        share of the symbol's interval."""
        if symbol in self.funding_rates:
            return self.funding_rates[symbol]
        if self.pricing is None:
            return default_rate(self.contract(symbol).funding_interval_hours)
        return self.pricing.estimate(symbol)

    def _due_rates(self, symbols: list[str]) -> dict[str, Decimal]:
        """The rate of each symbol due at the funding time reached (its interval's samples are
        used up: the next interval starts afresh)."""
        pricing = self.pricing
        settled = {s: self.funding_rate(s) if pricing is None else pricing.settle(s) for s in symbols}
        return {s: self.funding_rates.get(s, settled[s]) for s in symbols}

    def _settle_funding(self, time: int, symbols: list[str]) -> None:
        marks = {s: self.mark_price(s) for s in symbols}
        rates = self._due_rates(symbols)
        for s, mark in marks.items():
            self.history.funded(s, rates[s], time, mark)  # the rate settled, as charged
        updates: list[FuturesEvent] = []
        for acct in self.accounts.values():
            if acct.exempt:
                continue
            payments = fund(acct, marks, rates, time)
            updates += self._funding_updates(acct, payments, time)
        self._tell(updates)

    def _funding_updates(
        self, acct: FuturesWallet, payments: list[FundingPayment], time: int
    ) -> list[FuturesEvent]:
        """Book each payment as income and state it in an ACCOUNT_UPDATE of its own, as
        Binance's docs describe it: a cross position's carries the balance only (no position:
        its symbol is in the income history), an isolated position's the balance and that
        position alone; the wallet figures as of that payment (``fund`` booked them all)."""
        isolated = {p.symbol for p in payments if acct.margin_type_of(p.symbol) == ISOLATED}
        wallet = acct.wallet - sum((p.amount for p in payments), ZERO)
        cross = acct.cross_wallet() - sum((p.amount for p in payments if p.symbol not in isolated), ZERO)
        out: list[FuturesEvent] = []
        for pay in payments:
            self._income(acct.name, pay.symbol, "FUNDING_FEE", pay.amount, time)
            wallet += pay.amount
            states: tuple[PositionState, ...] = ()
            if pay.symbol in isolated:
                states = (self._position_state(acct, acct.position(pay.symbol, pay.position_side)),)
            else:
                cross += pay.amount
            out.append(AccountUpdate(acct.name, "FUNDING_FEE", wallet, cross, pay.amount, states, time))
        return out

    def _tell(self, updates: list[FuturesEvent]) -> None:
        """Hand the listeners (the user streams) one change's events, in order."""
        if updates:
            for listener in list(self.listeners):
                listener(updates)

    def _state_of(self, acct: FuturesWallet, f: PositionFigures) -> PositionState:
        return self._position_state(acct, f.position)

    def _position_state(self, acct: FuturesWallet, pos: OpenPosition) -> PositionState:
        isolated = acct.margin_type_of(pos.symbol) == ISOLATED
        return PositionState(
            pos.symbol,
            pos.position_side,
            pos.amt,
            pos.entry,
            pos.realized,
            unrealized_pnl(pos.amt, pos.entry, self.mark_price(pos.symbol)),
            "isolated" if isolated else "cross",
            pos.isolated_wallet,
        )


def _kind(execution_type: ExecutionType, meta: OrderMeta) -> str | None:
    """The futures stream's execution type of an engine event; None: not stated. A
    liquidation order's fills are CALCULATED ("Liquidation Execution") and its IOC's expiry
    is not stated: the insurance fund takes that rest (``liquidator.py``); a smart
    liquidation's first order's rest is not needed and expires as stated."""
    if meta.order_type == LIQUIDATION:
        if execution_type is ExecutionType.TRADE:
            return "CALCULATED"
        if execution_type is ExecutionType.EXPIRED and not meta.smart:
            return None
    return _EXECUTION_TYPES.get(execution_type, str(execution_type))
