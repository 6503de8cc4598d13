"""The demo's live terminal view: one screen drawn from a ``DemoRecord`` while the run goes.

The view only reads the record; it is redrawn from the event loop (never from rich's refresh
thread, which would read the record while the loop changes it), at most
``refresh_per_second`` times a second, so a fast market cannot make the terminal the
bottleneck. Off a terminal the demo prints plain log lines instead and the view is not used,
except to render one frame on request (``screenshot``), which is how the README's picture
and the tests get a real frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal
from pathlib import Path

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from tradeexec.demo.figures import money
from tradeexec.demo.record import QUOTE, DemoRecord, DemoSummary, FillMark
from tradeexec.venue.positions import MarginMode

__all__ = ["DemoView", "live_view", "screenshot", "summary_table"]

_SIDE_STYLE = {"BUY": "green", "SELL": "red"}
_FAULT_STYLE = {"recovered": "green", "recovering": "yellow", "waiting to fire": "dim"}


def _signed(value: Decimal) -> Text:
    """A quote amount to the cent, coloured by the sign of what is shown (no red "0.00")."""
    shown = money(value)
    cents = Decimal(shown)
    return Text(
        ("+" if cents > 0 else "") + shown, style="green" if cents > 0 else "red" if cents < 0 else ""
    )


_TEXT_COLUMNS = {"symbol", "order", "fault", "what", "side", "budget", "leg", "margin"}


def _table(*columns: str) -> Table:
    """Numbers never wrap and are never cut: a numeric column is as wide as its widest
    figure, and only the text columns (``_TEXT_COLUMNS``) give way when space is short."""
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_edge=False)
    for name in columns:
        text = name in _TEXT_COLUMNS or name == "what"
        table.add_column(name, justify="left" if text else "right", no_wrap=not text, overflow="fold")
    return table


class _Pair:
    """Two panels side by side when each gets at least ``min_width`` columns, one above the
    other when not: an 80 or 100 column terminal gets whole numbers, not two cut columns."""

    def __init__(self, left: RenderableType, right: RenderableType, min_width: int = 74) -> None:
        self.left, self.right, self.min_width = left, right, min_width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width >= 2 * self.min_width + 1:
            grid = Table.grid(expand=True, padding=(0, 1))
            grid.add_column(ratio=1)
            grid.add_column(ratio=1)
            grid.add_row(self.left, self.right)
            yield grid
        else:
            yield self.left
            yield self.right


class DemoView:
    """Panels for prices and book tops, positions and PnL, open orders, fills, faults and
    their recovery, the rate-limit budgets and the latest events."""

    def __init__(
        self, record: DemoRecord, *, duration_s: float, console: Console | None = None, rows: int = 8
    ) -> None:
        self.record = record
        self.duration_s = duration_s
        self.console = console or Console()
        self.rows = rows

    def render(self) -> RenderableType:
        if self.record.leg_reads is not None:  # a futures run: the legs take the full width
            return Group(
                self._header(),
                self._legs(),
                _Pair(self._market(), self._open_orders()),
                _Pair(self._fills(), self._faults()),
                self._rate_limits(),
                self._events(),
            )
        return Group(
            self._header(),
            _Pair(self._market(), self._positions()),
            _Pair(self._open_orders(), self._fills()),
            self._faults_and_limits(),
            self._events(),
        )

    def _faults_and_limits(self) -> RenderableType:
        if not self.record.with_faults:
            return self._rate_limits()
        return _Pair(self._faults(), self._rate_limits())

    def _header(self) -> Text:
        r = self.record
        stream = {"connected": "green", "disconnected": "red"}.get(r.stream_state, "yellow")
        text = Text.assemble(
            (r.title, "bold"),
            f"  {r.venue} {r.exchange_url}  ",
            (r.phase, "bold cyan"),
            f" {min(r.elapsed(), self.duration_s):.1f}s/{self.duration_s:g}s  stream ",
            (r.stream_state, stream),
            f", {r.reconnects} reconnect{'' if r.reconnects == 1 else 's'}",
        )
        return text

    def _market(self) -> Panel:
        table = _table("symbol", "last trade", "bid", "ask", "spread", "book")
        for symbol in self.record.symbols:
            top = self.record.top(symbol)
            book = self.record.books.books.get(symbol) if self.record.books is not None else None
            state = "-" if book is None else ("in sync" if book.in_sync else "resyncing")
            price = self.record.grid(symbol).price
            table.add_row(
                symbol,
                price(self.record.last_trade.get(symbol)),
                price(top[0]) if top else "-",
                price(top[1]) if top else "-",
                price(top[1] - top[0]) if top else "-",
                Text(state, style="green" if state == "in sync" else "yellow"),
            )
        return Panel(table, title="market (stream + local order book)", border_style="blue")

    def _positions(self) -> Panel:
        table = _table("symbol", "qty", "entry", "mark", "unrealized", "realized")
        positions = self.record.positions
        if positions is not None:
            for symbol in self.record.symbols:
                pos = positions.position(symbol)
                if pos is None:
                    continue
                mark = self.record.mark(symbol)
                grid = self.record.grid(symbol)
                table.add_row(
                    symbol,
                    grid.held(pos.quantity),
                    grid.price(pos.avg_entry_price),
                    grid.price(mark),
                    _signed(pos.unrealized_pnl(mark) if mark else Decimal(0)),
                    _signed(pos.realized_pnl),
                )
        return Panel(Group(table, self._equity()), title="positions and PnL", border_style="blue")

    def _equity(self) -> Text:
        equity = self.record.equity
        if not equity:
            return Text("equity -")
        start, now = equity[0][1], equity[-1][1]
        return Text.assemble(f"equity {money(now)} {QUOTE}   PnL ", _signed(now - start))

    def _legs(self) -> Panel:
        """A futures run: each leg as the venue last stated it (about once a second), the
        quantity the order manager tracks beside it, and the funding each symbol received
        (+) or paid (-) by the venue's income history."""
        table = _table(
            "symbol", "leg", "qty", "tracked", "entry", "mark", "lev", "margin", "liq", "uPnL", "funding"
        )  # fmt: skip
        r = self.record
        legs = r.positions.legs if r.positions is not None else None
        for (symbol, leg), read in sorted((r.leg_reads or {}).items()):
            tracked = legs.get(symbol, read.leg) if legs is not None else None
            grid = r.grid(symbol)
            table.add_row(
                symbol,
                leg,
                grid.held(read.quantity),
                grid.held(tracked.quantity) if tracked is not None else "-",
                grid.price(read.entry_price),
                grid.price(read.mark_price),
                f"{read.leverage:f}x" if read.leverage is not None else "-",
                "cross" if read.margin_mode is MarginMode.CROSSED else "isolated",
                grid.price(read.liquidation_price) if read.liquidation_price else "-",
                _signed(read.unrealized_pnl),
                _signed(r.funding.get(symbol, Decimal(0))),
            )
        for symbol, amount in sorted(r.funding.items()):
            if not any(s == symbol for s, _ in r.leg_reads or {}):
                table.add_row(symbol, "flat", *["-"] * 8, _signed(amount))
        return Panel(Group(table, self._equity()), title="futures legs and PnL", border_style="blue")

    def _open_orders(self) -> Panel:
        table = _table("order", "symbol", "side", "qty", "price", "state")
        for o in self.record.open_orders()[-self.rows :]:
            grid = self.record.grid(o.symbol)
            table.add_row(
                o.client_order_id,
                o.symbol,
                Text(str(o.side), _SIDE_STYLE.get(str(o.side), "")),
                grid.qty(o.intent.quantity),
                grid.price(o.intent.price) if o.intent.price else "market",
                str(o.state),
            )
        count = len(self.record.orders)
        return Panel(table, title=f"open orders ({count} submitted in all)", border_style="blue")

    def _fills(self) -> Panel:
        table = _table("time", "symbol", "side", "qty", "price")
        fills = self._fill_marks()
        for f in fills[-self.rows :]:
            grid = self.record.grid(f.symbol)
            table.add_row(
                f"{f.t:6.1f}s",
                f.symbol,
                Text(f.side, _SIDE_STYLE.get(f.side, "")),
                grid.qty(f.qty),
                grid.price(f.price),
            )
        return Panel(table, title=f"recent fills ({len(fills)})", border_style="blue")

    def _fill_marks(self) -> list[FillMark]:
        """The fills the order manager saw while the run goes; once the exchange's record is
        read, its trades (the emergency stop's sales too)."""
        r = self.record
        if r.exchange is None:
            return r.fills
        return [
            FillMark(t.time / 1000 - r.started, t.symbol, "BUY" if t.is_buyer else "SELL", t.price, t.qty,
                     r.exchange.client_order_id(t))
            for t in sorted(r.exchange.trades, key=lambda t: (t.time, t.id))
        ]  # fmt: skip

    def _faults(self) -> Panel:
        table = _table("fault", "armed", "hit", "status", "what")
        for f in self.record.faults:
            hit = f"{f.fired_s:.1f}s" if f.fired_s is not None else "-"
            what = f.recovery or (f.order.client_order_id if f.order is not None else "")
            table.add_row(
                f.kind, f"{f.armed_s:.1f}s", hit, Text(f.status, _FAULT_STYLE.get(f.status, "")), what
            )
        return Panel(table, title="faults injected and recovery", border_style="magenta")

    def _rate_limits(self) -> Panel:
        table = _table("budget", "window", "used", "allowed", "")
        for u in self.record.rate_limits:
            table.add_row(
                str(u.rate_limit_type),
                u.interval,
                str(u.used),
                str(u.allowed),
                ProgressBar(total=max(u.allowed, 1), completed=u.used, width=16),
            )
        return Panel(table, title="rate-limit budget in use", border_style="blue")

    def _events(self) -> Panel:
        lines = list(self.record.events)[-self.rows :]
        body = Text("\n").join(Text(f"{t:6.1f}s  {msg}", style=_event_style(msg)) for t, msg in lines)
        return Panel(body, title="events", border_style="blue")


def _event_style(msg: str) -> str:
    if msg.startswith(("FAULT", "market stream disconnected")):
        return "yellow"
    if msg.startswith(("RECOVERED", "market stream reconnected", "book ")):
        return "green"
    return "bold red" if msg.startswith("EMERGENCY") else ""


@contextlib.asynccontextmanager
async def live_view(view: DemoView, *, refresh_per_second: float = 4.0) -> AsyncIterator[DemoView]:
    """Redraw ``view`` in place until the block ends, then leave its last frame on screen."""
    from rich.live import Live

    async def refresh(live: Live) -> None:
        while True:
            await asyncio.sleep(1.0 / refresh_per_second)
            live.update(view.render(), refresh=True)

    with Live(view.render(), console=view.console, auto_refresh=False, transient=False) as live:
        task = asyncio.get_running_loop().create_task(refresh(live))
        try:
            yield view
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            live.update(view.render(), refresh=True)


def summary_table(summary: DemoSummary) -> Table:
    table = Table(title=summary.title, box=box.ROUNDED, show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    for name, value in summary.rows():
        table.add_row(name, value)
    return table


def screenshot(
    renderables: Iterable[RenderableType], path: Path, *, width: int = 150, title: str = "tradeexec demo"
) -> Path:
    """Render once into a recording console and save it by suffix: ``.svg`` (the README's
    picture), ``.html`` or text (anything else, what tests read)."""
    console = Console(
        record=True, width=width, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    for renderable in renderables:
        console.print(renderable)
    if path.suffix == ".svg":
        console.save_svg(str(path), title=title)
    elif path.suffix == ".html":
        console.save_html(str(path))
    else:
        console.save_text(str(path))
    return path
