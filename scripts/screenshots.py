"""Remake the README's pictures: a real demo run, its HTML report and its terminal view at
100 and 160 columns, photographed by a headless Chromium (``apt-get install chromium``).

    PYTHONPATH=src python scripts/screenshots.py [--duration 20] [--out docs]

The view is rendered by rich into SVG (its recording console), then Chromium turns each SVG
and the report into a PNG of its own size, so what the README shows is what a browser and a
terminal show. The test suite does not need Chromium; this script is the only user of it.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tradeexec.demo.report import write_report
from tradeexec.demo.run import DemoRecord, run_demo
from tradeexec.demo.view import DemoView, screenshot, summary_table

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)  # fmt: skip


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("no chromium on PATH: apt-get update && apt-get install -y chromium")


def photograph(page: Path, png: Path, width: int, height: int) -> Path:
    """``page`` (HTML or SVG) as a PNG of ``width`` x ``height`` CSS pixels."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
             f"--window-size={width},{height}", page.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    return png


def svg_size(svg: Path) -> tuple[int, int]:
    found = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg.read_text(encoding="utf-8"))
    if found is None:
        sys.exit(f"{svg}: no viewBox")
    return int(float(found[1])) + 1, int(float(found[2])) + 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of trading (default 20)")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="where the PNGs go (default docs)")
    parser.add_argument("--report-height", type=int, default=2000, help="pixels of the report to keep")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tradeexec-screenshots-"))
    record = DemoRecord()
    summary = asyncio.run(run_demo(args.duration, journal_dir=work, say=lambda _: None, record=record))
    report = write_report(record, summary, work / "report.html")
    photograph(report, args.out / "demo-report.png", 1280, args.report_height)
    view = DemoView(record, duration_s=args.duration)
    for width in (100, 160):
        svg = screenshot([view.render(), summary_table(summary)], work / f"view-{width}.svg", width=width)
        photograph(svg, args.out / f"demo-terminal-{width}.png", *svg_size(svg))
    print(f"report {report}; pictures in {args.out}: demo-report.png, demo-terminal-{{100,160}}.png")


if __name__ == "__main__":
    main()
