"""What the fuzz tests share: one local exchange per module on a private event-loop thread, a
fingerprint of everything an accepted request would change, and strategies of bad values.

The exchange runs on its own thread so that hypothesis drives plain synchronous test bodies
(it does not mix with pytest-asyncio's per-test loops) and the blocking ``SyncClient`` and the
in-process CLI can talk to it as they would to a remote exchange.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from aiohttp.http_exceptions import BadHttpMessage
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tradeexec.sim import LocalExchange, SimConfig

T = TypeVar("T")
WAIT = 10.0  # upper bound of every cross-thread call
ANSWER_WITHIN_S = 5.0  # the longest the exchange may take to answer one malformed request


def fuzz_settings(max_examples: int) -> settings:
    """No deadline (a round trip to the exchange thread varies with the machine's load) and
    the module-scoped exchange fixture is meant to be shared by every example."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


class LoopThread:
    """An event loop running in a daemon thread; ``run`` executes a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = WAIT) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(WAIT)
        if not self._thread.is_alive():
            self.loop.close()


class ErrorLog(logging.Handler):
    """Every ERROR record of the local exchange (and of aiohttp's server): a traceback there
    is a server bug, whatever the client saw."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # A request line aiohttp's parser cannot read never reaches the exchange: aiohttp
        # answers 400 itself and logs it at ERROR. That is the client's fault, not a bug.
        if record.exc_info and isinstance(record.exc_info[1], BadHttpMessage):
            return
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(self.format(r) for r in self.records)


_WATCHED_LOGGERS = ("tradeexec.sim", "aiohttp.server", "aiohttp.web", "aiohttp.websocket", "asyncio")


@dataclass
class FuzzExchange:
    """A started ``LocalExchange`` and what tests need to prove that nothing reached it."""

    loop: LoopThread = field(repr=False)
    ex: LocalExchange
    errors: ErrorLog = field(repr=False)
    received: list[str] = field(default_factory=list, repr=False)  # one entry per request read

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = WAIT) -> T:
        return self.loop.run(coro, timeout)

    def fingerprint(self) -> tuple[object, ...]:
        """Balances, orders, order lists and order counts of every account."""

        async def take() -> tuple[object, ...]:
            state = self.ex.state
            engine = state.engine
            out: list[object] = []
            for account in state.accounts:
                out.append(sorted(self.ex.balances(account).items()))
                out.append([len(engine.all_orders(account, s, limit=1 << 30)) for s in engine.symbols])
                out.append(len(engine.order_lists(account)))
                out.append(state.limiter.order_counts(account))
            return tuple(out)

        return self.run(take())

    @contextmanager
    def untouched(self) -> Iterator[None]:
        """The block must send nothing (no request read by the exchange) and change nothing."""
        before, seen = self.fingerprint(), len(self.received)
        yield
        assert self.received[seen:] == [], f"requests reached the exchange: {self.received[seen:]}"
        assert self.fingerprint() == before, "the exchange's state changed"

    def assert_no_server_errors(self) -> None:
        assert not self.errors.records, f"the exchange logged errors:\n{self.errors.text()}"


@contextmanager
def fuzz_exchange() -> Iterator[FuzzExchange]:
    """A local exchange without market activity, started once (per test module)."""
    cfg = SimConfig.default()
    cfg.market.enabled = False
    loop = LoopThread()
    errors = ErrorLog()
    for name in _WATCHED_LOGGERS:
        logging.getLogger(name).addHandler(errors)
    ex = LocalExchange(cfg, market=False)
    fx = FuzzExchange(loop, ex, errors)
    charge = ex.state.limiter.charge_request

    def counting(ip: str, weight: int) -> None:
        fx.received.append(f"{ip} weight={weight}")
        charge(ip, weight)

    ex.state.limiter.charge_request = counting  # type: ignore[method-assign]
    loop.run(ex.start())
    try:
        ex.set_price("BTCUSDT", "60000")
        ex.set_price("ETHUSDT", "3000")
        yield fx
    finally:
        loop.run(ex.stop())
        loop.close()
        for name in _WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(errors)


# ---- bad values ---------------------------------------------------------------------------

D = Decimal
SYMBOL = "BTCUSDT"  # tickSize 0.01, stepSize 0.00001, minNotional 5
UNICODE_JUNK = st.text(
    st.characters(blacklist_categories=("Cs",), min_codepoint=0x80), min_size=1, max_size=12
)

# Numbers no order may carry: never positive, not finite, or not a Decimal/int/str at all.
bad_numbers: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(
        [
            D(0),
            D("-0"),
            D("-1"),
            D("-0.001"),
            0,
            -5,
            "0",
            "-1",
            "0.0",
            D("NaN"),
            D("-NaN"),
            D("sNaN"),
            D("Infinity"),
            D("-Infinity"),
            "NaN",
            "sNaN",
            "inf",
            "-Infinity",
            "",
            " ",
            "abc",
            "1,5",
            "0x10",
            "1e",
            "--1",
            "1.2.3",
            "１２",
            "½",
            None,
            True,
            False,
            0.5,
            1.0,
            float("nan"),
            float("inf"),
            [1],
            {"a": 1},
            b"1",
            object(),
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(max_value=0, allow_nan=False, allow_infinity=False, places=8),
    UNICODE_JUNK,
)

# Positive numbers that still break BTCUSDT's filters or the wire format: too many decimals,
# too big, too small, or exponents no exchange parses.
out_of_range_qty: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(
        [
            D("0.000001"),
            D("0.123456"),
            D("1E-8"),
            D("1E-30"),
            D("1E+30"),
            D("1E+999999"),
            D("9000.00001"),
            D("100000"),
            "1" * 40,
            "0." + "0" * 40 + "1",
            D("1E-999999"),
        ]
    ),
    st.decimals(min_value=D("0.00000001"), max_value=D("0.00000999"), places=8),  # below minQty
    st.decimals(min_value=D("9000.00001"), max_value=D("1e12"), places=5),  # above maxQty
    st.integers(1, 10**6).map(lambda n: D(n) * D("1E-6") + D("0.000001") * D("0.1")),  # 7 decimals
)

out_of_range_price: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(
        [D("0.001"), D("60000.001"), D("1E+30"), D("1E+999999"), D("1000000.01"), D("1E-20"), "9" * 40]
    ),
    st.decimals(min_value=D("1000000.01"), max_value=D("1e15"), places=2),  # above maxPrice
    st.integers(1, 10**7).map(lambda n: D(n) / 100 + D("0.001")),  # off the 0.01 tick
)

bad_symbols: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "BTC USDT",
            "btcusdt",
            "BTC/USDT",
            "BTCUSDT ",
            "\tBTCUSDT",
            "XXXUSDT",
            "BTCUSDT\n",
            "BTCUSDT\x00",
            "币安",
            "ＢＴＣＵＳＤＴ",
            "B" * 300,
            None,
            1,
            True,
            b"BTCUSDT",
            ["BTCUSDT"],
        ]
    ),
    UNICODE_JUNK,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=20).filter(
        lambda s: s not in ("BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC")
    ),
)

# Text that is no member of a small Binance enum (exact spelling, case-sensitive).
bad_enum_text: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(
        ["", "buy", "Buy", "BUY ", "LIMIT\x00", "limit", "gtc", "MARKET,LIMIT", None, 1, True, 0.0]
    ),
    st.text(max_size=15).filter(lambda s: not s.isupper() or len(s) < 3),
    UNICODE_JUNK,
)

# Client order IDs Binance refuses: empty, longer than 36, or outside [.A-Za-z0-9:/_-].
bad_client_ids: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(["", " ", "a" * 37, "id with space", "id\n", "é", "x;y", "a&b=c", "%41", 5, True, b"x"]),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(
        lambda s: any(not (c.isascii() and (c.isalnum() or c in "._:/-")) for c in s) or len(s) > 36
    ),
)
