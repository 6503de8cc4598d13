"""The demo's HTML report: one self-contained file that opens in any browser with no server.

No JavaScript and no external CSS or fonts: the charts are SVG (``tradeexec.demo.charts``),
so the file is the whole record of the run and still reads the same years later. The
execution figures (latency, slippage against the arrival mid, fees, maker/taker split,
turnover, drawdown) and the orders and trades tables come from the exchange's own record of
the run (``tradeexec.demo.figures``); prices are shown to the symbol's tick and quantities to
its step, quote amounts to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from pathlib import Path
from statistics import median_low

from tradeexec.demo.charts import Marker, line_chart
from tradeexec.demo.figures import OrderFigures, RunFigures, money
from tradeexec.demo.record import QUOTE, DemoRecord, DemoSummary

__all__ = ["equity_svg", "price_svg", "render_report", "write_report"]

_PCT = Decimal(100)


def _span(record: DemoRecord) -> tuple[float, float]:
    """The run's time axis: from its start to its last sample or fill."""
    times = [t for t, _ in record.equity] + [t for s in record.prices.values() for t, _ in s]
    times += [m.t for s in record.symbols for m in _markers(record, s)]
    return 0.0, max(times, default=1.0) or 1.0


def equity_svg(record: DemoRecord) -> str:
    return line_chart(
        record.equity,
        title=f"equity ({QUOTE}, balances at the book's mid)",
        css_class="equity",
        fmt=money,
        span=_span(record),
    )


def _markers(record: DemoRecord, symbol: str) -> list[Marker]:
    """Each fill as the exchange booked it (the emergency stop's too); before the exchange's
    record is read (a run that failed), the fills the order manager saw."""
    grid = record.grid(symbol)
    if record.exchange is not None:
        return [
            Marker(
                t.time / 1000 - record.started,
                t.price,
                "BUY" if t.is_buyer else "SELL",
                f"{'BUY' if t.is_buyer else 'SELL'} {grid.qty(t.qty)} {symbol} @ {grid.price(t.price)}"
                f" ({'maker' if t.is_maker else 'taker'}, order {t.order_id})",
            )
            for t in record.exchange.trades
            if t.symbol == symbol
        ]
    return [
        Marker(f.t, f.price, f.side, f"{f.side} {grid.qty(f.qty)} {symbol} @ {grid.price(f.price)}")
        for f in record.fills
        if f.symbol == symbol
    ]


def price_svg(record: DemoRecord, symbol: str) -> str:
    return line_chart(
        record.prices.get(symbol, []),
        title=f"{symbol} mid price, fills marked (green up: buy, red down: sell)",
        markers=_markers(record, symbol),
        css_class=f"price price-{symbol.lower()}",
        fmt=record.grid(symbol).price,
        span=_span(record),
    )


def _rows(
    rows: Sequence[Sequence[object]], header: Sequence[str], css: str, numeric: frozenset[int] = frozenset()
) -> str:
    """A table; the columns in ``numeric`` are right-aligned with figures of equal width."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(str(c))}</td>' if i in numeric else f"<td>{escape(str(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _ms(values: list[int]) -> str:
    if not values:
        return "-"
    return f"median {median_low(values)} ms, max {values[-1]} ms ({len(values)} orders)"


def _figures_table(figures: RunFigures) -> str:
    makers, maker_quote = figures.split(True)
    takers, taker_quote = figures.split(False)
    filled = sum((o.quote_qty for o in figures.orders if o.slippage_quote is not None), Decimal(0))
    slip = figures.slippage_quote
    bps = f" ({_signed(slip / filled * 10_000)} bps of the filled notional)" if filled else ""
    ratio = figures.turnover_ratio
    dd = figures.drawdown
    unpriced = "".join(f" + {v} {a}" for a, v in sorted(figures.unpriced_fees.items()))
    rows = [
        ("trades (the exchange's myTrades)", f"{len(figures.trades)}: {makers} maker, {takers} taker"),
        (f"maker / taker volume ({QUOTE})", f"{money(maker_quote)} / {money(taker_quote)}"),
        (f"fees ({QUOTE})", money(figures.fees) + unpriced),
        (
            f"turnover ({QUOTE})",
            money(figures.turnover) + (f" ({ratio:.2f}x the starting equity)" if ratio is not None else ""),
        ),
        (f"slippage against the arrival mid ({QUOTE})", money(slip) + bps),
        (f"maximum drawdown ({QUOTE})", f"{money(dd.amount)} ({money(dd.fraction * _PCT)}% of the peak)"),
        ("signal to acknowledgement", _ms(figures.latencies("signal_to_ack_ms"))),
        ("acknowledgement to last fill", _ms(figures.latencies("ack_to_fill_ms"))),
    ]
    return _rows(rows, ("figure", "value"), "figures")


def _maker_taker(o: OrderFigures) -> str:
    if not o.trades:
        return "-"
    makers = o.maker_trades
    takers = len(o.trades) - makers
    return "maker" if not takers else "taker" if not makers else f"{makers} maker, {takers} taker"


_ORDER_HEADER = (
    "client order id", "origin", "side", "qty", "limit price", "state", "filled", "avg price",
    "arrival mid", "slippage (bps)", f"fee ({QUOTE})", "maker/taker", "signal→ack (ms)", "ack→fill (ms)",
)  # fmt: skip
_ORDER_NUMERIC = frozenset({3, 4, 6, 7, 8, 9, 10, 12, 13})


def _orders_table(record: DemoRecord, figures: RunFigures | None) -> str:
    """Every order of the run: the strategy's in the order placed, with the state its order
    manager settled on, then the emergency stop's; figures where the exchange has the order.
    (The symbol is in the client order id; a market order has "market" as its limit price.)"""
    on_exchange = {o.client_order_id: o for o in figures.orders} if figures is not None else {}
    rows = []
    for m in record.orders:
        grid = record.grid(m.symbol)
        o = on_exchange.pop(m.client_order_id, None)
        intent = m.intent
        limit = grid.price(intent.price) if intent.price is not None else "market"
        head = (m.client_order_id, "strategy", intent.side, grid.qty(intent.quantity), limit, str(m.state))
        rows.append(head + (_order_cells(o, record) if o is not None else ("-",) * 8))
    for o in on_exchange.values():
        grid = record.grid(o.symbol)
        limit = grid.price(o.price) if o.price is not None else "market"
        rows.append(
            (
                o.client_order_id,
                o.origin,
                o.side,
                grid.qty(o.orig_qty),
                limit,
                o.status,
                *_order_cells(o, record),
            )
        )
    return _rows(rows, _ORDER_HEADER, "orders", _ORDER_NUMERIC)


def _signed(value: Decimal) -> str:
    """One decimal with its sign, and no "-0.0" for a tiny gain."""
    shown = round(value, 1)
    return f"{shown if shown else abs(shown):+.1f}"


def _order_cells(o: OrderFigures, record: DemoRecord) -> tuple[str, ...]:
    grid = record.grid(o.symbol)
    bps = o.slippage_bps
    arrival = o.arrival.mid if o.arrival is not None else None
    ack, fill = o.signal_to_ack_ms, o.ack_to_fill_ms
    return (
        grid.qty(o.executed_qty),
        grid.price(o.avg_price),
        grid.price(arrival),
        "-" if bps is None else _signed(bps),
        money(o.fees(QUOTE)),
        _maker_taker(o),
        "-" if ack is None else str(ack),
        "-" if fill is None else str(fill),
    )


def _unread(record: DemoRecord, what: str) -> str:
    """Why the exchange's record is missing: a futures run never reads spot's history."""
    if record.leg_reads is not None:
        return f"<p>the {what} come from spot's order and trade history; a futures run has none</p>"
    return f"<p>the exchange's {what} were not read (the run did not finish)</p>"


def _trades_table(record: DemoRecord) -> str:
    if record.exchange is None:
        return _unread(record, "trades")
    rows = []
    for t in sorted(record.exchange.trades, key=lambda t: (t.time, t.id)):
        grid = record.grid(t.symbol)
        rows.append((
            f"{t.time / 1000 - record.started:.2f}s", t.symbol, "BUY" if t.is_buyer else "SELL",
            grid.qty(t.qty), grid.price(t.price), money(t.quote_qty), f"{t.commission} {t.commission_asset}",
            "maker" if t.is_maker else "taker", t.id, record.exchange.client_order_id(t),
        ))  # fmt: skip
    header = ("time", "symbol", "side", "qty", "price", f"quote ({QUOTE})", "commission", "role", "trade id",
              "order")  # fmt: skip
    return _rows(rows, header, "trades", frozenset({0, 3, 4, 5, 6, 8}))


def _faults_table(record: DemoRecord) -> str:
    rows = [
        (
            f.kind,
            f"{f.armed_s:.1f}s",
            "-" if f.fired_s is None else f"{f.fired_s:.1f}s",
            "-" if f.recovered_s is None else f"{f.recovered_s:.1f}s",
            f.status,
            f.recovery or (f.order.client_order_id if f.order is not None else ""),
        )
        for f in record.faults
    ]
    return _rows(rows, ("fault", "armed", "hit", "recovered", "status", "how"), "faults")


_CSS = """body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1240px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse;font-size:12.5px}
td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f4f4f4}
th{font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.orders td:first-child,table.trades td:last-child{font-family:ui-monospace,monospace;font-size:11.5px}
p.note{font-size:13px;color:#555;max-width:900px}
code{background:#f4f4f4;padding:1px 4px}svg{display:block;margin:8px 0;border:1px solid #ddd}"""

_FIGURES_NOTE = (
    "From the exchange's own record of the run (allOrders, myTrades): fills, prices, "
    "commissions and maker flags as the exchange booked them. Slippage is against the book's "
    "mid when the signal came (positive: a cost). Latencies are the exchange's order time "
    "minus the signal time on this machine, and the exchange's last trade time minus its "
    "order time; on a remote venue the first includes the clocks' offset."
)


def render_report(record: DemoRecord, summary: DemoSummary) -> str:
    figures = record.figures()
    charts = "".join(price_svg(record, s) for s in record.symbols)
    journal = escape(str(summary.journal_path))
    title = escape(f"{record.title} report")
    faults = f"<h2>Faults and recovery</h2>{_faults_table(record)}" if record.with_faults else ""
    figures_html = (
        f'<p class="note">{escape(_FIGURES_NOTE)}</p>{_figures_table(figures)}'
        if figures is not None
        else _unread(record, "execution figures")
    )
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>{title}</h1>"
        f"<p>venue <b>{escape(record.venue)}</b> at <code>{escape(record.exchange_url)}</code>; "
        f"journal <code class=journal>{journal}</code> "
        f"(<code>tradeexec journal show --path {journal}</code>)</p>"
        f"<h2>Summary</h2>{_rows(summary.rows(), ('what', 'value'), 'summary')}"
        f"<h2>Execution figures</h2>{figures_html}"
        f"<h2>Equity</h2>{equity_svg(record)}"
        f"<h2>Prices and fills</h2>{charts}"
        f"<h2>Orders</h2>{_orders_table(record, figures)}"
        f"<h2>Trades</h2>{_trades_table(record)}"
        f"{faults}"
        f"<h2>Emergency stop</h2><pre>{escape(chr(10).join(summary.emergency) or 'not run')}</pre>"
        f"</body></html>\n"
    )


def write_report(record: DemoRecord, summary: DemoSummary, path: Path) -> Path:
    """Write the report (creating its directory) and note its path in the summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    summary.report_path = path
    path.write_text(render_report(record, summary), encoding="utf-8")
    return path
