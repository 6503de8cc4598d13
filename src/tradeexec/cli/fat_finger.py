"""The fat-finger check of ``tradeexec order`` (spot and futures alike).

A price typed by hand is one slipped digit away from buying at twice the market: a BUY priced
more than ``--max-deviation`` percent above the mark, or a SELL that far below it, is refused
locally (exit 2) naming the rule and the distance.
"""

from __future__ import annotations

import argparse
import os
from decimal import Decimal

from tradeexec.cli.common import UsageError
from tradeexec.config import locate_config
from tradeexec.config_file import read_config

__all__ = ["MAX_DEVIATION_PCT", "check_fat_finger", "max_deviation"]

MAX_DEVIATION_PCT = Decimal(5)


def max_deviation(args: argparse.Namespace) -> Decimal:
    """``--max-deviation`` > the config file's ``[risk] max_price_deviation_pct`` > 5%."""
    if args.max_deviation is not None:
        return Decimal(args.max_deviation)
    path, named = locate_config(None, os.environ)
    configured = read_config(path, required=named).risk.get("max_price_deviation_pct")
    return MAX_DEVIATION_PCT if configured is None else Decimal(configured)


def check_fat_finger(side: str, price: Decimal, mark: Decimal, max_pct: Decimal) -> None:
    """Refuse a BUY more than ``max_pct`` percent above ``mark`` or a SELL that far below."""
    through = (price - mark) if side == "BUY" else (mark - price)
    pct = through / mark * 100
    if pct > max_pct:
        where = "above" if side == "BUY" else "below"
        raise UsageError(
            f"fat-finger check: {side} limit {price} is {pct:.2f}% {where} the mark {mark} "
            f"(rule: at most {max_pct}% through the mark); nothing was sent",
            "check the price, or pass --allow-far-price (or --max-deviation PCT)",
        )
