"""``tradeexec demo``: the demo run, its live view, its summary table and its HTML report.

The choice of venue is checked before anything starts: a real venue needs keys that can
sign, and the live exchange needs ``--i-understand-live`` on top, so a typo can never trade
real money. Keys come from the environment like every other command (``load_settings``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeexec.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    add_command,
    decimal_arg,
    seconds_arg,
    to_json,
)
from tradeexec.config import Venue, load_settings

if TYPE_CHECKING:
    from tradeexec.demo.record import DemoRecord, DemoSummary

_ALIASES = {"testnet": Venue.SPOT_TESTNET, "live": Venue.SPOT}
_SPOT_VENUES = (Venue.LOCAL, Venue.SPOT_TESTNET, Venue.SPOT_DEMO, Venue.SPOT)
LIVE_NOTIONAL = Decimal("20")

_EX_DEMO = """  tradeexec demo                            # about a minute, no keys, no network
  tradeexec demo --duration 10 --journal-dir ./demo-run --json
  tradeexec demo --report demo.html --screenshot demo.svg
  tradeexec demo --product usdm             # USDⓈ-M futures, 5x, long and short
  BINANCE_API_KEY=... BINANCE_API_SECRET=... tradeexec demo --venue testnet
  tradeexec demo --venue live --i-understand-live --notional 20   # real money
  in a terminal it draws a live view; in a pipe it prints one line per event.
"""


def register(sub: Any) -> None:
    demo = add_command(
        sub, "demo", "run the built-in strategy, by default on an embedded exchange", _EX_DEMO, _cmd_demo
    )
    demo.add_argument(
        "--product",
        choices=("spot", "usdm"),
        default="spot",
        help="spot (default) or usdm: USDⓈ-M futures with leverage, on the embedded exchange only",
    )
    demo.add_argument("--duration", type=seconds_arg, default=60.0, help="seconds of trading (default 60)")
    demo.add_argument("--journal-dir", help="where to keep the journal (default: a new temp dir)")
    demo.add_argument("--report", help="HTML report path (default: report.html in the journal dir)")
    demo.add_argument("--screenshot", help="save the view's last frame: .svg, .html, or text")
    demo.add_argument(
        "--notional", type=decimal_arg, help=f"USDT per long position (default 2000; {LIVE_NOTIONAL} on live)"
    )
    demo.add_argument(
        "--i-understand-live",
        action="store_true",
        help="required with --venue live: the demo then trades real money",
    )


@dataclass(frozen=True, slots=True)
class DemoTarget:
    """Where the demo trades: ``venue`` None means the embedded local exchange."""

    venue: Venue | None
    base_url: str | None
    notional: Decimal


def trading_venue(
    raw: str | None, base_url: str | None, *, live_ok: bool, command: str
) -> tuple[Venue | None, str | None]:
    """Resolve a venue name (``testnet`` and ``live`` are aliases) and refuse what must not
    start: a venue that is not spot, live without ``--i-understand-live``, a real venue
    without keys that can sign. ``(None, None)`` is the embedded local exchange."""
    venue = None if raw is None else _ALIASES.get(str(raw).lower()) or Venue.parse(raw)
    if venue not in (None, *_SPOT_VENUES):
        raise UsageError(
            f"the {command} trades spot, not {venue.value}", "use --venue testnet or --venue live"
        )
    if venue is Venue.SPOT and not live_ok:
        raise UsageError(
            "--venue live trades real money and needs --i-understand-live",
            "add --i-understand-live, or try --venue testnet first",
        )
    if base_url is None and venue in (None, Venue.LOCAL):
        return None, None
    settings = load_settings(venue=venue, base_url=base_url)
    if not settings.credentials.api_key or not settings.credentials.can_sign:
        where = (
            "https://testnet.binance.vision" if venue is Venue.SPOT_TESTNET else "your Binance API settings"
        )
        raise UsageError(
            f"no API key to trade on {settings.venue.value}",
            f"export BINANCE_API_KEY=... BINANCE_API_SECRET=... (keys from {where})",
        )
    return settings.venue, base_url


def demo_target(args: argparse.Namespace) -> DemoTarget:
    """Resolve ``--venue`` / ``--base-url`` and refuse what must not start."""
    raw, base = getattr(args, "venue", None), getattr(args, "base_url", None)
    if getattr(args, "product", "spot") != "spot" and (base is not None or str(raw or "local") != "local"):
        raise UsageError(
            "--product usdm runs on the embedded local exchange only",
            "leave out --venue and --base-url (the futures demo on a real account is not offered)",
        )
    venue, base_url = trading_venue(raw, base, live_ok=args.i_understand_live, command="demo")
    notional = args.notional or (LIVE_NOTIONAL if venue is Venue.SPOT else Decimal("2000"))
    return DemoTarget(venue, base_url, notional)


def _cmd_demo(args: argparse.Namespace) -> int:
    from tradeexec.demo.run import run_demo

    target = demo_target(args)
    journal_dir = Path(args.journal_dir) if args.journal_dir else None
    return present_run(
        args,
        args.duration,
        journal_dir,
        lambda record, say, where: run_demo(
            args.duration,
            journal_dir=where,
            say=say,
            record=record,
            venue=target.venue,
            base_url=target.base_url,
            notional=target.notional,
            product=args.product,
        ),
    )


RunFn = Callable[["DemoRecord", Callable[[str], None], Path], Awaitable["DemoSummary"]]


def present_run(args: argparse.Namespace, duration_s: float, journal_dir: Path | None, run_fn: RunFn) -> int:
    """Run ``run_fn`` (the demo or a user's strategy) with the live view in a terminal, one
    line per event in a pipe, nothing but the summary with ``--json``; then write the HTML
    report (and the screenshot) and print the summary. ``args`` has ``report``,
    ``screenshot`` and ``json``. Exit 1 when the exchange shows a duplicate order."""
    from rich.console import Console

    from tradeexec.demo.record import DemoRecord
    from tradeexec.demo.report import write_report
    from tradeexec.demo.view import DemoView, live_view, screenshot, summary_table

    where = journal_dir or Path(tempfile.mkdtemp(prefix=f"tradeexec-{args.command}-"))
    where.mkdir(parents=True, exist_ok=True)
    console = Console()
    interactive = console.is_terminal and not args.json
    record = DemoRecord()
    view = DemoView(record, duration_s=duration_s, console=console)

    def say(line: str) -> None:
        if not args.json and not interactive:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    async def run() -> DemoSummary:
        shown = live_view(view) if interactive else contextlib.nullcontext(view)
        async with shown:
            return await run_fn(record, say, where)

    summary = asyncio.run(run())
    write_report(record, summary, Path(args.report) if args.report else where / "report.html")
    if args.screenshot:
        screenshot([view.render(), summary_table(summary)], Path(args.screenshot))
    if args.json:
        sys.stdout.write(to_json(summary.to_json()) + "\n")
    else:
        console.print(summary_table(summary))
        console.print(f"HTML report: {summary.report_path}", soft_wrap=True)
    sys.stdout.flush()
    return EXIT_OK if summary.duplicates == 0 else EXIT_FAILURE
