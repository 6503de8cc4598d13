"""Run the ``tradeexec`` command in subprocesses, with the checks every run must pass."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SRC = str(Path(__file__).resolve().parents[2] / "src")


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BINANCE_", "TRADEEXEC_"))}
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


@dataclass
class Sim:
    rest_url: str
    api_key: str
    api_secret: str = field(repr=False)
    info: dict[str, Any] = field(repr=False)

    def env(self) -> dict[str, str]:
        return base_env(BINANCE_API_KEY=self.api_key, BINANCE_API_SECRET=self.api_secret)


@contextmanager
def sim_serve(
    *extra: str, secret: str | None = None, timeout: float = 30.0, market: bool = False
) -> Iterator[Sim]:
    """``tradeexec sim serve --json`` in a subprocess (with ``--no-market`` unless ``market``);
    its first stdout line announces it."""
    quiet = () if market else ("--no-market",)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradeexec.cli", "sim", "serve", "--port", "0", "--json", *quiet, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base_env(),
    )  # fmt: skip
    try:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        assert line and line[0].strip(), f"sim serve did not start: {proc.poll()=}"
        info = json.loads(line[0])
        yield Sim(info["rest_url"], info["api_key"], info.get("api_secret") or secret or "", info)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(args: Sequence[str], env: dict[str, str], *, secret: str = "", timeout: float = 60.0,
            stdin: str | None = None) -> Run:  # fmt: skip
    """Run the command; whatever it does, it must print no traceback and never the secret."""
    done = subprocess.run(
        [sys.executable, "-m", "tradeexec.cli", *args],
        check=False, capture_output=True, text=True, env=env, timeout=timeout, input=stdin,
    )  # fmt: skip
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, stream
        if secret:
            assert secret not in stream, "the API secret was printed"
    return Run(done.returncode, done.stdout, done.stderr)


def admin(
    sim: Sim, path: str, body: dict[str, object], conn: http.client.HTTPConnection | None = None
) -> None:
    """POST to the local exchange's admin API (no key needed)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection(urlsplit(sim.rest_url).netloc, timeout=10)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200, resp.read()
        resp.read()
    finally:
        if own:
            conn.close()
