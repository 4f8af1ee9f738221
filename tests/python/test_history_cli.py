"""tierkit history and tierkit migrations: the ledger from the command line, advanced from a
saved state month by month, equals one run; migrations from a spells file or a state."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

import tierkit as tk
from tierkit.cli import EXIT_DATA, EXIT_OK, EXIT_POLICY, EXIT_USAGE, main

POLICY = """
tierkit: 1
name: demo history
transactions: {customer: customer_id, time: time, amount: amount, order: order_id}
strategies: [rfm]
tiers:
  - {tier: Gold, when: "monetary >= 1500"}
  - {tier: Silver, when: "r_score >= 4"}
default: Bronze
assessment:
  frequency: month
  window_months: 6
  transitions:
    Gold: {downgrade_after: 2}
"""


def _split(t: pa.Table, day: dt.date) -> tuple[pa.Table, pa.Table]:
    d = pc.cast(t.column("time"), pa.date32())
    before = pc.less(d, pa.scalar(day, pa.date32()))
    return t.filter(before), t.filter(pc.invert(before))


def test_history_then_advancing_a_saved_state_month_by_month(tmp_path, capsys):
    t = tk.demo.transactions(400, 8000, seed=5)
    (tmp_path / "p.yaml").write_text(POLICY)
    pq.write_table(t, tmp_path / "all.parquet")
    assert main(["history", str(tmp_path / "all.parquet"), "--policy", str(tmp_path / "p.yaml"),
                 "-o", str(tmp_path / "whole.parquet"), "-q"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "36 assessments from 2021-02-01 to 2024-01-01" in out and "on watch" in out
    whole = pq.read_table(tmp_path / "whole.parquet")

    first, rest = _split(t, dt.date(2023, 10, 1))
    pq.write_table(first, tmp_path / "first.parquet")
    state = tmp_path / "state.tks"
    assert main(["history", str(tmp_path / "first.parquet"), "--policy", str(tmp_path / "p.yaml"),
                 "--to", "2023-09-01", "--state", str(state), "-q"]) == EXIT_OK
    month = dt.date(2023, 9, 1)
    for nxt in (dt.date(2023, 10, 1), dt.date(2023, 11, 1), dt.date(2023, 12, 1), dt.date(2024, 1, 1)):
        # Rows of [month, nxt): the month just ended.
        upto, rest = _split(rest, nxt)
        pq.write_table(upto, tmp_path / "month.parquet")
        assert main(["history", str(tmp_path / "month.parquet"), "--policy", str(tmp_path / "p.yaml"),
                     "--state", str(state), "-o", str(tmp_path / "spells.parquet"), "-q"]) == EXIT_OK
        assert f"advanced from {month} to {nxt}" in capsys.readouterr().out
        month = nxt
    assert pq.read_table(tmp_path / "spells.parquet").equals(whole)

    # Migrations: from the spells file and from the state agree with the ledger's.
    ledger = tk.TierHistory.from_file(tmp_path / "p.yaml").resume(state)
    m = ledger.migration("2023-01-01", "2024-01-01")
    for source, extra in ((tmp_path / "spells.parquet", []), (state, ["--policy", str(tmp_path / "p.yaml")])):
        assert main(["migrations", str(source), "--from", "2023-01-01", "--to", "2024-01-01",
                     "-o", str(tmp_path / "cells.csv"), *extra]) == EXIT_OK
        cells = pcsv.read_csv(tmp_path / "cells.csv")
        got = {(f, to): n for f, to, n in zip(cells.column("from").to_pylist(), cells.column("to").to_pylist(),
                                              cells.column("customers").to_pylist())}
        want = {(r, c): int(m.counts[i, j]) for i, r in enumerate(m.rows) for j, c in enumerate(m.columns)}
        assert got == want
    assert "up," in capsys.readouterr().out


def test_history_exit_codes(tmp_path, capsys):
    t = tk.demo.transactions(100, 2000, seed=2)
    pq.write_table(t, tmp_path / "tx.parquet")
    (tmp_path / "p.yaml").write_text(POLICY)
    (tmp_path / "bad.yaml").write_text(POLICY.replace("window_months", "window_moths"))
    assert main(["history", str(tmp_path / "missing.parquet"), "--policy", str(tmp_path / "p.yaml")]) == EXIT_USAGE
    assert main(["history", str(tmp_path / "tx.parquet"), "--policy", str(tmp_path / "bad.yaml")]) == EXIT_POLICY
    assert "did you mean 'window_months'" in capsys.readouterr().err
    state = tmp_path / "s.tks"
    assert main(["history", str(tmp_path / "tx.parquet"), "--policy", str(tmp_path / "p.yaml"),
                 "--to", "2022-06-01", "--state", str(state), "-q"]) == EXIT_OK
    # The same rows again: they belong to periods already assessed.
    assert main(["history", str(tmp_path / "tx.parquet"), "--policy", str(tmp_path / "p.yaml"),
                 "--state", str(state), "-q"]) == EXIT_DATA
    assert "rows are dated before the last assessment" in capsys.readouterr().err
