"""The figures a trader checks after a run, computed only from what the exchange did.

Every number here comes from the exchange's own record of the run (``allOrders`` for when
each order was accepted, ``myTrades`` for each fill's price, quantity, commission and maker
flag) plus the two things only the demo knows: when each signal came and the book's mid at
that moment (the *arrival* mid). Nothing is taken from what the client expected to happen,
so the report cannot show a fill, a fee or a maker rebate the exchange never made.

All arithmetic is ``Decimal``; rounding happens only when a figure is shown (``Grid``), to
the symbol's tick for prices and its step for quantities, so the totals are not built from
rounded parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from tradeexec.binance.models import MyTrade, Order
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.execution.orders.ids import make_client_order_id

__all__ = [
    "Arrival",
    "Drawdown",
    "Grid",
    "OrderFigures",
    "RunFigures",
    "fee_in_quote",
    "is_emergency",
    "max_drawdown",
    "money",
    "order_figures",
    "run_figures",
    "slippage",
    "symbol_grids",
    "turnover",
]

ZERO = Decimal(0)
BPS = Decimal(10_000)
_CENT = Decimal("0.01")
EMERGENCY = "emergency"  # the strategy name the emergency stop gives its orders' client ids


def _shown(value: Decimal, unit: Decimal) -> str:
    """``value`` with as many decimal places as ``unit`` has (0.01 -> 2, 10 -> 0)."""
    exponent = unit.normalize().as_tuple().exponent
    places = min(0, exponent) if isinstance(exponent, int) else 0
    shown = value.quantize(Decimal(1).scaleb(places), rounding=ROUND_HALF_EVEN)
    return format(shown if shown else abs(shown), "f")  # never "-0.00"


def money(value: Decimal | None, places: Decimal = _CENT) -> str:
    """A quote amount (fees, PnL, turnover) to the cent: what a trader reads."""
    return "-" if value is None else _shown(value, places)


@dataclass(frozen=True, slots=True)
class Grid:
    """A symbol's tick and step, for showing its prices and quantities as the exchange
    would write them (``60031.25``, ``0.03329``), never as a long division's digits."""

    tick: Decimal = Decimal("0.00000001")
    step: Decimal = Decimal("0.00000001")

    def price(self, value: Decimal | None) -> str:
        return "-" if value is None else _shown(value, self.tick)

    def qty(self, value: Decimal | None) -> str:
        return "-" if value is None else _shown(value, self.step)

    def held(self, value: Decimal) -> str:
        """A holding: on the step, except dust (less than one step, which no order can
        trade) shown as such rather than rounded up to a step or down to nothing."""
        return f"<{_shown(self.step, self.step)}" if 0 < abs(value) < self.step else self.qty(value)


def symbol_grids(rules: ExchangeRules, symbols: Iterable[str]) -> dict[str, Grid]:
    """Each symbol's tick (PRICE_FILTER) and step (LOT_SIZE); the default grid (eight places)
    where the exchange gives none."""
    grids = {}
    for symbol in symbols:
        r = rules.get(symbol)
        pf = r.price_filter if r is not None else None
        lot = r.lot_size if r is not None else None
        default = Grid()
        grids[symbol] = Grid(
            pf.tick_size if pf is not None and pf.tick_size > 0 else default.tick,
            lot.step_size if lot is not None and lot.step_size > 0 else default.step,
        )
    return grids


@dataclass(frozen=True, slots=True)
class Arrival:
    """When a signal came (this machine's clock, ms) and the book's mid at that moment."""

    signal_ms: int
    mid: Decimal | None


def is_emergency(client_order_id: str, symbol: str) -> bool:
    """Whether the emergency stop placed the order: its client id starts as the stop's do
    (``make_client_order_id`` shortens the strategy name to fit the symbol in)."""
    prefix = make_client_order_id(EMERGENCY, symbol, token="00000000").rsplit("_", 2)[0] + "_"
    return client_order_id.startswith(prefix)


# ---- the arithmetic (property-tested in tests/adversarial/test_report_arithmetic.py) -------


@dataclass(frozen=True, slots=True)
class Drawdown:
    amount: Decimal  # the largest fall from a running peak, in the curve's unit
    fraction: Decimal  # that fall over the peak it fell from (0 when the peak is not positive)


def max_drawdown(values: Sequence[Decimal]) -> Drawdown:
    """The largest fall of ``values`` from any earlier (or equal) point: one pass keeping the
    running peak, so a later, higher peak never hides an earlier fall."""
    best = Drawdown(ZERO, ZERO)
    if not values:
        return best
    peak = values[0]
    for value in values:
        peak = max(peak, value)
        fall = peak - value
        if fall > best.amount:
            best = Drawdown(fall, fall / peak if peak > 0 else ZERO)
    return best


def turnover(trades: Iterable[MyTrade]) -> Decimal:
    """The quote traded, both sides counted, as the exchange booked it (``quoteQty``)."""
    return sum((t.quote_qty for t in trades), ZERO)


def slippage(side: str, price: Decimal, mid: Decimal) -> Decimal:
    """What a fill at ``price`` cost per unit against ``mid``: positive when it was worse
    than the mid (a buy above it, a sell below it), negative when better."""
    return price - mid if side == "BUY" else mid - price


def fee_in_quote(trade: MyTrade, quote: str) -> Decimal | None:
    """The commission in the quote asset: as charged when paid in it, at the trade's own
    price when paid in the base asset, None when paid in a third asset (e.g. BNB)."""
    if trade.commission_asset == quote:
        return trade.commission
    if trade.symbol == trade.commission_asset + quote:
        return trade.commission * trade.price
    return None


# ---- per order and per run --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderFigures:
    """One order as the exchange saw it, with the demo's arrival for it."""

    client_order_id: str
    symbol: str
    side: str
    type: str
    status: str
    origin: str  # "strategy" or "emergency stop"
    price: Decimal | None  # the limit price; None for a market order
    orig_qty: Decimal
    executed_qty: Decimal
    quote_qty: Decimal
    trades: tuple[MyTrade, ...]
    arrival: Arrival | None
    ack_ms: int | None  # when the exchange accepted it (its order time)

    @property
    def avg_price(self) -> Decimal | None:
        return self.quote_qty / self.executed_qty if self.executed_qty else None

    @property
    def signal_to_ack_ms(self) -> int | None:
        if self.arrival is None or self.ack_ms is None:
            return None
        return self.ack_ms - self.arrival.signal_ms

    @property
    def ack_to_fill_ms(self) -> int | None:
        """From acceptance to the last fill: how long the order waited to be filled."""
        if self.ack_ms is None or not self.trades:
            return None
        return max(t.time for t in self.trades) - self.ack_ms

    @property
    def slippage_quote(self) -> Decimal | None:
        """What the fills cost against the arrival mid, in quote (positive: a cost)."""
        if self.arrival is None or self.arrival.mid is None or not self.trades:
            return None
        mid = self.arrival.mid
        return sum((t.qty * slippage(self.side, t.price, mid) for t in self.trades), ZERO)

    @property
    def slippage_bps(self) -> Decimal | None:
        cost = self.slippage_quote
        if cost is None or self.arrival is None or not self.arrival.mid or not self.executed_qty:
            return None
        return cost / (self.executed_qty * self.arrival.mid) * BPS

    def fees(self, quote: str) -> Decimal | None:
        """The commissions in quote, None if any was paid in an asset without a price here."""
        total = ZERO
        for t in self.trades:
            fee = fee_in_quote(t, quote)
            if fee is None:
                return None
            total += fee
        return total

    @property
    def maker_trades(self) -> int:
        return sum(1 for t in self.trades if t.is_maker)


def order_figures(order: Order, trades: Sequence[MyTrade], arrival: Arrival | None) -> OrderFigures:
    """The figures of one exchange order from its own trades among ``trades``: order ids
    are unique per symbol only (as on Binance), so a trade is this order's by both."""
    emergency = is_emergency(order.client_order_id, order.symbol)
    mine = tuple(
        sorted(
            (t for t in trades if (t.symbol, t.order_id) == (order.symbol, order.order_id)),
            key=lambda t: t.id,
        )
    )
    return OrderFigures(
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=str(order.side),
        type=str(order.type),
        status=str(order.status),
        origin="emergency stop" if emergency else "strategy",
        price=order.price if order.price > 0 else None,
        orig_qty=order.orig_qty,
        executed_qty=sum((t.qty for t in mine), ZERO),
        quote_qty=sum((t.quote_qty for t in mine), ZERO),
        trades=mine,
        arrival=arrival,
        ack_ms=order.time,
    )


@dataclass(frozen=True, slots=True)
class RunFigures:
    """The run's totals: fees, maker/taker split, turnover, slippage and drawdown."""

    orders: tuple[OrderFigures, ...]
    quote: str
    start_equity: Decimal | None
    drawdown: Drawdown
    unpriced_fees: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def trades(self) -> list[MyTrade]:
        return [t for o in self.orders for t in o.trades]

    @property
    def turnover(self) -> Decimal:
        return turnover(self.trades)

    @property
    def turnover_ratio(self) -> Decimal | None:
        """Turnover over the starting equity: how many times the account was traded."""
        return self.turnover / self.start_equity if self.start_equity else None

    @property
    def fees(self) -> Decimal:
        return sum((f for t in self.trades if (f := fee_in_quote(t, self.quote)) is not None), ZERO)

    def split(self, maker: bool) -> tuple[int, Decimal]:
        """How many trades were maker (or taker) fills, and the quote they moved."""
        side = [t for t in self.trades if t.is_maker is maker]
        return len(side), turnover(side)

    @property
    def slippage_quote(self) -> Decimal:
        return sum((s for o in self.orders if (s := o.slippage_quote) is not None), ZERO)

    def latencies(self, which: str) -> list[int]:
        """``signal_to_ack_ms`` or ``ack_to_fill_ms`` of every order that has one, sorted."""
        values = (getattr(o, which) for o in self.orders)
        return sorted(v for v in values if v is not None)


def run_figures(
    orders: Sequence[Order],
    trades: Sequence[MyTrade],
    arrivals: Mapping[str, Arrival],
    *,
    quote: str,
    equity: Sequence[Decimal],
    stop_arrivals: Mapping[str, Arrival] | None = None,
) -> RunFigures:
    """The run's figures; an emergency-stop order's arrival is the mid of its symbol when the
    stop began (``stop_arrivals``)."""
    stop = stop_arrivals or {}
    figures = tuple(
        order_figures(o, trades, arrivals.get(o.client_order_id) or stop.get(o.symbol)) for o in orders
    )
    unpriced: dict[str, Decimal] = {}
    for t in trades:
        if fee_in_quote(t, quote) is None:
            unpriced[t.commission_asset] = unpriced.get(t.commission_asset, ZERO) + t.commission
    return RunFigures(
        figures, quote, equity[0] if equity else None, max_drawdown(equity), unpriced_fees=unpriced
    )
