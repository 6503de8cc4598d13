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
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeexec.cli_common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    add_command,
    decimal_arg,
    seconds_arg,
    to_json,
)
from tradeexec.config import Venue, load_settings

_ALIASES = {"testnet": Venue.SPOT_TESTNET, "live": Venue.SPOT}
_SPOT_VENUES = (Venue.LOCAL, Venue.SPOT_TESTNET, Venue.SPOT_DEMO, Venue.SPOT)
LIVE_NOTIONAL = Decimal("20")

_EX_DEMO = """  tradeexec demo                            # about a minute, no keys, no network
  tradeexec demo --duration 10 --journal-dir ./demo-run --json
  tradeexec demo --report demo.html --screenshot demo.svg
  BINANCE_API_KEY=... BINANCE_API_SECRET=... tradeexec demo --venue testnet
  tradeexec demo --venue live --i-understand-live --notional 20   # real money
  in a terminal it draws a live view; in a pipe it prints one line per event.
"""


def register(sub: Any) -> None:
    demo = add_command(
        sub, "demo", "run the built-in strategy, by default on an embedded exchange", _EX_DEMO, _cmd_demo
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


def demo_target(args: argparse.Namespace) -> DemoTarget:
    """Resolve ``--venue`` / ``--base-url`` and refuse what must not start."""
    raw = getattr(args, "venue", None)
    venue = None if raw is None else _ALIASES.get(str(raw).lower()) or Venue.parse(raw)
    base_url = getattr(args, "base_url", None)
    if venue not in (None, *_SPOT_VENUES):
        raise UsageError(f"the demo trades spot, not {venue.value}", "use --venue testnet or --venue live")
    if venue is Venue.SPOT and not args.i_understand_live:
        raise UsageError(
            "--venue live trades real money and needs --i-understand-live",
            "add --i-understand-live, or try --venue testnet first",
        )
    notional = args.notional or (LIVE_NOTIONAL if venue is Venue.SPOT else Decimal("2000"))
    if base_url is None and venue in (None, Venue.LOCAL):
        return DemoTarget(None, None, notional)
    settings = load_settings(venue=venue, base_url=base_url)
    if not settings.credentials.api_key or not settings.credentials.can_sign:
        where = (
            "https://testnet.binance.vision" if venue is Venue.SPOT_TESTNET else "your Binance API settings"
        )
        raise UsageError(
            f"no API key to trade on {settings.venue.value}",
            f"export BINANCE_API_KEY=... BINANCE_API_SECRET=... (keys from {where})",
        )
    return DemoTarget(settings.venue, base_url, notional)


def _cmd_demo(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tradeexec.demo import DemoRecord, run_demo
    from tradeexec.demo_report import write_report
    from tradeexec.demo_view import DemoView, live_view, screenshot, summary_table

    target = demo_target(args)
    journal_dir = (
        Path(args.journal_dir) if args.journal_dir else Path(tempfile.mkdtemp(prefix="tradeexec-demo-"))
    )
    journal_dir.mkdir(parents=True, exist_ok=True)
    console = Console()
    interactive = console.is_terminal and not args.json
    record = DemoRecord()
    view = DemoView(record, duration_s=args.duration, console=console)

    def say(line: str) -> None:
        if not args.json and not interactive:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    async def run() -> Any:
        shown = live_view(view) if interactive else contextlib.nullcontext(view)
        async with shown:
            return await run_demo(
                args.duration,
                journal_dir=journal_dir,
                say=say,
                record=record,
                venue=target.venue,
                base_url=target.base_url,
                notional=target.notional,
            )

    summary = asyncio.run(run())
    write_report(record, summary, Path(args.report) if args.report else journal_dir / "report.html")
    if args.screenshot:
        screenshot([view.render(), summary_table(summary)], Path(args.screenshot))
    if args.json:
        sys.stdout.write(to_json(summary.to_json()) + "\n")
    else:
        console.print(summary_table(summary))
        console.print(f"HTML report: {summary.report_path}", soft_wrap=True)
    sys.stdout.flush()
    return EXIT_OK if summary.duplicates == 0 else EXIT_FAILURE
