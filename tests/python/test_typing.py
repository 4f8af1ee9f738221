"""mypy finds no errors in the installed tierkit package (the Python code and its _core stub).

Run with the repository's configuration ([tool.mypy] in pyproject.toml: pyarrow is untyped),
on the package Python imports (``-p tierkit``), as a user's type checker sees it.
"""
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy.api")

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_mypy_finds_no_errors(tmp_path):
    run = subprocess.run([sys.executable, "-m", "mypy", "-p", "tierkit", "--config-file", str(PYPROJECT),
                          "--cache-dir", str(tmp_path / "mypy_cache"), "--no-error-summary"],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert not errors and run.returncode == 0, "mypy -p tierkit:\n" + run.stdout + run.stderr
