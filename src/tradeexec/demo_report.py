"""The demo's HTML report: one self-contained file that opens in any browser with no server.

No JavaScript and no external CSS or fonts: the charts are SVG drawn here from the
``DemoRecord`` (equity curve; each symbol's price with its fills marked, buys as green
triangles up, sells as red triangles down, each with a tooltip), so the file is the whole
record of the run and still reads the same years later. Prices become floats only as pixel
coordinates; every number shown as text is the exact Decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path

from tradeexec.demo_record import QUOTE, DemoRecord, DemoSummary

__all__ = ["Marker", "equity_svg", "line_chart", "price_svg", "render_report", "write_report"]

_W, _H = 760, 240
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 78, 16, 28, 30
_COLORS = {"BUY": "#1a9850", "SELL": "#d73027"}


@dataclass(frozen=True, slots=True)
class Marker:
    t: float
    price: Decimal
    side: str  # BUY or SELL
    label: str


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def line_chart(
    points: Sequence[tuple[float, Decimal]],
    *,
    title: str,
    markers: Sequence[Marker] = (),
    css_class: str = "chart",
) -> str:
    """An SVG line chart of ``points`` (seconds, value) with optional buy/sell markers."""
    values = [v for _, v in points] + [m.price for m in markers]
    times = [t for t, _ in points] + [m.t for m in markers]
    head = (
        f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}">'
        f'<rect width="{_W}" height="{_H}" fill="#fff"/>'
        f'<text x="{_PAD_L}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>'
    )
    if not values:
        return head + f'<text x="{_W / 2}" y="{_H / 2}" text-anchor="middle">no data</text></svg>'
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    t0, t1 = min(times), max(times)
    span_t = (t1 - t0) or 1.0
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B

    def xy(t: float, v: Decimal) -> tuple[float, float]:
        x = _PAD_L + (t - t0) / span_t * plot_w
        y = _PAD_T + (1 - float((v - lo) / (hi - lo))) * plot_h
        return round(x, 1), round(y, 1)

    parts = [head]
    for i in range(5):  # horizontal grid with the exact value at each line
        v = lo + (hi - lo) * i / 4
        _, y = xy(t0, v)
        parts.append(
            f'<line x1="{_PAD_L}" y1="{y}" x2="{_W - _PAD_R}" y2="{y}" stroke="#eee"/>'
            f'<text x="{_PAD_L - 6}" y="{y + 4}" font-size="10" text-anchor="end">'
            f"{_fmt(v.quantize(Decimal('0.01')))}</text>"
        )
    for t in (t0, (t0 + t1) / 2, t1):
        x, _ = xy(t, lo)
        parts.append(f'<text x="{x}" y="{_H - 10}" font-size="10" text-anchor="middle">{t:.0f}s</text>')
    if points:
        path = " ".join(f"{x},{y}" for x, y in (xy(t, v) for t, v in points))
        parts.append(
            f'<polyline class="series" fill="none" stroke="#3366cc" stroke-width="1.5" points="{path}"/>'
        )
    for m in markers:
        x, y = xy(m.t, m.price)
        tip = (
            f"M{x - 6},{y + 5} L{x + 6},{y + 5} L{x},{y - 6} Z"
            if m.side == "BUY"
            else f"M{x - 6},{y - 5} L{x + 6},{y - 5} L{x},{y + 6} Z"
        )
        parts.append(
            f'<path class="fill-{m.side.lower()}" d="{tip}" fill="{_COLORS.get(m.side, "#555")}" '
            f'stroke="#000" stroke-width="0.5"><title>{escape(m.label)}</title></path>'
        )
    parts.append("</svg>")
    return "".join(parts)


def equity_svg(record: DemoRecord) -> str:
    return line_chart(
        record.equity, title=f"equity ({QUOTE}, balances at the book's mid)", css_class="equity"
    )


def price_svg(record: DemoRecord, symbol: str) -> str:
    markers = [
        Marker(
            f.t, f.price, f.side, f"{f.side} {_fmt(f.qty)} {symbol} @ {_fmt(f.price)} ({f.client_order_id})"
        )
        for f in record.fills
        if f.symbol == symbol
    ]
    return line_chart(
        record.prices.get(symbol, []),
        title=f"{symbol} mid price, fills marked",
        markers=markers,
        css_class=f"price price-{symbol.lower()}",
    )


def _rows(rows: Sequence[Sequence[object]], header: Sequence[str], css: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _orders_table(record: DemoRecord) -> str:
    rows = []
    for o in record.orders:
        intent = o.intent
        avg = o.avg_price
        fills = (
            f"{len(o.fills)} ({_fmt(o.executed_qty)} @ {_fmt(avg)})" if avg is not None else str(len(o.fills))
        )
        rows.append(
            (
                o.client_order_id,
                o.symbol,
                intent.side,
                intent.type,
                _fmt(intent.quantity) if intent.quantity is not None else "-",
                _fmt(intent.price) if intent.price is not None else "market",
                str(o.state),
                fills,
            )
        )
    return _rows(
        rows, ("client order id", "symbol", "side", "type", "qty", "price", "state", "fills"), "orders"
    )


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


_CSS = """body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f4f4f4}
code{background:#f4f4f4;padding:1px 4px}svg{display:block;margin:8px 0;border:1px solid #ddd}"""


def render_report(record: DemoRecord, summary: DemoSummary) -> str:
    charts = "".join(price_svg(record, s) for s in record.symbols)
    journal = escape(str(summary.journal_path))
    title = escape(f"{record.title} report")
    faults = (
        f"<h2>Faults and recovery</h2>{_faults_table(record)}"
        f"<h2>Emergency stop</h2><pre>{escape(chr(10).join(summary.emergency) or 'not run')}</pre>"
    )
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>{title}</h1>"
        f"<p>venue <b>{escape(record.venue)}</b> at <code>{escape(record.exchange_url)}</code>; "
        f"journal <code class=journal>{journal}</code> "
        f"(<code>tradeexec journal show --path {journal}</code>)</p>"
        f"<h2>Summary</h2>{_rows(summary.rows(), ('what', 'value'), 'summary')}"
        f"<h2>Equity</h2>{equity_svg(record)}"
        f"<h2>Prices and fills</h2>{charts}"
        f"<h2>Orders</h2>{_orders_table(record)}"
        f"{faults if record.with_faults else ''}"
        f"</body></html>\n"
    )


def write_report(record: DemoRecord, summary: DemoSummary, path: Path) -> Path:
    """Write the report (creating its directory) and note its path in the summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    summary.report_path = path
    path.write_text(render_report(record, summary), encoding="utf-8")
    return path
