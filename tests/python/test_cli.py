"""The tierkit command line: the demo job, profiling files, exit codes."""
from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

import tierkit as tk
from tierkit.cli import EXIT_DATA, EXIT_OK, main


def test_demo_prints_the_profile_summary(capsys):
    assert main(["demo", "--customers", "500", "--transactions", "8000"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "demo data, 8,000 transactions" in out
    assert "concentration: the top 20% of customers hold" in out
    assert "recency (days)" in out


def test_profile_a_parquet_file_and_write_the_result(tmp_path, capsys):
    t = tk.demo.transactions(300, 5000, seed=4)
    src, out = tmp_path / "tx.parquet", tmp_path / "profile.parquet"
    pq.write_table(t, src)
    assert main(["profile", str(src), "--order", "order_id", "--output", str(out)]) == EXIT_OK
    written = pq.read_table(out)
    assert written.equals(tk.profile(t, order="order_id").to_arrow())
    assert "wrote" in capsys.readouterr().out


def test_profile_a_csv_with_text_dates_and_keys(tmp_path):
    src = tmp_path / "tx.csv"
    src.write_text("cust,day,value\n00042,20240105,10.50\n00042,20240107,-2.25\n7,20240101,3\n")
    out = tmp_path / "p.csv"
    code = main(["profile", str(src), "--customer", "cust", "--time", "day",
                 "--time-format", "%Y%m%d", "--amount", "value", "-o", str(out)])
    assert code == EXIT_OK
    p = pcsv.read_csv(out, convert_options=pcsv.ConvertOptions(column_types={"cust": pa.string()}))
    assert p.column("cust").to_pylist() == ["00042", "7"]  # keys stay text
    assert p.column("monetary").to_pylist() == [8.25, 3.0]


def test_bad_data_exits_with_the_data_code(tmp_path, capsys):
    src = tmp_path / "tx.csv"
    src.write_text("customer_id,time,amount\n1,2024-01-01,\n2,2024-01-02,5\n")
    assert main(["profile", str(src)]) == EXIT_DATA
    assert "column 'amount': 1 row is null" in capsys.readouterr().err
    assert main(["profile", str(src), "--on-invalid", "drop"]) == EXIT_OK
    assert main(["profile", str(src), "--amount", "amt"]) == EXIT_DATA


def test_the_installed_console_script_runs():
    r = subprocess.run([sys.executable, "-m", "tierkit", "--version"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stdout.startswith("tierkit ")
