"""The one notation a number of money, quantity or time may be written in: plain ASCII decimal.

Python's parsers are generous in ways a trading tool must not be: ``Decimal("0.0_5")`` and
``float("1_0")`` read underscores as digit separators (so a typo places 0.05), ``"1e3"`` and
``"Infinity"`` are numbers, surrounding spaces are dropped, and any script's digits count
(``"٣"`` is 3). Binance itself accepts only ``^([0-9]{1,20})(\\.[0-9]{1,20})?$``; the text a
user or a strategy writes is held to the same shape (a leading minus is let through so that
the caller can say "must be positive" rather than "not a number").
"""

from __future__ import annotations

import re

__all__ = ["PLAIN_DECIMAL", "PLAIN_INTEGER", "RULE", "is_plain_decimal"]

PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+")
RULE = "write digits 0-9 with at most one '.', e.g. 0.05 (no '_', exponent, '+' or spaces)"


def is_plain_decimal(text: str | bytes) -> bool:
    """Whether ``text`` is a number in plain ASCII decimal notation."""
    if isinstance(text, bytes):
        if not text.isascii():
            return False
        text = text.decode("ascii")
    return text.isascii() and PLAIN_DECIMAL.fullmatch(text) is not None
