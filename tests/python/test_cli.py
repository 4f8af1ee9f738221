"""The tierkit command line: the demo job, profiling files, exit codes."""
from __future__ import annotations

import errno
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import tierkit as tk
from tierkit.cli import (EXIT_DATA, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_POLICY, EXIT_USAGE,
                         main)


def test_demo_prints_the_profile_summary(capsys):
    assert main(["demo", "--customers", "500", "--transactions", "8000"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "demo data, 8,000 transactions" in out
    assert "concentration: the top 20% of customers hold" in out
    assert "recency (days)" in out
    assert "Tiers by the demo policy" in out and "Diamond" in out and "Bronze" in out
    assert "A year of monthly re-tiering" in out and "watch list on 2024-01-01" in out


def test_profile_a_parquet_file_and_write_the_result(tmp_path, capsys):
    t = tk.demo.transactions(300, 5000, seed=4)
    src, out = tmp_path / "tx.parquet", tmp_path / "profile.parquet"
    pq.write_table(t, src)
    assert main(["profile", str(src), "--order", "order_id", "--output", str(out)]) == EXIT_OK
    written = pq.read_table(out)
    assert written.equals(tk.profile(t, order="order_id").to_arrow())
    assert "wrote" in capsys.readouterr().out
    assert main(["profile", str(src), "--order", "order_id", "--no-purchase-days",
                 "--no-spend-series", "-o", str(out)]) == EXIT_OK
    lean = tk.profile(t, order="order_id", purchase_days=False, spend_series=False)
    assert pq.read_table(out).equals(lean.to_arrow())
    assert "median_gap" not in pq.read_table(out).column_names


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


def test_dates_outside_valid_dates_exit_with_the_data_code_unless_widened(tmp_path, capsys):
    src = tmp_path / "tx.csv"
    src.write_text("customer_id,time,amount\n1,1850-01-01,3\n2,2024-01-02,5\n")
    assert main(["profile", str(src)]) == EXIT_DATA
    assert "column 'time': 1 row is dated before 1900-01-01 (the first of valid_dates)" in capsys.readouterr().err
    assert main(["profile", str(src), "--valid-dates", "1800-01-01", "2100-12-31"]) == EXIT_OK
    assert main(["profile", str(src), "--valid-dates", "2100-01-01", "1800-01-01"]) == EXIT_DATA
    assert "valid_dates must run forwards" in capsys.readouterr().err


def test_the_installed_console_script_runs():
    r = subprocess.run([sys.executable, "-m", "tierkit", "--version"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stdout.startswith("tierkit ")


# --- tierkit tier ---------------------------------------------------------------------------
POLICY = """
tierkit: 1
name: test tiers
transactions: {customer: customer_id, time: time, amount: amount, order: order_id}
strategies:
  - rfm: {bins: 5}
  - abc: {column: monetary}
tiers:
  - {tier: Key, when: "abc_class = 'A' and r_score >= 4", owner: KAM}
  - {tier: Core, when: "abc_class in ('A', 'B')"}
default: Other
keep: [monetary]
"""


def test_tier_writes_tiers_and_prints_the_summary(tmp_path, capsys):
    t = tk.demo.transactions(800, 20_000, seed=5)
    src, pol, out = tmp_path / "tx.parquet", tmp_path / "p.yaml", tmp_path / "tiers.csv"
    pq.write_table(t, src)
    pol.write_text(POLICY)
    assert main(["tier", str(src), "--policy", str(pol), "-o", str(out),
                 "--models", str(tmp_path / "m")]) == EXIT_OK
    captured = capsys.readouterr()
    assert "policy 'test tiers'" in captured.out and "Key" in captured.out
    assert "tierkit: assigned" in captured.err  # progress goes to stderr
    written = pcsv.read_csv(out).to_pandas().set_index("customer_id")
    prof = tk.profile(t, order="order_id")
    want = tk.TierPolicy([("Key", "abc_class = 'A' and r_score >= 4", {"owner": "KAM"}),
                          ("Core", "abc_class in ('A', 'B')")], default="Other") \
        .assign(prof, tk.score(prof, tk.RFM(5), tk.ABC("monetary"))).to_pandas()
    assert written.tier.tolist() == want.tier.astype(str).tolist()
    assert written.columns.tolist() == ["tier", "rule", "owner", "abc_class", "r_score", "monetary"]
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["abc.tkm", "policy.tkm", "rfm.tkm"]
    assert tk.load(tmp_path / "m" / "policy.tkm").tiers == ["Key", "Core", "Other"]


def test_tier_exit_codes(tmp_path, capsys):
    t = tk.demo.transactions(100, 2000, seed=1)
    src, pol = tmp_path / "tx.parquet", tmp_path / "p.yaml"
    pq.write_table(t, src)
    pol.write_text(POLICY.replace("r_score >= 4", "r_score >="))
    assert main(["tier", str(src), "--policy", str(pol), "-q"]) == EXIT_POLICY
    err = capsys.readouterr().err
    assert "policy error" in err and "expected a value, found end of text" in err and "^" in err
    pol.write_text(POLICY.replace("strategies:", "strategys:"))
    assert main(["tier", str(src), "--policy", str(pol), "-q"]) == EXIT_POLICY
    assert "unknown key 'strategys' (did you mean 'strategies'?)" in capsys.readouterr().err
    pol.write_text(POLICY.replace("r_score >= 4", "r_scor >= 4"))
    assert main(["tier", str(src), "--policy", str(pol), "-q"]) == EXIT_DATA
    assert "did you mean 'r_score'" in capsys.readouterr().err
    pol.write_text(POLICY.replace("amount: amount", "amount: value"))
    assert main(["tier", str(src), "--policy", str(pol), "-q"]) == EXIT_DATA
    assert main(["tier", str(tmp_path / "none.csv"), "--policy", str(pol)]) == EXIT_USAGE
    assert main(["tier", str(src), "--policy", str(tmp_path / "none.yaml")]) == EXIT_USAGE
    pol.write_text("tiers: [unclosed")
    assert main(["tier", str(src), "--policy", str(pol), "-q"]) == EXIT_POLICY
    assert "not valid YAML" in capsys.readouterr().err


def test_progress_bar_on_a_terminal(tmp_path):
    import io

    from tierkit._progress import Progress
    stream = io.StringIO()
    p = Progress(stream=stream, bar=True)
    p.update("reading", 50, 100)
    p.stage("read 100 rows")
    text = stream.getvalue()
    assert "[###############...............]  50.0%" in text and "tierkit: read 100 rows" in text
    quiet = io.StringIO()
    Progress(enabled=False, stream=quiet).stage("x")
    assert quiet.getvalue() == ""


# Runs the command line in a child process in which pandas, polars, matplotlib and duckdb
# cannot be imported: the main job must need only what `pip install .` installs.
_WITHOUT_EXTRAS = """
import sys
class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"pandas", "polars", "matplotlib", "duckdb"}:
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, _Hide())
from tierkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _cli_without_extras(*args, cwd):
    return subprocess.run([sys.executable, "-c", _WITHOUT_EXTRAS, *args], cwd=cwd,
                          capture_output=True, text=True)


def test_demo_and_tier_run_without_the_optional_packages(tmp_path):
    r = _cli_without_extras("demo", "--customers", "400", "--transactions", "6000", cwd=tmp_path)
    assert r.returncode == EXIT_OK, r.stderr
    assert "Lifecycle" in r.stdout and "Relationship stars" in r.stdout
    assert "Tiers by the demo policy" in r.stdout
    src = tmp_path / "tx.csv"
    pcsv.write_csv(tk.demo.transactions(300, 5000, seed=3), src)
    policy = "tierkit: 1\ntransactions: {customer: customer_id, time: time, amount: amount}\n" \
             "strategies: [rfm, abc]\ntiers:\n  - {tier: Top, when: \"abc_class = 'A'\"}\n" \
             "default: Rest\n"
    (tmp_path / "p.yaml").write_text(policy)
    r = _cli_without_extras("tier", str(src), "--policy", "p.yaml", "-o", "tiers.parquet", "-q",
                            cwd=tmp_path)
    assert r.returncode == EXIT_OK, r.stderr
    assert pq.read_table(tmp_path / "tiers.parquet").num_rows > 0


def test_a_missing_extra_names_what_to_install():
    code = _WITHOUT_EXTRAS.split("from tierkit.cli")[0] + (
        "import tierkit as tk\n"
        "p = tk.profile(tk.demo.transactions(50, 500))\n"
        "for call in (p.to_pandas, p.to_polars):\n"
        "    try:\n        call()\n    except ImportError as e:\n        print(e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Profile.to_pandas() needs pandas, which is not installed: pip install 'tierkit[pandas]'" \
        in r.stdout
    assert "pip install 'tierkit[polars]'" in r.stdout


# --- outputs are replaced only when complete -------------------------------------------------
def _failing_after_a_part(real):
    """A writer that writes part of the file and then fails as a full disk does."""
    def write(table, where, *args, **kwargs):
        real(table.slice(0, 10), where, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")
    return write


@pytest.mark.parametrize("name", ["tiers.csv", "tiers.parquet"])
def test_a_failing_write_leaves_the_old_output_as_it_was(tmp_path, capsys, monkeypatch, name):
    t = tk.demo.transactions(300, 5000, seed=4)
    src, pol, out = tmp_path / "tx.parquet", tmp_path / "p.yaml", tmp_path / "out" / name
    pq.write_table(t, src)
    pol.write_text(POLICY)
    out.parent.mkdir()
    out.write_bytes(b"the previous run's output")
    import pyarrow.csv
    import pyarrow.parquet
    monkeypatch.setattr(pyarrow.csv, "write_csv", _failing_after_a_part(pyarrow.csv.write_csv))
    monkeypatch.setattr(pyarrow.parquet, "write_table", _failing_after_a_part(pyarrow.parquet.write_table))
    assert main(["tier", str(src), "--policy", str(pol), "-o", str(out), "-q"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert f"writing the customers' tiers to '{out}' failed: No space left on device" in err
    assert "an existing file there is left as it was" in err
    assert out.read_bytes() == b"the previous run's output"
    assert [p.name for p in out.parent.iterdir()] == [name]  # no temporary file left
    monkeypatch.undo()
    assert main(["tier", str(src), "--policy", str(pol), "-o", str(out), "-q"]) == EXIT_OK
    assert [p.name for p in out.parent.iterdir()] == [name]
    assert out.read_bytes() != b"the previous run's output"


def test_an_output_that_cannot_be_created_exits_2_before_the_work(tmp_path, capsys):
    t = tk.demo.transactions(100, 2000, seed=1)
    src, pol = tmp_path / "tx.parquet", tmp_path / "p.yaml"
    pq.write_table(t, src)
    pol.write_text(POLICY)
    missing = tmp_path / "no such dir" / "tiers.csv"
    assert main(["tier", str(src), "--policy", str(pol), "-o", str(missing)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert f"cannot write --output '{missing}': the directory '{missing.parent}' does not exist" \
        in captured.err
    assert "tierkit: read" not in captured.err  # refused before reading the input
    assert main(["profile", str(src), "-o", str(tmp_path)]) == EXIT_USAGE
    assert "it is a directory" in capsys.readouterr().err
    assert main(["tier", str(src), "--policy", str(pol), "--models", str(src / "m")]) == EXIT_USAGE
    assert "is not a directory" in capsys.readouterr().err


def _without_file_permission_override():
    """In the child process: drop the capabilities that let root write anywhere
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so that permissions apply to it too."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; refused, harmlessly, when not root


def test_an_output_in_a_read_only_directory_exits_2_and_keeps_the_old_file(tmp_path):
    t = tk.demo.transactions(100, 2000, seed=1)
    src, pol, ro = tmp_path / "tx.parquet", tmp_path / "p.yaml", tmp_path / "ro"
    pq.write_table(t, src)
    pol.write_text(POLICY)
    ro.mkdir()
    (ro / "tiers.csv").write_text("old")
    os.chmod(ro, 0o555)
    os.chmod(tmp_path, 0o755)
    try:
        def run(*args):
            return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                                  preexec_fn=_without_file_permission_override, cwd=tmp_path)
        if run("-c", f"open({str(ro / 'probe')!r}, 'w')").returncode == 0:
            pytest.skip("this process may write into read-only directories")
        r = run("-m", "tierkit", "tier", str(src), "--policy", str(pol), "-o", str(ro / "tiers.csv"))
        assert r.returncode == EXIT_USAGE, r.stderr
        assert f"cannot write --output '{ro / 'tiers.csv'}': cannot create files in '{ro}': " \
               "Permission denied" in r.stderr
        assert (ro / "tiers.csv").read_text() == "old" and len(list(ro.iterdir())) == 1
    finally:
        os.chmod(ro, 0o755)


def test_ctrl_c_exits_130_and_leaves_the_old_output(tmp_path, capsys, monkeypatch):
    t = tk.demo.transactions(100, 2000, seed=1)
    src, out = tmp_path / "tx.parquet", tmp_path / "profile.csv"
    pq.write_table(t, src)
    out.write_text("old")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("tierkit.cli.profile", interrupted)
    assert main(["profile", str(src), "-o", str(out)]) == EXIT_INTERRUPTED
    assert "tierkit: interrupted" in capsys.readouterr().err
    assert out.read_text() == "old" and len(list(tmp_path.iterdir())) == 2
