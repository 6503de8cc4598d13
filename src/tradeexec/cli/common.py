"""What every ``tradeexec`` command shares: exit codes, the common flags, output and the client.

Kept apart from the command modules so that each of them can register its commands without
importing the others, and so that the output rules (``--json`` on stdout, progress and errors
on stderr, Decimal as text) are written once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from tradeexec.plain_numbers import PLAIN_INTEGER, RULE, is_plain_decimal

if TYPE_CHECKING:
    from tradeexec.binance import BinanceClient

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USER_ERROR = 2
EXIT_REJECTED = 3

Handler = Callable[[argparse.Namespace], int]


class UserAbort(Exception):
    """The user declined a confirmation; nothing was done."""


class CommandFailed(Exception):
    """A command could not do what it was asked for a reason outside the user's input (exit
    1); ``hint`` is what to check, printed on the line after the message."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(Exception):
    """A command refused its arguments or environment before doing anything; ``hint`` is
    the fix, printed on the line after the message."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def _ascii(text: str) -> str:
    """Python's number parsers read any script's digits ("٣" is 3, "１２" is 12); a command
    line that means money or ids takes only what the user can see is ASCII."""
    if not text.isascii():
        raise argparse.ArgumentTypeError(f"{text!r} has non-ASCII characters: write numbers with digits 0-9")
    return text


def _plain_number(text: str, what: str) -> str:
    """Python's number parsers also take ``0.0_5`` for 0.05, ``1e3``, ``inf`` and spaces; a
    command line that means money, ids or time takes plain ASCII decimals only (argparse puts
    the argument's name before the message)."""
    if not is_plain_decimal(_ascii(text)):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}: {RULE}")
    return text


def int_arg(text: str) -> int:
    """A whole number in ASCII digits; ranges are the option's own business."""
    if PLAIN_INTEGER.fullmatch(_ascii(text)) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number: write digits 0-9 only")
    return int(text)


def seconds_arg(text: str) -> float:
    """A positive number of seconds in plain ASCII decimal notation."""
    value = float(_plain_number(text, "a number of seconds"))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number of seconds")
    return value


def decimal_arg(text: str) -> Decimal:
    """A positive decimal in plain ASCII notation, kept exactly as written."""
    value = Decimal(_plain_number(text, "a plain decimal number"))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def time_arg(text: str) -> int:
    """Epoch milliseconds, or an ISO 8601 date/time (UTC unless it names a zone)."""
    if _ascii(text).isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither epoch milliseconds nor an ISO date like 2024-01-31T12:00"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def iso_time(ms: int | None) -> str:
    """Epoch milliseconds as an ISO 8601 UTC time to the millisecond ("" for None)."""
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def add_common(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """The flags every command takes. Subcommand copies default to SUPPRESS so that a flag
    given before the subcommand (``tradeexec --json price X``) is not reset by the
    subcommand's own default; the top-level parser holds the real defaults."""

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    p.add_argument("--venue", default=default(None), help="local (default), spot, spot-testnet, ...")
    p.add_argument("--base-url", default=default(None), help="REST base URL, e.g. http://127.0.0.1:8765")
    p.add_argument("--json", action="store_true", default=default(False), help="machine-readable output")
    p.add_argument(
        "--debug", action="store_true", default=default(False), help="show tracebacks and debug logs"
    )


def add_command(
    sub: Any, name: str, help_text: str, epilog: str, handler: Handler
) -> argparse.ArgumentParser:
    """A subcommand with the common flags, an examples epilog and its handler."""
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog="examples:\n" + epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p)
    p.set_defaults(handler=handler)
    return p


def text(value: object) -> str:
    """Decimals in plain notation (``0.00000000``, not ``0E-8``), keeping their precision."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return text(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """JSON with every Decimal as a string in plain notation, so no consumer sees a float."""
    return msgspec.json.encode(_plain(value), enc_hook=str).decode()


def emit(args: argparse.Namespace, value: Any, human: Callable[[Any], str]) -> None:
    sys.stdout.write((to_json(value) if args.json else human(value)) + "\n")
    sys.stdout.flush()


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [list(map(str, header)), *[[text(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def run_with_client(args: argparse.Namespace, fn: Callable[[BinanceClient], Awaitable[int]]) -> int:
    """Run ``fn`` with a client opened on the venue and base URL of the command line
    (credentials from the environment)."""
    from tradeexec.binance import BinanceClient

    async def run() -> int:
        async with BinanceClient(venue=args.venue, base_url=args.base_url) as client:
            return await fn(client)

    return asyncio.run(run())


async def key_problems(client: BinanceClient, *, allow_any_ip: bool) -> tuple[Any, list[str]]:
    """The key's permissions and why it must not trade, judged as the order manager judges
    them: no IP whitelist is refused on every real venue unless ``allow_any_ip`` (the
    ``--allow-any-ip`` flag) says so, and a key that can move funds is refused everywhere."""
    from tradeexec.execution.risk import RiskLimits, RiskManager, UnsafeApiKey

    restrictions = await client.api_restrictions()
    risk = RiskManager(RiskLimits(require_ip_restriction=False if allow_any_ip else None))
    try:
        risk.check_key_permissions(restrictions, local_exchange=client.settings.local_exchange)
    except UnsafeApiKey as exc:
        return restrictions, exc.reasons
    return restrictions, []


async def refuse_unsafe_key(client: BinanceClient, *, allow_any_ip: bool) -> None:
    """Before an order: raise ``UnsafeApiKey`` (exit 2, nothing sent) for a key that must not
    trade. A venue without the permission endpoint (the testnet has no ``/sapi``: 404) cannot
    be asked, as in the order manager's preflight."""
    from tradeexec.errors import BinanceAPIError
    from tradeexec.execution.risk import UnsafeApiKey

    try:
        _, reasons = await key_problems(client, allow_any_ip=allow_any_ip)
    except BinanceAPIError as exc:
        if exc.http_status != 404:
            raise
        sys.stderr.write("note: the venue cannot report the key's permissions; not checked\n")
        return
    if reasons:
        raise UnsafeApiKey(reasons)


def confirm(question: str) -> None:
    """Ask on the terminal; raise UserAbort unless the answer is ``yes``."""
    if not sys.stdin.isatty():
        raise UserAbort("no terminal to confirm on: pass --yes")
    sys.stderr.write(f"{question} Type 'yes' to go on: ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() != "yes":
        raise UserAbort("not confirmed; nothing was done")
