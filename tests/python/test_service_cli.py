"""The `tierkit service` command and the service part of `tierkit demo`."""
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import tierkit as tk
from tierkit.cli import DEMO_POLICY, EXIT_OK, EXIT_POLICY, EXIT_USAGE, main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("service")
    pq.write_table(tk.demo.transactions(600, 15_000, seed=8), d / "tx.parquet")
    assert main(["tier", str(d / "tx.parquet"), "--policy", str(DEMO_POLICY), "-o", str(d / "tiers.parquet"),
                 "-q"]) == EXIT_OK
    tiers = pq.read_table(d / "tiers.parquet")
    keys = tiers["customer_id"].to_numpy()
    rng = np.random.default_rng(1)
    m = 4000
    contacts = pa.table({
        "customer_id": np.append(rng.choice(keys, m), [10**9]),  # one unknown customer
        "time": pa.array(np.append(rng.integers(19300, 19720, m), 19700) * 86400, pa.int64()).cast(pa.timestamp("s")),
        "channel": np.append(rng.choice(["visit", "phone", "email", "sms"], m), "phone"),
        "outcome": np.append(rng.choice(["reached", "visited", "no answer"], m), "reached"),
    })
    pcsv.write_csv(contacts, d / "contacts.csv")
    roles = ["key account manager", "account manager", "retention team"]
    roster = pa.table({"owner_id": [f"E{i:03d}" for i in range(12)], "role": [roles[i % 3] for i in range(12)],
                       "branch": ["North" if i < 6 else "South" for i in range(12)],
                       "capacity": pa.array([40] * 12, pa.int64()), "active": [True] * 11 + [False]})
    pcsv.write_csv(roster, d / "roster.csv")
    branches = pa.table({"customer_id": keys, "branch": rng.choice(["North", "South"], len(keys))})
    pq.write_table(branches, d / "branches.parquet")
    return d


def test_service_writes_the_due_list_owners_and_sla(files, capsys):
    d = files
    code = main(["service", "--tiers", str(d / "tiers.parquet"), "--contacts", str(d / "contacts.csv"),
                 "--policy", str(DEMO_POLICY), "--as-of", "2024-01-01", "--since", "2023-10-01", "--within", "7",
                 "-o", str(d / "due.csv"), "--roster", str(d / "roster.csv"), "--branches",
                 str(d / "branches.parquet"), "--owners", str(d / "owners.parquet"), "--sla", str(d / "sla.csv")])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "1 rows of customers the tiers do not hold: left out" in out
    assert "Due list on 2024-01-01" in out and "Owners on 2024-01-01" in out and "loads by role" in out
    due = pcsv.read_csv(d / "due.csv")
    assert due.num_rows > 0 and {"customer_id", "tier", "rule", "days_overdue", "owner"} <= set(due.column_names)
    assert max(due["due"].to_pylist()) <= dt.date(2024, 1, 8)
    owners = pq.read_table(d / "owners.parquet")
    assert owners.num_rows == pq.read_table(d / "tiers.parquet").num_rows
    assert "E011" not in owners["owner"].to_pylist()  # inactive
    assert pcsv.read_csv(d / "sla.csv").num_rows > 0
    # Next month, from the previous assignment: the owners kept are kept.
    code = main(["service", "--tiers", str(d / "tiers.parquet"), "--contacts", str(d / "contacts.csv"),
                 "--policy", str(DEMO_POLICY), "--as-of", "2024-02-01", "--since", "2023-10-01",
                 "--roster", str(d / "roster.csv"), "--branches", str(d / "branches.parquet"),
                 "--previous", str(d / "owners.parquet"), "--owners", str(d / "owners2.parquet")])
    assert code == EXIT_OK
    again = pq.read_table(d / "owners2.parquet")
    had = [o is not None for o in owners["owner"].to_pylist()]
    kept = [r for r, h in zip(again["reason"].to_pylist(), had) if h]
    assert kept and all(r == "kept" for r in kept)
    assert again["credited_to"].equals(owners["credited_to"])


def test_service_errors_exit_with_the_documented_codes(files, tmp_path, capsys):
    d = files
    base = ["service", "--tiers", str(d / "tiers.parquet"), "--contacts", str(d / "contacts.csv"), "--as-of",
            "2024-01-01"]
    assert main(base + ["--policy", str(tmp_path / "missing.yaml")]) == EXIT_USAGE
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO_POLICY.read_text().replace("    Gold:\n      owner_role", "    Gould:\n      owner_role"))
    assert main(base + ["--policy", str(bad)]) == EXIT_POLICY
    assert "did you mean 'Gold'" in capsys.readouterr().err
    assert main(base + ["--policy", str(DEMO_POLICY), "-o", str(tmp_path / "no" / "due.csv")]) == EXIT_USAGE
    assert main(base + ["--policy", str(DEMO_POLICY), "--roster", str(d / "roster.csv")]) == EXIT_USAGE
    assert main(base + ["--policy", str(DEMO_POLICY), "--on-invalid", "raise"]) == 3
    assert "customers the tiers do not hold" in capsys.readouterr().err


def test_demo_shows_owner_loads_and_a_due_list(capsys):
    assert main(["demo", "--customers", "500", "--transactions", "8000"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Service (bank demo" in out and "loads by role" in out
    assert "Due list on 2024-04-01" in out and "Within cadence in 2024-03-01" in out
