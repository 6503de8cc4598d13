"""What every case shares: the exchange in its own process, timing, results.

The local exchange runs in a child process so that ``time.process_time`` in this process
counts the client's CPU only, never the server's.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

# Rate limits are lifted for every client alike: the benchmark measures clients, not the
# exchange's throttle (ccxt's own throttle is switched off for the same reason).
_SIM_CONFIG = """
[[accounts]]
name = "bench"
balances = { USDT = "1000000000", BTC = "100000", ETH = "1000000" }

[rate_limits]
enabled = false
request_weight_per_minute = 100000000
orders_per_10s = 100000000
orders_per_day = 1000000000
raw_requests_per_5m = 1000000000
"""

SYMBOL = "BTCUSDT"
CCXT_SYMBOL = "BTC/USDT"
# Resting bids far enough below the asks that no benchmark order ever trades.
ORDER_PRICE = "50000"
ORDER_QTY = "0.001"
ASK_PRICE = "60000"
BID_PRICE = "59000"

Kind = Literal["tradeexec", "peer", "baseline"]


@dataclass(slots=True)
class ServerInfo:
    rest_url: str
    ws_url: str
    api_key: str
    api_secret: str
    # An Ed25519 key of the same account, for WebSocket API sessions (session.logon).
    ed25519_api_key: str = ""
    ed25519_private_pem: bytes = field(default=b"", repr=False)

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the exchange's ``/_sim`` admin API: POST with a body, GET without."""
        req = urllib.request.Request(
            f"{self.rest_url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def add_liquidity(self, side: str, price: str, qty: str) -> None:
        self.admin("/_sim/liquidity", {"symbol": SYMBOL, "side": side, "price": price, "quantity": qty})


@contextmanager
def exchange_process(startup_timeout_s: float = 30.0) -> Iterator[ServerInfo]:
    """Start ``tradeexec sim serve`` in a child process with a book 100 levels deep on
    each side, and stop it on exit."""
    with tempfile.TemporaryDirectory(prefix="tradeexec-bench-") as tmp:
        cfg = Path(tmp) / "sim.toml"
        api_key, api_secret = secrets.token_hex(32), secrets.token_hex(32)
        ed_key, ed_api_key = Ed25519PrivateKey.generate(), secrets.token_hex(32)
        ed_public = ed_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        cfg.write_text(
            f'{_SIM_CONFIG}\n[[accounts.keys]]\napi_key = "{ed_api_key}"\nkey_type = "ED25519"\n'
            f'public_key = """{ed_public.decode()}"""\n'
        )
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parent.parent / "src")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        cmd = [sys.executable, "-m", "tradeexec.cli", "sim", "serve", "--port", "0", "--json", "--no-market"]
        proc = subprocess.Popen(
            [*cmd, "--config", str(cfg), "--api-key", api_key, "--api-secret", api_secret],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], startup_timeout_s)
            line = proc.stdout.readline() if ready else ""
            if not line:
                raise RuntimeError(f"local exchange did not start (exit code {proc.poll()})")
            info = json.loads(line)
            ed_pem = ed_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            server = ServerInfo(info["rest_url"], info["ws_url"], api_key, api_secret, ed_api_key, ed_pem)
            for i in range(100):
                server.add_liquidity("SELL", str(int(ASK_PRICE) + i), "0.5")
                server.add_liquidity("BUY", str(int(BID_PRICE) - i), "0.5")
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


# ---- timing ----------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Sample:
    wall_s: float
    cpu_s: float


class Stopwatch:
    """Wall and this process's CPU time over a block."""

    def __init__(self) -> None:
        self.sample = Sample(0.0, 0.0)

    def __enter__(self) -> Stopwatch:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sample = Sample(time.perf_counter() - self._wall, time.process_time() - self._cpu)


def timed(fn: Callable[[], None]) -> Sample:
    with Stopwatch() as sw:
        fn()
    return sw.sample


# ---- results ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Result:
    """One metric of one implementation in one case: the median over rounds."""

    case: str
    impl: str
    kind: Kind
    metric: str
    unit: str
    higher_is_better: bool
    values: list[float]
    note: str = ""
    median: float = field(init=False)

    def __post_init__(self) -> None:
        self.median = statistics.median(self.values)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def request_results(
    case: str, impl: str, kind: Kind, samples: list[Sample], requests: int, note: str = ""
) -> list[Result]:
    """Client CPU per request (µs) and requests per second from per-round samples."""
    return [
        Result(
            case,
            impl,
            kind,
            "client CPU/request",
            "µs",
            False,
            [s.cpu_s / requests * 1e6 for s in samples],
            note,
        ),
        Result(case, impl, kind, "requests/s", "1/s", True, [requests / s.wall_s for s in samples], note),
    ]


def ratio_to(result: Result, others: list[Result], kind: Kind) -> float | None:
    """``result`` over the best ``kind`` result of the same case and metric (>1 means more
    of the metric: worse when lower is better)."""
    pool = [
        r.median for r in others if r.kind == kind and r.case == result.case and r.metric == result.metric
    ]
    if not pool:
        return None
    best = max(pool) if result.higher_is_better else min(pool)
    return result.median / best if best else None
