"""The benchmark runner (benchmarks/run.py): at a small size every peer's answer equals
tierkit's (the runner stops on the first disagreement), and a results file keeps the rows of
earlier runs of other sizes while a new measurement replaces the old one."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"

pytest.importorskip("polars")
pytest.importorskip("duckdb")


def run(results: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, str(RUN), "--job", "full", "--repeat", "1",
                           "--results", str(results), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_peers_agree_and_results_accumulate(tmp_path):
    run(tmp_path, "--sizes", "20000")
    run(tmp_path, "--sizes", "30000")
    path = tmp_path / "full-dense-day.json"
    rows = json.loads(path.read_text())["rows"]
    engines = ("tierkit", "polars", "duckdb", "pandas")
    assert sorted((r["engine"], r["transactions"]) for r in rows) == \
        sorted((e, n) for e in engines for n in (20000, 30000))
    first = {r["engine"]: r["measured_at"] for r in rows if r["transactions"] == 20000}

    # Measuring tierkit again at 20,000 replaces its row and keeps every other one.
    run(tmp_path, "--sizes", "20000", "--engines", "tierkit")
    again = json.loads(path.read_text())["rows"]
    assert len(again) == len(rows)
    tierkit_rows = [r for r in again if r["engine"] == "tierkit" and r["transactions"] == 20000]
    assert len(tierkit_rows) == 1
    kept = {r["engine"]: r["measured_at"] for r in again if r["transactions"] == 20000}
    assert {e: kept[e] for e in engines if e != "tierkit"} == \
        {e: first[e] for e in engines if e != "tierkit"}


def test_the_service_benchmark_s_peers_agree_with_tierkit():
    """benchmarks/service.py at a small size: polars' and DuckDB's due lists and SLA tables
    equal tierkit's (the script exits 1 on a disagreement)."""
    script = RUN.parent / "service.py"
    done = subprocess.run([sys.executable, str(script), "--customers", "3000", "--contacts", "40000",
                           "--owners", "40", "--repeat", "1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("equal") == 3 and "DIFFERENT" not in done.stdout
