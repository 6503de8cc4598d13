"""Today's matching engine, for side-by-side runs: the engine package as it was at a fixed
commit, read from git at bench time into a temporary package (``git show``), so that no copy
of old code lives in the repository and both engines run in one process, on one machine
load, under one set of inputs.

The old package imports the rest of ``tradeexec`` (enums, errors) from the current tree; only
``tradeexec.sim.engine`` itself is frozen."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

# The commit whose engine issue 15 measured (28,000 orders/s, bench case 5a).
BASELINE_COMMIT = "811ca69"
_ENGINE_DIR = "src/tradeexec/sim/engine"
_PACKAGE = "tradeexec_baseline_engine"
_ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(_ROOT), *args], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def load(commit: str = BASELINE_COMMIT) -> ModuleType | None:
    """The engine package at ``commit``, imported under its own name; None when git or the
    commit is not available (e.g. a source tarball), so the bench still runs without it."""
    if _PACKAGE in sys.modules:
        return sys.modules[_PACKAGE]
    try:
        names = _git("ls-tree", "--name-only", f"{commit}:{_ENGINE_DIR}").split()
        sources = {n: _git("show", f"{commit}:{_ENGINE_DIR}/{n}") for n in names if n.endswith(".py")}
    except (OSError, subprocess.SubprocessError):
        return None
    tmp = Path(tempfile.mkdtemp(prefix="tradeexec-baseline-"))
    target = tmp / _PACKAGE
    target.mkdir()
    for name, text in sources.items():
        (target / name).write_text(text.replace("tradeexec.sim.engine", _PACKAGE))
    sys.path.insert(0, str(tmp))
    try:
        return importlib.import_module(_PACKAGE)  # imports every module of the package
    finally:
        sys.path.remove(str(tmp))
        shutil.rmtree(tmp, ignore_errors=True)
