"""``python -m bench [--quick] [--rounds N] [--json PATH] [--markdown PATH]``: every case,
tradeexec beside each peer that can do it, medians over rounds, ratios to the best peer and
to the raw baseline. A full run writes ``bench/results.json`` and the table section of
``bench/RESULTS.md`` (the notes around it are kept)."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import (
    case_book,
    case_engine,
    case_execution,
    case_futures_orders,
    case_futures_wsapi,
    case_memory,
    case_public,
    case_rest_orders,
    case_streams,
    case_wsapi_orders,
)
from bench.common import Result, exchange_process, ratio_to

HERE = Path(__file__).resolve().parent
START, END = "<!-- results:start -->", "<!-- results:end -->"
PACKAGES = ("tradeexec", "python-binance", "binance-connector", "ccxt", "aiohttp", "msgspec", "requests")


def run_all(quick: bool, rounds: int) -> list[Result]:
    n_orders = 50 if quick else 200
    n_public = 100 if quick else 500
    n_manager = 300 if quick else 2000
    results = case_execution.run(n_manager, rounds)
    results += case_book.run(5000 if quick else 20000, rounds)
    with exchange_process() as server:
        results += case_rest_orders.run(server, n_orders, rounds)
        results += case_wsapi_orders.run(server, n_orders, rounds)
        results += case_futures_orders.run(server, n_orders, rounds)
        results += case_futures_wsapi.run(server, n_orders, rounds)
        results += case_public.run(server, n_public, rounds)
        results += case_engine.run(server, n_orders, rounds)
        # Stream rounds are capped at 3: the slowest peer takes ~15 s per 100k depth diffs.
        results += case_streams.run(server, 20_000 if quick else 100_000, min(rounds, 3))
        results += case_memory.run(server, 100_000 if quick else 1_000_000)
    return sorted(results, key=lambda r: (r.case, r.metric, ["tradeexec", "baseline", "peer"].index(r.kind)))


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def table(results: list[Result]) -> str:
    rows = [
        "| case | client | metric | median | unit | x best peer | x baseline |",
        "|---|---|---|---:|---|---:|---:|",
    ]
    for r in results:
        vs_peer = _ratio(ratio_to(r, results, "peer"))
        vs_base = _ratio(ratio_to(r, results, "baseline"))
        rows.append(
            f"| {r.case} | {r.impl} | {r.metric} | {_fmt(r.median)} | {r.unit} | {vs_peer} | {vs_base} |"
        )
    return "\n".join(rows)


def environment() -> dict[str, Any]:
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            # tradeexec itself may run from the source tree without being installed.
            versions[pkg] = getattr(sys.modules.get(pkg.replace("-", "_")), "__version__", "not installed")
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def markdown(results: list[Result], env: dict[str, Any], command: str, elapsed_s: float) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    return "\n".join(
        [
            START,
            f"Command: `{command}` ({elapsed_s:.0f} s). Machine: {env['cpu']}, {env['cpus']} CPUs, "
            f"{env['platform']}, Python {env['python']}.",
            "",
            f"Versions: {versions}.",
            "",
            "Medians over rounds. `x best peer` / `x baseline`: this row's median over the best "
            "peer's (third-party libraries) / the raw aiohttp baseline's, same case and metric.",
            "",
            table(results),
            END,
        ]
    )


def write_markdown(path: Path, block: str) -> None:
    text = path.read_text() if path.exists() else f"# tradeexec benchmarks\n\n{START}\n{END}\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small N and 3 rounds (under a minute)")
    parser.add_argument("--rounds", type=int, help="rounds per measurement (default 7, quick 3)")
    parser.add_argument("--json", type=Path, help="results file (default bench/results.json on a full run)")
    parser.add_argument(
        "--markdown", type=Path, help="RESULTS.md to update (default bench/RESULTS.md on a full run)"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 7)
    json_path = args.json or (None if args.quick else HERE / "results.json")
    md_path = args.markdown or (None if args.quick else HERE / "RESULTS.md")
    command = "python -m bench" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()

    started = time.monotonic()
    results = run_all(args.quick, rounds)
    elapsed = time.monotonic() - started
    env = environment()
    print(table(results))
    print(f"\n{elapsed:.0f} s, {env['cpu']}, {env['cpus']} CPUs, Python {env['python']}")
    if json_path is not None:
        payload = {
            "command": command,
            "elapsed_s": elapsed,
            "rounds": rounds,
            "quick": args.quick,
            "environment": env,
            "results": [r.to_json() for r in results],
        }
        json_path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    if md_path is not None:
        write_markdown(md_path, markdown(results, env, command, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
