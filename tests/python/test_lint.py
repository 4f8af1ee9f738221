"""ruff finds nothing in the whole repository (the Python package, tests, benchmarks, examples).

The rules are those of [tool.ruff] in pyproject.toml (pycodestyle, pyflakes and bugbear at 120
columns): they catch mistakes such as unused or shadowed imports and closures over loop
variables. The tree was made clean once; this test keeps it so, instead of letting findings pile
up until the next clean-up. It is skipped where ruff is not installed (it comes with the test
extra).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ruff")

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing():
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", str(ROOT)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, "ruff check:\n" + run.stdout + run.stderr
