"""The ``tradeexec`` command.

Exit codes tell a script what went wrong without parsing text: 0 success, 2 the user's input
was refused (nothing sent), 3 the exchange rejected the request (or, for ``keys check``, the
key is unsafe), 1 anything else (network, exchange failure, an incomplete emergency stop).
Errors print one line and a hint, never a traceback unless ``--debug``. The commands live in
the modules beside this one (``demo``, ``run``, ``local``, ``market``, ``stream``,
``account``, ``orders``, ``futures``, ``futures_orders``, ``safety``); this module builds the
parser and maps exceptions to exit codes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from tradeexec import __version__
from tradeexec.cli import account, demo, futures, local, market, orders, run, safety, stream
from tradeexec.cli.common import (
    EXIT_FAILURE,
    EXIT_REJECTED,
    EXIT_USER_ERROR,
    CommandFailed,
    UsageError,
    UserAbort,
    add_common,
    to_json,
)
from tradeexec.errors import (
    BinanceAPIError,
    ConfigError,
    ConfigFileError,
    InvalidParameter,
    JournalError,
    OrderStatusUnknown,
    RateLimitBanActive,
    StrategyFailed,
    StrategyLoadError,
    TradeexecError,
)

__all__ = ["EXIT_FAILURE", "EXIT_REJECTED", "EXIT_USER_ERROR", "build_parser", "main"]

_EPILOG_MAIN = """examples:
  tradeexec demo --duration 30
  tradeexec demo --venue testnet              # same strategy on the Binance spot testnet
  tradeexec run my_strategy.py --duration 60  # your async def strategy(ctx), see the README
  tradeexec config check                      # the settings in effect and where each came from
  tradeexec --base-url http://127.0.0.1:8765 stream btcusdt@trade btcusdt@depth5@100ms --count 20
  tradeexec sim serve --port 8765
  tradeexec --base-url http://127.0.0.1:8765 price BTCUSDT
  tradeexec --base-url http://127.0.0.1:8765 book BTCUSDT --depth 5 --json
  tradeexec --base-url http://127.0.0.1:8765 order buy BTCUSDT 0.001 --price 20000
  tradeexec --base-url http://127.0.0.1:8765 cancel BTCUSDT --all
  tradeexec positions                         # USDT-M futures; also leverage, margin-type,
  tradeexec orders --product usdm             #   position-mode, income; --product usdm on
                                              #   balance, orders, order, cancel, emergency-stop
  tradeexec <command> --help                  # each command's options and examples

credentials come from BINANCE_API_KEY / BINANCE_API_SECRET / BINANCE_PRIVATE_KEY_PATH,
or the config file (TRADEEXEC_CONFIG, default ~/.config/tradeexec/config.toml).
exit codes: 0 ok, 2 bad input (nothing sent), 3 refused by the exchange, 1 other failure.
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and a hint, like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message}\nhint: see '{self.prog} --help'\n")
        sys.exit(EXIT_USER_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tradeexec",
        description="Exactly-once execution for Binance, and a Binance-compatible local exchange.",
        epilog=_EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(parser, top=True)
    parser.add_argument("--version", action="version", version=f"tradeexec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (demo, run, local, market, stream, account, orders, futures, safety):
        module.register(sub)
    return parser


# The first matching class decides: subclasses come before their bases.
_OUTCOMES: tuple[tuple[type[BaseException], int, str], ...] = (
    (KeyboardInterrupt, EXIT_FAILURE, "interrupted; check 'tradeexec orders --open' for what was sent"),
    (UserAbort, EXIT_USER_ERROR, "nothing was done"),
    (UsageError, EXIT_USER_ERROR, "nothing was done"),
    (CommandFailed, EXIT_FAILURE, ""),
    (InvalidParameter, EXIT_USER_ERROR, "nothing was sent; check the arguments (see --help)"),
    (ConfigFileError, EXIT_USER_ERROR, "fix the file; 'tradeexec config check' shows the settings in effect"),
    (StrategyLoadError, EXIT_USER_ERROR, "see 'Your first strategy' in the README"),
    (ConfigError, EXIT_USER_ERROR, "check the credentials and --venue / --base-url (see --help)"),
    (BinanceAPIError, EXIT_REJECTED, "the exchange refused the request"),
    (OrderStatusUnknown, EXIT_FAILURE, "check with 'tradeexec orders --open' before retrying"),
    (RateLimitBanActive, EXIT_FAILURE, "wait for the rate-limit ban to end"),
    (JournalError, EXIT_FAILURE, "the journal was left as it is; nothing was sent"),
    (StrategyFailed, EXIT_FAILURE, "fix the strategy; its resting orders were cancelled"),
    (TradeexecError, EXIT_FAILURE, "is the exchange reachable at --base-url / --venue?"),
    (OSError, EXIT_FAILURE, "is the exchange reachable at --base-url / --venue?"),
)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Without --debug the command reports what matters itself, in one line; library log
    # lines would only break the one-line promise.
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.CRITICAL, stream=sys.stderr)
    try:
        code: int = args.handler(args)
        return code
    except (Exception, KeyboardInterrupt) as exc:
        if args.debug:
            raise
        return _fail(args, exc)


def _fail(args: argparse.Namespace, exc: BaseException) -> int:
    """One line saying what went wrong and one saying what to do; a bug is no exception."""
    code, hint = next(
        ((code, hint) for kind, code, hint in _OUTCOMES if isinstance(exc, kind)),
        (EXIT_FAILURE, "this is a bug: rerun with --debug and report it"),
    )
    if isinstance(exc, UsageError | CommandFailed):
        hint = exc.hint
    message = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, TradeexecError | UserAbort | UsageError | CommandFailed):
        message = f"{type(exc).__name__}: {message}"
    if args.json:
        sys.stderr.write(to_json({"error": message, "hint": hint, "exit_code": code}) + "\n")
    else:
        sys.stderr.write(f"error: {message}\nhint: {hint}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
