"""The secrets scan: does anything the soak produced contain the API secret, the private key
or any signature the client sent -- whole, URL-encoded, or a fragment of it?

Secrets are random strings, so any 24-character window of one that shows up elsewhere is a
leak, not a coincidence. Texts are split into base64/hex-alphabet tokens (after URL-decoding)
and every window of every token is looked up in a set of every window of every secret, which
keeps the scan linear in the size of the log however many signatures there are.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

from cryptography.hazmat.primitives import serialization

from tradeexec.cli.main import main as cli_main

WINDOW = 24
_TOKEN = re.compile(rf"[A-Za-z0-9+/_\-]{{{WINDOW},}}")


def secret_forms(secrets: Iterable[str]) -> list[str]:
    """Each secret, and for a PEM private key its body lines and raw key bytes (hex, base64)."""
    out: list[str] = []
    for secret in secrets:
        if "PRIVATE KEY" not in secret:
            out.append(secret)
            continue
        out += [line for line in secret.splitlines() if line and not line.startswith("-----")]
        key = serialization.load_pem_private_key(secret.encode(), password=None)
        raw = key.private_bytes(  # type: ignore[union-attr]
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        out += [raw.hex(), base64.b64encode(raw).decode()]
    return out


class Scanner:
    def __init__(self, secrets: Iterable[str], signatures: Iterable[str]) -> None:
        self._windows: dict[str, str] = {}
        for label, values in (("secret", secret_forms(secrets)), ("signature", signatures)):
            for value in values:
                clean = value.rstrip("=")
                for i in range(len(clean) - WINDOW + 1):
                    self._windows.setdefault(clean[i : i + WINDOW], f"{label} {clean[:4]}...")

    def scan(self, where: str, text: str) -> list[str]:
        hits = []
        for token in _TOKEN.findall(unquote(text)):
            for i in range(len(token) - WINDOW + 1):
                label = self._windows.get(token[i : i + WINDOW])
                if label is not None:
                    hits.append(f"{where}: {label} in {token[:12]}...")
                    break
        return hits

    def scan_all(self, texts: Iterable[tuple[str, str]]) -> list[str]:
        return [hit for where, text in texts for hit in self.scan(where, text)]


def log_lines(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            yield f"log line {n}", line


def journal_rows(path: Path) -> Iterator[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in conn.execute(f"SELECT * FROM {table}"):
                yield f"journal {table}", repr(row)
    finally:
        conn.close()


def cli_output(journal: Path) -> list[tuple[str, str]]:
    """``tradeexec journal show`` on the soak's journal, as text and as JSON."""
    out = []
    for extra in ([], ["--json"]):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            code = cli_main(["journal", "show", "--path", str(journal), *extra])
        assert code == 0, buf.getvalue()[-2000:]
        out.append((f"cli journal show {' '.join(extra)}", buf.getvalue()))
    return out
