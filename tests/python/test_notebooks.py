"""The example notebooks (examples/notebooks) run from top to bottom without an error."""
from __future__ import annotations

import os
import shutil
import sys

import pytest

from conftest import REPO, shared_data

pytest.importorskip("nbclient")
pytest.importorskip("matplotlib")


@pytest.mark.parametrize("name,data", [("retail_online_retail.ipynb", "online-retail-uci"),
                                       ("bank_berka.ipynb", "berka-pkdd99")])
def test_notebook_runs(name, data, tmp_path, monkeypatch):
    root = shared_data(data).parent
    monkeypatch.setenv("TIERKIT_SHARED_DATA", str(root))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    sys.path.insert(0, str(REPO / "examples" / "notebooks"))
    try:
        import build
    finally:
        sys.path.pop(0)
    path = tmp_path / name
    shutil.copy(REPO / "examples" / "notebooks" / name, path)
    build.execute(path, timeout=900)
    import nbformat
    nb = nbformat.read(path, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert os.path.getsize(path) > 10_000  # outputs and charts kept
