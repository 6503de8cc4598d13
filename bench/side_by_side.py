"""``python -m bench.side_by_side OLD_REV [--new REV] [--cases 1,3,6] [--rounds N] [--repeats K]``:
tradeexec's own rows of chosen bench cases for two versions of the code, run alternately
(old, new, old, new, ...) on the same machine, so that a refactoring's cost is a ratio
measured under the same load rather than two figures taken at different times.

Each version runs from its own checkout (``git worktree add --detach`` into a temporary
folder; ``--new`` defaults to this working tree) in a fresh interpreter with that checkout's
``src`` and ``bench`` first on the path, so each is measured with its own bench code.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Case number -> the code that runs it inside a checkout and prints its results as JSON.
CASES = {
    "1": "with exchange_process() as s: rs = case_rest_orders.run(s, 200, {rounds})",
    "3": "with exchange_process() as s: rs = case_streams.run(s, 20_000, {rounds})",
    "6": "rs = case_execution.run(2000, {rounds})",
}
PRELUDE = (
    "import json\n"
    "from bench import case_execution, case_rest_orders, case_streams\n"
    "from bench.common import exchange_process\n"
)
EPILOGUE = (
    "\nprint(json.dumps([[r.case, r.impl, r.metric, r.unit, r.median] for r in rs "
    "if r.kind == 'tradeexec']))\n"
)


@contextmanager
def checkout(rev: str | None) -> Iterator[Path]:
    """The tree to measure: this working tree for ``None``, else a detached worktree."""
    if rev is None:
        yield ROOT
        return
    with tempfile.TemporaryDirectory(prefix="tradeexec-sbs-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), rev], check=True
        )
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)


def run_case(tree: Path, case: str, rounds: int) -> list[list[object]]:
    env = dict(os.environ, PYTHONPATH=f"{tree / 'src'}{os.pathsep}{tree}")
    code = PRELUDE + CASES[case].format(rounds=rounds) + EPILOGUE
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    ).stdout
    rows: list[list[object]] = json.loads(out.strip().splitlines()[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("old")
    parser.add_argument("--new", default=None, help="a revision; default: this working tree")
    parser.add_argument("--cases", default="1,3,6")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per case run (the case's median)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs per version")
    args = parser.parse_args()
    figures: dict[tuple[str, str, str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with checkout(args.old) as old_tree, checkout(args.new) as new_tree:
        for case in args.cases.split(","):
            for _ in range(args.repeats):
                for label, tree in (("old", old_tree), ("new", new_tree)):
                    for c, impl, metric, unit, median in run_case(tree, case, args.rounds):
                        figures[(str(c), str(impl), str(metric), str(unit))][label].append(float(str(median)))
    print(f"| case | client | metric | {args.old} | {args.new or 'this tree'} | new/old | unit |")
    print("|---|---|---|---:|---:|---:|---|")
    for (case, impl, metric, unit), by in sorted(figures.items()):
        if not (by["old"] and by["new"]):
            continue  # a row one version does not have
        old, new = statistics.median(by["old"]), statistics.median(by["new"])
        ratio = f"{new / old:.2f}" if old else "-"  # a count of lost messages is 0 on both
        print(f"| {case} | {impl} | {metric} | {old:,.1f} | {new:,.1f} | {ratio} | {unit} |")


if __name__ == "__main__":
    main()
