"""Client order IDs: ``{strategy}_{symbol}_{UTC yyyymmddHHMMSS}_{8 hex}``, within Binance's 36
characters. The format is also how a starting manager recognises its own orders on the
exchange when its journal lost them (``OUR_ID_RE``, ``id_prefix``: see ``adopt``).
"""

from __future__ import annotations

import functools
import re
import secrets
import time
from datetime import UTC, datetime

__all__ = ["CLIENT_ORDER_ID_RE", "MAX_CLIENT_ORDER_ID_LEN", "OUR_ID_RE", "id_prefix", "make_client_order_id"]

MAX_CLIENT_ORDER_ID_LEN = 36
CLIENT_ORDER_ID_RE = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")
# The tail of every ID made here; lets a manager recognise its own orders on the exchange
# when its journal is gone.
OUR_ID_RE = re.compile(r"_\d{14}_[0-9a-f]{8}$")
_NOT_ALLOWED = re.compile(r"[^a-zA-Z0-9-]")
_PARTS_BUDGET = MAX_CLIENT_ORDER_ID_LEN - (3 + 14 + 8)  # separators, timestamp, hex


def _clean(text: str) -> str:
    # "_" separates the parts, so inside a part it becomes "-"; anything else Binance does
    # not allow ("/" in "BTC/USDT", non-ASCII) is dropped.
    return _NOT_ALLOWED.sub("", text.replace("_", "-"))


def make_client_order_id(
    strategy: str, symbol: str, *, now: datetime | None = None, token: str | None = None
) -> str:
    """``{strategy}_{symbol}_{UTC yyyymmddHHMMSS}_{8 hex}`` within Binance's 36 characters:
    the timestamp and the random hex make it unique, so the strategy (down to one character),
    then the symbol, are shortened instead. ``token`` is random unless given."""
    stamp = _stamp(int(time.time())) if now is None else now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    if token is None:
        tail = secrets.token_hex(4)
    elif _TOKEN_RE.fullmatch(token):
        tail = token
    else:
        raise ValueError(f"token must be 8 lowercase hex digits, not {token!r}")
    return f"{id_prefix(strategy, symbol)}{stamp}_{tail}"


_TOKEN_RE = re.compile(r"[0-9a-f]{8}")


@functools.lru_cache(maxsize=4)
def _stamp(second: int) -> str:
    # strftime costs more than the rest of the ID, and it changes once a second.
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(second))


@functools.lru_cache(maxsize=256)
def id_prefix(strategy: str, symbol: str) -> str:
    """The ``{strategy}_{symbol}_`` start of the IDs made for this strategy and symbol."""
    strat = _clean(strategy) or "s"
    sym = _clean(symbol) or "x"
    strat = strat[: max(1, _PARTS_BUDGET - len(sym))]
    sym = sym[: _PARTS_BUDGET - len(strat)]
    return f"{strat}_{sym}_"
