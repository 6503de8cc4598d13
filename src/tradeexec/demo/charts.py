"""SVG line charts for the demo's HTML report, drawn here with no library and no script.

Values become floats only as pixel coordinates; every number written on a chart (axis
labels, tooltips) is formatted from the exact Decimal by the caller's ``fmt``, so a price
axis reads in the symbol's ticks and an equity axis in cents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

__all__ = ["Marker", "line_chart"]

_W, _H = 900, 250
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 84, 18, 30, 30
_COLORS = {"BUY": "#1a9850", "SELL": "#d73027"}


@dataclass(frozen=True, slots=True)
class Marker:
    t: float
    price: Decimal
    side: str  # BUY or SELL
    label: str


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def line_chart(
    points: Sequence[tuple[float, Decimal]],
    *,
    title: str,
    markers: Sequence[Marker] = (),
    css_class: str = "chart",
    fmt: Callable[[Decimal], str] = _plain,
    span: tuple[float, float] | None = None,
) -> str:
    """An SVG line chart of ``points`` (seconds, value) with optional buy/sell markers;
    ``span`` fixes the time axis, so charts of one run line up under each other."""
    values = [v for _, v in points] + [m.price for m in markers]
    times = [t for t, _ in points] + [m.t for m in markers]
    head = (
        f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}">'
        f'<rect width="{_W}" height="{_H}" fill="#fff"/>'
        f'<text x="{_PAD_L}" y="19" font-size="13" font-weight="bold">{escape(title)}</text>'
    )
    if not values:
        return head + f'<text x="{_W / 2}" y="{_H / 2}" text-anchor="middle">no data</text></svg>'
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    t0, t1 = span or (min(times), max(times))
    span_t = (t1 - t0) or 1.0
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B

    def xy(t: float, v: Decimal) -> tuple[float, float]:
        x = _PAD_L + (t - t0) / span_t * plot_w
        y = _PAD_T + (1 - float((v - lo) / (hi - lo))) * plot_h
        return round(x, 1), round(y, 1)

    parts = [head]
    for i in range(5):  # horizontal grid with the value at each line
        v = lo + (hi - lo) * i / 4
        _, y = xy(t0, v)
        parts.append(
            f'<line x1="{_PAD_L}" y1="{y}" x2="{_W - _PAD_R}" y2="{y}" stroke="#e4e4e4"/>'
            f'<text x="{_PAD_L - 6}" y="{y + 4}" font-size="11" text-anchor="end" fill="#444">'
            f"{escape(fmt(v))}</text>"
        )
    for t in (t0, (t0 + t1) / 2, t1):
        x, _ = xy(t, lo)
        parts.append(
            f'<text x="{x}" y="{_H - 9}" font-size="11" text-anchor="middle" fill="#444">{t:.0f}s</text>'
        )
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
