"""tierkit.dask and tierkit.spark import without their engines; using them then says which
extra to install (one line, no traceback from deep inside)."""
from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module,engine,extra", [("tierkit.dask", "dask", "dask"),
                                                  ("tierkit.spark", "pyspark", "spark")])
def test_a_missing_engine_names_its_extra(module, engine, extra):
    # A fresh interpreter in which the engine cannot be imported (None in sys.modules).
    code = (f"import sys; sys.modules[{engine!r}] = None; sys.modules[{engine + '.sql'!r}] = None\n"
            f"sys.modules['dask.dataframe'] = None\n"
            f"import tierkit, {module} as m\n"
            "try:\n    m.profile(object())\nexcept ImportError as e:\n    print(type(e).__name__, e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "MissingDependency" in out.stdout and f"tierkit[{extra}]" in out.stdout


def test_import_tierkit_loads_no_engine():
    out = subprocess.run([sys.executable, "-c", "import sys, tierkit, tierkit.cli; "
                          "print(any(m in sys.modules for m in ('dask', 'pyspark', 'distributed')))"],
                         capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
